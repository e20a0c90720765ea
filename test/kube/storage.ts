/**
 * @module
 * The raw object store: one Map per resource type holding each object once with its JSON string
 * cached beside it, a global monotonically increasing resourceVersion, a bounded watch history
 * ring (older revisions are "compacted" and answer 410), and owner/uid indexes for GC.
 */
import type { KubeObject } from "./types.ts";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

/** One stored object. Never mutated after commit: writers build a new Entry. */
export interface Entry {
  readonly key: string;
  readonly obj: KubeObject;
  readonly json: string;
  readonly rv: number;
}

/** One change, as kept in the history ring and sent to watchers. */
export interface ChangeEvent {
  readonly rv: number;
  readonly gr: string;
  readonly type: EventType;
  /** The new state (for DELETED: the last state, carrying the deletion's resourceVersion). */
  readonly entry: Entry;
  /** The state before the change (MODIFIED/DELETED). */
  readonly prev?: Entry;
}

interface Table {
  entries: Map<string, Entry>;
  sorted: string[] | null;
}

export type ChangeListener = (ev: ChangeEvent) => void;

/** `ns/name` for namespaced objects, `name` for cluster-scoped ones (etcd key order). */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function makeEntry(obj: KubeObject, rv: number): Entry {
  return { key: objectKey(obj.metadata.namespace, obj.metadata.name ?? ""), obj, json: JSON.stringify(obj), rv };
}

export class Storage {
  private readonly tables = new Map<string, Table>();
  private readonly ring: (ChangeEvent | undefined)[];
  private ringStart = 0;
  private ringLen = 0;
  private rv: number;
  /** Events with rv <= compactedRv are no longer in history. */
  private compactedRv: number;
  private readonly listeners = new Map<string, Set<ChangeListener>>();
  private readonly allListeners = new Set<ChangeListener>();
  /** uid → [gr, key] of every stored object. */
  readonly byUid = new Map<string, [string, string]>();
  /** owner uid → set of `gr\0key` of dependents. */
  readonly dependents = new Map<string, Set<string>>();

  constructor(historySize: number, startRv = 1000) {
    this.ring = new Array(Math.max(1, historySize));
    this.rv = startRv;
    this.compactedRv = startRv;
  }

  get currentRv(): number {
    return this.rv;
  }

  get oldestRv(): number {
    return this.compactedRv;
  }

  /** Reserves the next resourceVersion. */
  nextRv(): number {
    return ++this.rv;
  }

  private table(gr: string): Table {
    let t = this.tables.get(gr);
    if (!t) {
      t = { entries: new Map(), sorted: null };
      this.tables.set(gr, t);
    }
    return t;
  }

  get(gr: string, key: string): Entry | undefined {
    return this.tables.get(gr)?.entries.get(key);
  }

  count(gr: string): number {
    return this.tables.get(gr)?.entries.size ?? 0;
  }

  /** Keys in etcd order (sorted), cached until an object is added or removed. */
  sortedKeys(gr: string): string[] {
    const t = this.table(gr);
    if (!t.sorted) t.sorted = [...t.entries.keys()].sort();
    return t.sorted;
  }

  entries(gr: string): Map<string, Entry> {
    return this.table(gr).entries;
  }

  /**
   * Commits one change: `next` is the new state (built with the reserved rv) or, for a
   * deletion, the final state carrying the deletion rv. Records history and notifies.
   */
  commit(gr: string, type: EventType, next: Entry, prev?: Entry, options: { quiet?: boolean } = {}): ChangeEvent {
    const t = this.table(gr);
    if (type === "DELETED") {
      t.entries.delete(next.key);
      t.sorted = null;
      this.unindex(gr, prev ?? next);
    } else {
      if (!t.entries.has(next.key)) t.sorted = null;
      t.entries.set(next.key, next);
      if (prev) this.unindex(gr, prev);
      this.index(gr, next);
    }
    if (next.rv > this.rv) this.rv = next.rv;
    const ev: ChangeEvent = prev ? { rv: next.rv, gr, type, entry: next, prev } : { rv: next.rv, gr, type, entry: next };
    if (options.quiet) return ev;
    this.record(ev);
    for (const l of this.listeners.get(gr) ?? []) l(ev);
    for (const l of this.allListeners) l(ev);
    return ev;
  }

  /** Replaces a stored entry in place without a new revision (used by pruning after a CRD update). */
  rewrite(gr: string, next: Entry): void {
    const t = this.table(gr);
    const prev = t.entries.get(next.key);
    t.entries.set(next.key, next);
    if (prev) this.unindex(gr, prev);
    this.index(gr, next);
  }

  dropTable(gr: string): void {
    const t = this.tables.get(gr);
    if (!t) return;
    for (const e of t.entries.values()) this.unindex(gr, e);
    this.tables.delete(gr);
  }

  private index(gr: string, e: Entry): void {
    const uid = e.obj.metadata.uid;
    if (uid) this.byUid.set(uid, [gr, e.key]);
    for (const ref of e.obj.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(`${gr}\0${e.key}`);
    }
  }

  private unindex(gr: string, e: Entry): void {
    const uid = e.obj.metadata.uid;
    if (uid && this.byUid.get(uid)?.[1] === e.key) this.byUid.delete(uid);
    for (const ref of e.obj.metadata.ownerReferences ?? []) {
      const set = this.dependents.get(ref.uid);
      set?.delete(`${gr}\0${e.key}`);
      if (set && set.size === 0) this.dependents.delete(ref.uid);
    }
  }

  private record(ev: ChangeEvent): void {
    const cap = this.ring.length;
    if (this.ringLen === cap) {
      const dropped = this.ring[this.ringStart]!;
      this.compactedRv = dropped.rv;
      this.ring[this.ringStart] = ev;
      this.ringStart = (this.ringStart + 1) % cap;
    } else {
      this.ring[(this.ringStart + this.ringLen) % cap] = ev;
      this.ringLen++;
    }
  }

  /** Drops all history up to the current revision: any older resourceVersion now gets 410. */
  compact(upTo = this.rv): void {
    while (this.ringLen > 0 && this.ring[this.ringStart]!.rv <= upTo) {
      this.ring[this.ringStart] = undefined;
      this.ringStart = (this.ringStart + 1) % this.ring.length;
      this.ringLen--;
    }
    this.compactedRv = Math.max(this.compactedRv, upTo);
  }

  /** Events of `gr` with rv > since, oldest first; undefined when `since` was compacted. */
  eventsSince(gr: string | null, since: number): ChangeEvent[] | undefined {
    if (since < this.compactedRv) return undefined;
    const out: ChangeEvent[] = [];
    for (let i = 0; i < this.ringLen; i++) {
      const ev = this.ring[(this.ringStart + i) % this.ring.length]!;
      if (ev.rv > since && (gr === null || ev.gr === gr)) out.push(ev);
    }
    return out;
  }

  listen(gr: string, l: ChangeListener): () => void {
    let set = this.listeners.get(gr);
    if (!set) this.listeners.set(gr, (set = new Set()));
    set.add(l);
    return () => set!.delete(l);
  }

  listenAll(l: ChangeListener): () => void {
    this.allListeners.add(l);
    return () => this.allListeners.delete(l);
  }
}
