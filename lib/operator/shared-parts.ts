/**
 * @module
 * One shared, frozen copy of equal parts of trimmed pods: the pods of a workload
 * have the same containers, controller reference and (mostly) the same status, so
 * 100k pods need a few thousand such objects, not 100k of each. Copies are held
 * weakly: a part is gone with the last pod that uses it (rollouts do not pile up).
 */

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export class SharedParts {
  private readonly cache = new Map<string, WeakRef<object>>();
  private readonly registry = new FinalizationRegistry<string>((key) => {
    // A newer copy may have taken the key since this one died: keep that one.
    if (this.cache.get(key)?.deref() === undefined) this.cache.delete(key);
  });

  /** The shared copy of `value` (deep-frozen); `kind` keeps equal JSON of different parts apart. */
  share<T extends object>(kind: string, value: T): T {
    const key = `${kind}:${JSON.stringify(value)}`;
    const found = this.cache.get(key)?.deref();
    if (found !== undefined) return found as T;
    deepFreeze(value);
    this.cache.set(key, new WeakRef(value));
    this.registry.register(value, key);
    return value;
  }

  /** Distinct parts currently known (tests). */
  get size(): number {
    return this.cache.size;
  }
}
