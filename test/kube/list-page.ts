/**
 * @module
 * One page of a list in etcd key order: namespace prefix, label and field selectors, `limit`
 * with continue tokens encoded as the real server encodes them (and 410 once their revision is
 * compacted), `remainingItemCount` for unfiltered lists.
 */
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import { badRequest, expired, type StatusError } from "./status.ts";
import type { Entry, Storage } from "./storage.ts";
import type { ResourceType } from "./types.ts";

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** Answer a continue token as compacted whatever its revision (faults.expireContinueTokens). */
  expire?: boolean;
}

export interface ListPage {
  entries: Entry[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start })).toString("base64url");
}

/** 410 Expired for a compacted continue token, offering a token that continues at the latest revision. */
export function expiredContinue(start: string): StatusError {
  const err = expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
  err.metadata = { continue: encodeContinue(-1, start) };
  return err;
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const v = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { v?: string; rv?: number; start?: string };
    if (v.v !== "meta.k8s.io/v1" || typeof v.rv !== "number" || typeof v.start !== "string") throw new Error("bad");
    return { rv: v.rv, start: v.start };
  } catch {
    throw badRequest(`continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
  }
}

/** Binary search: index of the first key >= start. */
function lowerBound(keys: string[], start: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Binary search: index of the first key > start. */
function firstAfter(keys: string[], start: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function readListPage(storage: Storage, t: ResourceType, gr: string, opts: ListOptions): ListPage {
        const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, ["metadata.name", ...(t.namespaced ? ["metadata.namespace"] : []), ...t.fieldSelectors]);
    let rv = storage.currentRv;
    let start = "";
    if (opts.continue) {
      const c = decodeContinue(opts.continue);
      if (c.rv !== -1 && (c.rv < storage.oldestRv || opts.expire)) throw expiredContinue(c.start);
      // -1: the inconsistent token a 410 offers continues at the latest revision (k8s.io/apiserver's etcd3 store).
      rv = c.rv === -1 ? storage.currentRv : c.rv;
      start = c.start;
    }
    const keys = storage.sortedKeys(gr);
    const table = storage.entries(gr);
    const ns = t.namespaced && opts.namespace ? `${opts.namespace}/` : "";
    let i = start ? firstAfter(keys, start) : ns ? lowerBound(keys, ns) : 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const out: Entry[] = [];
    const filtered = labels.length > 0 || fields.length > 0;
    for (; i < keys.length && out.length < limit; i++) {
      const key = keys[i]!;
      if (ns && !key.startsWith(ns)) break;
      const e = table.get(key);
      if (!e) continue;
      if (filtered && !(matchLabels(labels, e.obj.metadata.labels) && matchFields(fields, e.obj))) continue;
      out.push(e);
    }
    const page: ListPage = { entries: out, resourceVersion: String(rv) };
    if (out.length === limit && i < keys.length && (!ns || keys[i]!.startsWith(ns))) {
      page.continue = encodeContinue(rv, out[out.length - 1]!.key);
      if (!filtered) {
        const end = ns ? lowerBound(keys, `${ns.slice(0, -1)}0`) : keys.length;
        page.remainingItemCount = end - i;
      }
    }
    return page;
  }
