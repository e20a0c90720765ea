/**
 * @module
 * The clusterrole-aggregation controller: writes the union of the selected ClusterRoles'
 * rules into every ClusterRole with an aggregationRule, so `kubectl get clusterrole -o yaml`
 * shows what the authorizer (which aggregates on the fly) enforces.
 */
import { aggregateClusterRoleRules, type ClusterRole } from "../auth/rbac-rules.ts";
import { controllerUser, statusChanged, type ControllerApi, type Obj } from "./controller-api.ts";

const GR = "clusterroles.rbac.authorization.k8s.io";

/** Brings every aggregated ClusterRole's stored rules up to date. */
export async function aggregateClusterRoles(api: ControllerApi): Promise<void> {
  const all = api.list(GR) as (Obj & ClusterRole)[];
  for (const role of all) {
    if (!role.aggregationRule?.clusterRoleSelectors) continue;
    const rules = aggregateClusterRoleRules(role, all);
    if (!statusChanged(role.rules ?? [], rules)) continue;
    await api.update(GR, { ...role, rules }, { name: role.metadata.name, user: controllerUser("clusterrole-aggregation-controller") });
  }
}

/** Re-aggregates on every ClusterRole change; returns the unsubscribe function. */
export function startClusterRoleAggregation(api: ControllerApi, onError: (err: unknown) => void): () => void {
  let pending: Promise<void> = Promise.resolve();
  const run = () => {
    pending = pending.then(() => aggregateClusterRoles(api)).catch(onError);
  };
  run();
  return api.subscribe(() => run(), { resource: GR });
}
