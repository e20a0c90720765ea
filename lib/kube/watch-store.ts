/**
 * @module
 * The list+watch loop's memory: per object key, its resourceVersion and the
 * caller's projection of it (not the object). It turns list pages and watch
 * events into typed change events, and a relist into the deletions the watch
 * missed, so no deletion is lost and no unchanged object is reported twice.
 */
import type { KubeObject } from "./types.ts";

export type ChangeEvent<P> =
  | { type: "added"; key: string; value: P }
  | { type: "modified"; key: string; value: P; previous: P }
  | { type: "deleted"; key: string; previous: P };

/** `namespace/name` for namespaced objects, `name` otherwise. */
export function keyOf(obj: KubeObject): string {
  const meta = obj.metadata ?? {};
  return meta.namespace ? `${meta.namespace}/${meta.name ?? ""}` : (meta.name ?? "");
}

/** What list+watch keeps per object key; WatchStore is the general one, callers may bring a leaner one. */
export interface ObjectStore<P> {
  readonly size: number;
  /** An added or modified object (`key`: its keyOf, when the caller has it); undefined when this exact version is already known. */
  upsert(obj: KubeObject, key?: string): ChangeEvent<P> | undefined;
  /** A deletion; undefined when the key was unknown. */
  delete(obj: KubeObject): ChangeEvent<P> | undefined;
  /** After a complete list: the deletions of every key the list did not contain. */
  dropUnseen(seen: ReadonlySet<string>): ChangeEvent<P>[];
}

export class WatchStore<P> implements ObjectStore<P> {
  private readonly entries = new Map<string, { rv: string; value: P }>();

  constructor(private readonly project: (obj: KubeObject) => P) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): P | undefined {
    return this.entries.get(key)?.value;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  *values(): IterableIterator<[string, P]> {
    for (const [k, e] of this.entries) yield [k, e.value];
  }

  /** Records an added or modified object; undefined when this exact version is already known. */
  upsert(obj: KubeObject, key = keyOf(obj)): ChangeEvent<P> | undefined {
    const rv = obj.metadata?.resourceVersion ?? "";
    const prior = this.entries.get(key);
    if (prior && rv !== "" && prior.rv === rv) return undefined;
    const value = this.project(obj);
    this.entries.set(key, { rv, value });
    return prior ? { type: "modified", key, value, previous: prior.value } : { type: "added", key, value };
  }

  /** Records a deletion; undefined when the key was unknown (a duplicate delete). */
  delete(obj: KubeObject): ChangeEvent<P> | undefined {
    const key = keyOf(obj);
    const prior = this.entries.get(key);
    if (!prior) return undefined;
    this.entries.delete(key);
    return { type: "deleted", key, previous: prior.value };
  }

  /** After a complete list: removes every key the list did not contain. */
  dropUnseen(seen: ReadonlySet<string>): ChangeEvent<P>[] {
    const events: ChangeEvent<P>[] = [];
    for (const [key, entry] of this.entries) {
      if (seen.has(key)) continue;
      this.entries.delete(key);
      events.push({ type: "deleted", key, previous: entry.value });
    }
    return events;
  }
}
