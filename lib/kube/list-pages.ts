/**
 * @module
 * Paginated list as an async iterator of pages (`limit`/`continue`), so a
 * caller holds one page at a time. When a continue token expires (410) the
 * list restarts from the beginning on a fresh snapshot and the first page of
 * the restart says so (`restarted`), so the caller drops what it gathered.
 */
import { GoneError } from "./api-errors.ts";
import type { KubeList } from "./types.ts";

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** Page size (default 500, as kubectl). */
  limit?: number | undefined;
  resourceVersion?: string | undefined;
  resourceVersionMatch?: "Exact" | "NotOlderThan" | undefined;
  signal?: AbortSignal | undefined;
  /**
   * On an expired continue token: `restart` (default) lists again from the
   * start on a new snapshot; `inconsistent` continues with the token the
   * server offers, accepting objects changed meanwhile.
   */
  onExpired?: "restart" | "inconsistent";
  /** Restarts allowed before giving up (default 3). */
  maxRestarts?: number;
}

export interface ListPage<T> {
  items: T[];
  /** The list's snapshot version; watch from the last page's value. */
  resourceVersion: string;
  /** True on the first page after a restart: discard earlier pages. */
  restarted: boolean;
  /** 0-based page number within the current pass. */
  index: number;
  /** True on the last page. */
  last: boolean;
}

/** Iterates pages produced by `fetchPage(continueToken)`. */
export async function* listPages<T>(fetchPage: (cont: string | undefined) => Promise<KubeList<T>>, options: Pick<ListOptions, "onExpired" | "maxRestarts"> = {}): AsyncGenerator<ListPage<T>> {
  let cont: string | undefined;
  let restarted = false;
  let restarts = 0;
  let index = 0;
  for (;;) {
    let list: KubeList<T>;
    try {
      list = await fetchPage(cont);
    } catch (err) {
      if (!(err instanceof GoneError) || cont === undefined) throw err;
      const offered = err.status?.metadata?.continue;
      if (options.onExpired === "inconsistent" && offered) {
        cont = offered;
        continue;
      }
      if (++restarts > (options.maxRestarts ?? 3)) throw err;
      cont = undefined;
      restarted = true;
      index = 0;
      continue;
    }
    const next = list.metadata?.continue || undefined;
    yield { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? "", restarted, index, last: next === undefined };
    restarted = false;
    index++;
    if (next === undefined) return;
    cont = next;
  }
}
