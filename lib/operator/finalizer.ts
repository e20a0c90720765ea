/**
 * @module
 * The reference's finalizer `devops.stochastic.io/cleanup`, which we no longer add: all it
 * guarded was the operator's in-memory metrics, which a deletion seen in the watch cleans up as
 * well, while it made every DevOpsPolicy — and so its namespace, and the CRD — undeletable
 * whenever the operator was not running (after an uninstall, for good). Policies that carry it
 * (from the reference or an older kube-devops) have it released: a pure four-state planner and a
 * JSON Patch that removes exactly our item, guarded by a `test` so another controller's
 * finalizers are never clobbered (W-R3). docs/decisions/0011.
 */

export const FINALIZER = "devops.stochastic.io/cleanup";

/** What the reconciler must do about one policy, given its finalizers and deletion state. */
export type FinalizerPlan =
  /** Live, without our finalizer: reconcile normally. */
  | "reconcile"
  /** Live with our (legacy) finalizer: release it, then reconcile. */
  | "releaseThenReconcile"
  /** Being deleted with our finalizer: clean up, then release it. */
  | "cleanupThenRelease"
  /** Being deleted (other controllers' finalizers may hold it): clean up only. */
  | "cleanup";

export interface FinalizableMeta {
  deletionTimestamp?: string | undefined;
  finalizers?: string[] | undefined;
}

/** Plans from "has our finalizer?" × "is it being deleted?". */
export function planFinalizer(meta: FinalizableMeta, name = FINALIZER): FinalizerPlan {
  const has = (meta.finalizers ?? []).includes(name);
  const deleting = meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;
  if (deleting) return has ? "cleanupThenRelease" : "cleanup";
  return has ? "releaseThenReconcile" : "reconcile";
}

export type JsonPatchOp = { op: "test"; path: string; value: unknown } | { op: "remove"; path: string };

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
