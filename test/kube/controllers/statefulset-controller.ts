/**
 * @module
 * The StatefulSet and DaemonSet controllers: ordinal pods `<name>-0..n-1` (hostname,
 * subdomain, pod-name/pod-index labels) and one pod per fitting Node, each labelled with
 * controller-revision-hash; pods of an older revision are replaced (RollingUpdate) unless
 * the strategy is OnDelete; status as the real controllers report it.
 */
import { controllerUser, ownedBy, statusChanged, tryGet, type Obj } from "./controller-api.ts";
import { computeTemplateHash } from "./pod-template-hash.ts";
import { isPodReady, podFromTemplate } from "./pod-lifecycle.ts";
import type { ControllerContext } from "./workload-controllers.ts";

type Json = Record<string, unknown>;
const REVISION_LABEL = "controller-revision-hash";

function live(pods: Obj[]): Obj[] {
  return pods.filter((p) => !p.metadata.deletionTimestamp);
}

export async function reconcileStatefulSet(ctx: ControllerContext, namespace: string, name: string): Promise<void> {
  const sts = tryGet(ctx.api, "statefulsets.apps", namespace, name);
  if (!sts || sts.metadata.deletionTimestamp) return;
  const spec = (sts.spec ?? {}) as { replicas?: number; template?: Json; serviceName?: string; updateStrategy?: { type?: string } };
  const replicas = spec.replicas ?? 1;
  const revision = `${name}-${computeTemplateHash(spec.template ?? {})}`;
  const onDelete = spec.updateStrategy?.type === "OnDelete";
  const owned = await ctx.rescheduleStranded(live(ownedBy(ctx.api, "pods", sts)));
  const byName = new Map(owned.map((p) => [p.metadata.name ?? "", p]));

  for (const p of owned) {
    const ordinal = Number((p.metadata.name ?? "").slice(name.length + 1));
    if (!(ordinal < replicas)) await ctx.deletePod(p, "statefulset-controller");
  }
  for (let i = 0; i < replicas; i++) {
    const podName = `${name}-${i}`;
    const existing = byName.get(podName);
    if (existing && (onDelete || existing.metadata.labels?.[REVISION_LABEL] === revision)) continue;
    if (existing) await ctx.deletePod(existing, "statefulset-controller");
    else if (tryGet(ctx.api, "pods", namespace, podName)) continue; // a pod it does not own holds the name
    const pod = podFromTemplate(sts, spec.template ?? {}, { name: podName }, {
      [REVISION_LABEL]: revision,
      "statefulset.kubernetes.io/pod-name": podName,
      "apps.kubernetes.io/pod-index": String(i),
    });
    (pod.spec as Json).hostname = podName;
    if (spec.serviceName) (pod.spec as Json).subdomain = spec.serviceName;
    const started = await ctx.startPod(pod, "statefulset-controller");
    if ("error" in started) break;
  }

  const pods = live(ownedBy(ctx.api, "pods", sts));
  const ready = pods.filter(isPodReady).length;
  const updated = pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length;
  const status: Json = {
    observedGeneration: sts.metadata.generation,
    replicas: pods.length,
    currentRevision: revision,
    updateRevision: revision,
    collisionCount: 0,
    availableReplicas: ready,
  };
  if (ready > 0) status.readyReplicas = ready;
  if (updated > 0) {
    status.currentReplicas = updated;
    status.updatedReplicas = updated;
  }
  if (statusChanged(sts.status ?? {}, status)) {
    await ctx.api.update("statefulsets.apps", { ...sts, status }, { namespace, name, subresource: "status", user: controllerUser("statefulset-controller") });
  }
}

export async function reconcileDaemonSet(ctx: ControllerContext, namespace: string, name: string): Promise<void> {
  const ds = tryGet(ctx.api, "daemonsets.apps", namespace, name);
  if (!ds || ds.metadata.deletionTimestamp) return;
  const spec = (ds.spec ?? {}) as { template?: Json; updateStrategy?: { type?: string } };
  const podSpec = ((spec.template ?? {}) as { spec?: Json }).spec ?? {};
  const selector = (podSpec.nodeSelector ?? {}) as Record<string, string>;
  const nodes = ctx.api.list("nodes").filter((n) => !n.metadata.deletionTimestamp && Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v));
  const nodeNames = new Set(nodes.map((n) => n.metadata.name));
  const revision = computeTemplateHash(spec.template ?? {});
  const onDelete = spec.updateStrategy?.type === "OnDelete";
  const owned = live(ownedBy(ctx.api, "pods", ds));

  for (const p of owned) {
    const node = (p.spec as Json | undefined)?.nodeName as string | undefined;
    const stale = !onDelete && p.metadata.labels?.[REVISION_LABEL] !== revision;
    if (!node || !nodeNames.has(node) || stale) await ctx.deletePod(p, "daemon-set-controller");
  }
  const remaining = live(ownedBy(ctx.api, "pods", ds));
  for (const node of nodes) {
    if (remaining.some((p) => (p.spec as Json | undefined)?.nodeName === node.metadata.name)) continue;
    const pod = podFromTemplate(ds, spec.template ?? {}, { generateName: `${name}-` }, { [REVISION_LABEL]: revision, "pod-template-generation": String(ds.metadata.generation ?? 1) }, node.metadata.name);
    const started = await ctx.startPod(pod, "daemon-set-controller", node);
    if ("error" in started) break;
  }

  const pods = live(ownedBy(ctx.api, "pods", ds));
  const scheduled = pods.filter((p) => nodeNames.has(((p.spec as Json | undefined)?.nodeName as string) ?? "")).length;
  const ready = pods.filter(isPodReady).length;
  const updated = pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length;
  const status: Json = {
    currentNumberScheduled: scheduled,
    numberMisscheduled: pods.length - scheduled,
    desiredNumberScheduled: nodes.length,
    numberReady: ready,
    observedGeneration: ds.metadata.generation,
  };
  if (updated > 0) status.updatedNumberScheduled = updated;
  if (ready > 0) status.numberAvailable = ready;
  if (nodes.length - ready > 0) status.numberUnavailable = nodes.length - ready;
  if (statusChanged(ds.status ?? {}, status)) {
    await ctx.api.update("daemonsets.apps", { ...ds, status }, { namespace, name, subresource: "status", user: controllerUser("daemon-set-controller") });
  }
}
