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

/** Re-aggregates on every ClusterRole change; `idle` resolves when the last pass is done. */
export function startClusterRoleAggregation(api: ControllerApi, onError: (err: unknown) => void): { stop(): void; idle(): Promise<void> } {
  let pending: Promise<void> = Promise.resolve();
  const run = () => {
    pending = pending.then(() => aggregateClusterRoles(api)).catch(onError);
  };
  run();
  const stop = api.subscribe(() => run(), { resource: GR });
  return {
    stop,
    async idle() {
      // Events arrive in microtasks after a write; let them queue their pass first.
      await new Promise((r) => setTimeout(r, 0));
      await pending;
    },
  };
}
