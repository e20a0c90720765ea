/**
 * @module
 * The watch controller's per-pod memory, columnar: one slot per tracked pod in typed
 * arrays (resourceVersion, generation, violation mask and indexes into shared tables
 * of tallies, violation counts, namespaces and owners), plus the pod's key. At 100k
 * pods this is ~100 bytes a pod and no per-pod object for the garbage collector;
 * objects per pod (a contribution plus the list+watch entry) took ~3× that and left
 * the heap fragmented after the initial list. Shared values are reference-counted,
 * so namespaces and owners that are gone (ReplicaSets of old rollouts) are freed.
 */
import type { Tally } from "../score.ts";
import type { PodContribution, PodState, ViolationCounts } from "./pod-contribution.ts";

/** Values shared by many pods, each with a small index and a count of the pods using it (index 0: none). */
class SharedValues<T> {
  private readonly values: (T | undefined)[] = [undefined];
  private readonly refs: number[] = [0];
  private readonly index = new Map<T, number>();
  private readonly free: number[] = [];

  acquire(value: T | undefined): number {
    if (value === undefined) return 0;
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.free.pop() ?? this.values.length;
      this.values[i] = value;
      this.refs[i] = 0;
      this.index.set(value, i);
    }
    this.refs[i]!++;
    return i;
  }

  release(i: number): void {
    if (i === 0 || --this.refs[i]! > 0) return;
    this.index.delete(this.values[i]!);
    this.values[i] = undefined;
    this.free.push(i);
  }

  get(i: number): T | undefined {
    return this.values[i];
  }

  /** Values in use (tests). */
  get size(): number {
    return this.index.size;
  }
}

/** A resourceVersion as a number when it is a plain decimal that a double holds exactly (etcd's are). */
function numericVersion(rv: string): number {
  return rv.length > 0 && rv.length <= 15 && /^(0|[1-9]\d*)$/.test(rv) ? Number(rv) : Number.NaN;
}

type Column = Uint32Array | Float64Array;

function grow<T extends Column>(column: T, capacity: number): T {
  const next = new (column.constructor as new (n: number) => T)(capacity);
  next.set(column);
  return next;
}

export class PodTable {
  private readonly slots = new Map<string, number>();
  private usedSlots = 0;
  private readonly freeSlots: number[] = [];
  private capacity = 0;
  private version = new Float64Array(0);
  private generation = new Uint32Array(0);
  private mask = new Uint32Array(0);
  private tally = new Uint32Array(0);
  private counts = new Uint32Array(0);
  private namespace = new Uint32Array(0);
  private owner = new Uint32Array(0);
  /** resourceVersions that are not plain numbers, by slot (rare). */
  private readonly textVersions = new Map<number, string>();
  /** The state a Pending pod takes at its deadline, by slot (only pods with a future deadline). */
  private readonly nextStates = new Map<number, PodState & { at: number }>();
  readonly tallies = new SharedValues<Tally>();
  readonly violationCounts = new SharedValues<ViolationCounts>();
  readonly namespaces = new SharedValues<string>();
  readonly owners = new SharedValues<string>();

  get size(): number {
    return this.slots.size;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  /** True when `key` is stored with exactly this resourceVersion. */
  hasVersion(key: string, rv: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined || rv === "") return false;
    const n = numericVersion(rv);
    return Number.isNaN(n) ? this.textVersions.get(slot) === rv : this.version[slot] === n;
  }

  /** Keys of the pods of `namespace` computed with another generation of its checks than `generation`. */
  staleKeys(namespace: string, generation: number): string[] {
    const keys: string[] = [];
    for (const [key, slot] of this.slots) {
      if (this.namespaces.get(this.namespace[slot]!) === namespace && this.generation[slot] !== generation) keys.push(key);
    }
    return keys;
  }

  /** The pending-deadline state of a pod, if it has one still to apply. */
  nextOf(key: string): (PodState & { at: number }) | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.nextStates.get(slot);
  }

  /** The stored contribution of a pod, as an object (findings are never stored). */
  read(key: string): PodContribution | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const v = this.version[slot]!;
    return {
      tally: this.tallies.get(this.tally[slot]!)!,
      mask: this.mask[slot]!,
      counts: this.violationCounts.get(this.counts[slot]!),
      namespace: this.namespaces.get(this.namespace[slot]!)!,
      owner: this.owners.get(this.owner[slot]!),
      resourceVersion: Number.isNaN(v) ? (this.textVersions.get(slot) ?? "") : String(v),
      generation: this.generation[slot]!,
      next: this.nextStates.get(slot),
      findings: undefined,
    };
  }

  /** Stores (or replaces) a pod's contribution. */
  write(key: string, c: PodContribution): void {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.allocate(key);
    } else {
      this.releaseShared(slot);
    }
    this.tally[slot] = this.tallies.acquire(c.tally);
    this.counts[slot] = this.violationCounts.acquire(c.counts);
    this.namespace[slot] = this.namespaces.acquire(c.namespace);
    this.owner[slot] = this.owners.acquire(c.owner);
    this.mask[slot] = c.mask;
    this.generation[slot] = c.generation;
    const n = numericVersion(c.resourceVersion);
    this.version[slot] = n;
    if (Number.isNaN(n)) this.textVersions.set(slot, c.resourceVersion);
    else this.textVersions.delete(slot);
    if (c.next) this.nextStates.set(slot, c.next);
    else this.nextStates.delete(slot);
  }

  /** Replaces a pod's state in place (a pending deadline applied): same version, owner and namespace. */
  setState(key: string, state: PodState): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.tallies.release(this.tally[slot]!);
    this.violationCounts.release(this.counts[slot]!);
    this.tally[slot] = this.tallies.acquire(state.tally);
    this.counts[slot] = this.violationCounts.acquire(state.counts);
    this.mask[slot] = state.mask;
    this.nextStates.delete(slot);
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.releaseShared(slot);
    this.textVersions.delete(slot);
    this.nextStates.delete(slot);
    this.slots.delete(key);
    this.freeSlots.push(slot);
  }

  clear(): void {
    for (const key of [...this.slots.keys()]) this.delete(key);
  }

  private allocate(key: string): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.usedSlots++;
      if (slot >= this.capacity) this.resize(Math.max(1024, this.capacity * 2));
    }
    this.slots.set(key, slot);
    return slot;
  }

  private resize(capacity: number): void {
    this.capacity = capacity;
    this.version = grow(this.version, capacity);
    this.generation = grow(this.generation, capacity);
    this.mask = grow(this.mask, capacity);
    this.tally = grow(this.tally, capacity);
    this.counts = grow(this.counts, capacity);
    this.namespace = grow(this.namespace, capacity);
    this.owner = grow(this.owner, capacity);
  }

  private releaseShared(slot: number): void {
    this.tallies.release(this.tally[slot]!);
    this.violationCounts.release(this.counts[slot]!);
    this.namespaces.release(this.namespace[slot]!);
    this.owners.release(this.owner[slot]!);
  }
}
