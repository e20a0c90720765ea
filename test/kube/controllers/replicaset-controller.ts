/**
 * @module
 * The ReplicaSet controller: keeps `spec.replicas` owned pods (creating them through
 * admission as system:serviceaccount:kube-system:replicaset-controller, so a webhook that
 * denies them shows up as a ReplicaFailure condition) and reports the status.
 */
import { controllerUser, ownedBy, statusChanged, tryGet } from "./controller-api.ts";
import type { ControllerContext } from "./workload-controllers.ts";
import { isPodReady, podFromTemplate } from "./pod-lifecycle.ts";

type Json = Record<string, unknown>;

export async function reconcileReplicaSet(ctx: ControllerContext, namespace: string, name: string): Promise<void> {
  const rs = tryGet(ctx.api, "replicasets.apps", namespace, name);
  if (!rs || rs.metadata.deletionTimestamp) return;
  const spec = (rs.spec ?? {}) as { replicas?: number; template?: Json };
  const desired = spec.replicas ?? 1;
  let pods = await ctx.rescheduleStranded(ownedBy(ctx.api, "pods", rs).filter((p) => !p.metadata.deletionTimestamp));
  let failure: string | undefined;

  for (let i = pods.length; i < desired; i++) {
    const pod = podFromTemplate(rs, spec.template ?? {}, { generateName: `${name}-` }, {});
    const started = await ctx.startPod(pod, "replicaset-controller");
    if ("error" in started) {
      failure = started.error;
      break;
    }
  }
  if (pods.length > desired) {
    // Unready first, then newest, as the controller's deletion ranking prefers.
    const ranked = [...pods].sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? ""));
    for (const p of ranked.slice(0, pods.length - desired)) await ctx.deletePod(p, "replicaset-controller");
  }
  pods = ownedBy(ctx.api, "pods", rs).filter((p) => !p.metadata.deletionTimestamp);
  const ready = pods.filter(isPodReady).length;
  const status: Json = { replicas: pods.length };
  if (pods.length > 0) status.fullyLabeledReplicas = pods.length;
  if (ready > 0) {
    status.readyReplicas = ready;
    status.availableReplicas = ready;
  }
  if (rs.metadata.generation !== undefined) status.observedGeneration = rs.metadata.generation;
  const previous = ((rs.status as Json | undefined)?.conditions ?? []) as Json[];
  if (failure) {
    const old = previous.find((c) => c.type === "ReplicaFailure");
    status.conditions = [{ type: "ReplicaFailure", status: "True", lastTransitionTime: (old?.lastTransitionTime as string) ?? ctx.now(), reason: "FailedCreate", message: failure }];
  }
  if (statusChanged(rs.status ?? {}, status)) {
    await ctx.api.update("replicasets.apps", { ...rs, status }, { namespace, name, subresource: "status", user: controllerUser("replicaset-controller") });
  }
}

