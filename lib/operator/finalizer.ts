/**
 * @module
 * The finalizer `devops.stochastic.io/cleanup`: a pure four-state planner and the
 * JSON Patches that add or remove it as one list item, guarded by `test`
 * operations so another controller's finalizers are never clobbered (W-R3).
 */

export const FINALIZER = "devops.stochastic.io/cleanup";

/** What the reconciler must do about the finalizer of one object. */
export type FinalizerPlan =
  /** Live and finalized: reconcile normally. */
  | "reconcile"
  /** Live and not yet finalized: add the finalizer first. */
  | "add"
  /** Being deleted and still ours: clean up, then remove the finalizer. */
  | "cleanupThenRemove"
  /** Being deleted and no longer ours: nothing to do. */
  | "none";

export interface FinalizableMeta {
  resourceVersion?: string | undefined;
  deletionTimestamp?: string | undefined;
  finalizers?: string[] | undefined;
}

/** Plans from "has our finalizer?" × "is it being deleted?". */
export function planFinalizer(meta: FinalizableMeta, name = FINALIZER): FinalizerPlan {
  const has = (meta.finalizers ?? []).includes(name);
  const deleting = meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;
  if (deleting) return has ? "cleanupThenRemove" : "none";
  return has ? "reconcile" : "add";
}

export type JsonPatchOp =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string };

/**
 * Appends the finalizer. With an existing list the `test` pins the list we saw, so a
 * concurrent change fails the patch (409/422) instead of being overwritten; with no
 * list the `test` pins the resourceVersion.
 */
export function addFinalizerPatch(meta: FinalizableMeta, name = FINALIZER): JsonPatchOp[] {
  if (meta.finalizers === undefined) {
    if (meta.resourceVersion === undefined) throw new TypeError("cannot guard a finalizer add without resourceVersion");
    return [
      { op: "test", path: "/metadata/resourceVersion", value: meta.resourceVersion },
      { op: "add", path: "/metadata/finalizers", value: [name] },
    ];
  }
  return [
    { op: "test", path: "/metadata/finalizers", value: meta.finalizers },
    { op: "add", path: "/metadata/finalizers/-", value: name },
  ];
}

/** Removes exactly our item: `test` that index still holds our name, then `remove` it. */
export function removeFinalizerPatch(meta: FinalizableMeta, name = FINALIZER): JsonPatchOp[] {
  const index = (meta.finalizers ?? []).indexOf(name);
  if (index < 0) return [];
  const path = `/metadata/finalizers/${index}`;
  return [
    { op: "test", path, value: name },
    { op: "remove", path },
  ];
}
