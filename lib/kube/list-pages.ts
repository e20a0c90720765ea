/**
 * @module
 * Paginated list as an async iterator of pages (`limit`/`continue`), so a
 * caller holds one page at a time. When a continue token expires (410
 * Expired) mid-way, the rest is not retried page by page — on a slow server
 * with a large list that never converges — but replaced by ONE unpaginated
 * list (client-go's ListPager with FullListIfExpired), still handed out in
 * pages as its body streams in; its first page says so (`restarted`,
 * `fullList`), so the caller drops what it gathered.
 */
import { GoneError } from "./api-errors.ts";
import type { KubeList } from "./types.ts";

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** Page size (default 500, as kubectl). */
  limit?: number | undefined;
  /** Only the first request carries it (the API server refuses a resourceVersion with `continue`). */
  resourceVersion?: string | undefined;
  resourceVersionMatch?: "Exact" | "NotOlderThan" | undefined;
  signal?: AbortSignal | undefined;
  /**
   * On an expired continue token: `full-list` (default) lists everything in one request at the
   * requested resourceVersion; `inconsistent` continues with the token the server offers,
   * accepting objects changed meanwhile.
   */
  onExpired?: "full-list" | "inconsistent";
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
  /** On the first page of the full list that replaced an expired paged one: why (for one log line). */
  fullList?: { reason: string; pagesBefore: number };
}

/** The pages of one unpaginated list, decoded as its body arrives. */
export type FullListPages<T> = () => AsyncIterable<{ items: T[]; resourceVersion: string; last: boolean }>;

/** Iterates pages produced by `fetchPage(continueToken)`; `fetchFull` is the fallback after an expired token. */
export async function* listPages<T>(fetchPage: (cont: string | undefined) => Promise<KubeList<T>>, fetchFull: FullListPages<T>, options: Pick<ListOptions, "onExpired"> = {}): AsyncGenerator<ListPage<T>> {
  let cont: string | undefined;
  let index = 0;
  for (;;) {
    let list: KubeList<T>;
    try {
      list = await fetchPage(cont);
    } catch (err) {
      // A 410 on the first page is the caller's resourceVersion, not a token: theirs to handle.
      if (!(err instanceof GoneError) || cont === undefined) throw err;
      const offered = err.status?.metadata?.continue;
      if (options.onExpired === "inconsistent" && offered) {
        cont = offered;
        continue;
      }
      yield* fullList(fetchFull, { reason: `the continue token expired after ${index} page${index === 1 ? "" : "s"} (${err.status?.message ?? err.message}); listing everything in one request instead`, pagesBefore: index });
      return;
    }
    const next = list.metadata?.continue || undefined;
    yield { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? "", restarted: false, index, last: next === undefined };
    index++;
    if (next === undefined) return;
    cont = next;
  }
}

async function* fullList<T>(fetchFull: FullListPages<T>, why: { reason: string; pagesBefore: number }): AsyncGenerator<ListPage<T>> {
  let index = 0;
  for await (const page of fetchFull()) {
    yield { ...page, restarted: index === 0, index, ...(index === 0 ? { fullList: why } : {}) };
    index++;
  }
}
