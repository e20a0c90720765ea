/**
 * @module
 * The Deployment controller: finds the ReplicaSet whose template equals the Deployment's
 * (ignoring pod-template-hash) or creates `<name>-<hash>` with the next revision, scales it
 * to spec.replicas and every older one to 0, prunes history beyond revisionHistoryLimit,
 * and reports status and conditions. Pods are ready at once, so a rollout completes in
 * one pass; the end state is what the real RollingUpdate reaches.
 */
import { controllerRef, controllerUser, ownedBy, statusChanged, tryGet, type Obj } from "./controller-api.ts";
import { computeTemplateHash, templatesEqualIgnoringHash } from "./pod-template-hash.ts";
import type { ControllerContext } from "./workload-controllers.ts";

type Json = Record<string, unknown>;
const REVISION = "deployment.kubernetes.io/revision";
const USER = controllerUser("deployment-controller");

function revisionOf(rs: Obj): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? 0) || 0;
}

/** intstr percentages (rounded up for surge, down for unavailable) or plain numbers. */
function resolveIntOrPercent(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.endsWith("%")) {
    const x = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return Number(v) || 0;
}

function condition(prev: Json[], type: string, status: string, reason: string, message: string, now: string): Json {
  const old = prev.find((c) => c.type === type);
  const same = old && old.status === status && old.reason === reason && old.message === message;
  const transition = old && old.status === status ? (old.lastTransitionTime as string) : now;
  return { type, status, lastUpdateTime: same ? old.lastUpdateTime : now, lastTransitionTime: transition, reason, message };
}

export async function reconcileDeployment(ctx: ControllerContext, namespace: string, name: string): Promise<void> {
  const { api } = ctx;
  const d = tryGet(api, "deployments.apps", namespace, name);
  if (!d || d.metadata.deletionTimestamp) return;
  const spec = (d.spec ?? {}) as { replicas?: number; template?: Json; selector?: Json; paused?: boolean; revisionHistoryLimit?: number; minReadySeconds?: number; strategy?: { type?: string; rollingUpdate?: { maxSurge?: unknown; maxUnavailable?: unknown } } };
  const replicas = spec.replicas ?? 1;
  const template = spec.template ?? {};
  const dStatus = (d.status ?? {}) as Json;
  let rss = ownedBy(api, "replicasets.apps", d).filter((rs) => !rs.metadata.deletionTimestamp);
  const maxRevision = Math.max(0, ...rss.map(revisionOf));
  let newRs = rss.find((rs) => templatesEqualIgnoringHash((rs.spec as Json | undefined)?.template, template));
  const rolling = spec.strategy?.type !== "Recreate";
  const surge = rolling ? resolveIntOrPercent(spec.strategy?.rollingUpdate?.maxSurge ?? "25%", replicas, true) : 0;
  const maxUnavailable = rolling ? resolveIntOrPercent(spec.strategy?.rollingUpdate?.maxUnavailable ?? "25%", replicas, false) : 0;
  let created = false;

  if (!newRs && !spec.paused) {
    const collisionCount = Number(dStatus.collisionCount ?? 0);
    const hash = computeTemplateHash(template, collisionCount);
    const rsName = `${name}-${hash}`;
    if (tryGet(api, "replicasets.apps", namespace, rsName)) {
      // A foreign or stale ReplicaSet holds the name: bump collisionCount and try again next pass.
      await api.update("deployments.apps", { ...d, status: { ...dStatus, collisionCount: collisionCount + 1 } }, { namespace, name, subresource: "status", user: USER });
      return;
    }
    const tplMeta = (template.metadata ?? {}) as Json & { labels?: Record<string, string> };
    const selector = (spec.selector ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    newRs = await api.create(
      "replicasets.apps",
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          name: rsName,
          namespace,
          labels: { ...(tplMeta.labels ?? {}), "pod-template-hash": hash },
          annotations: {
            "deployment.kubernetes.io/desired-replicas": String(replicas),
            "deployment.kubernetes.io/max-replicas": String(replicas + surge),
            [REVISION]: String(maxRevision + 1),
          },
          ownerReferences: [controllerRef(d)],
        },
        spec: {
          replicas,
          ...(spec.minReadySeconds ? { minReadySeconds: spec.minReadySeconds } : {}),
          selector: { ...selector, matchLabels: { ...(selector.matchLabels ?? {}), "pod-template-hash": hash } },
          template: { ...template, metadata: { ...tplMeta, labels: { ...(tplMeta.labels ?? {}), "pod-template-hash": hash } } },
        },
      },
      { namespace, user: USER },
    );
    rss = [...rss, newRs];
    created = true;
  }

  for (const rs of rss) {
    const want = rs === newRs || rs.metadata.name === newRs?.metadata.name ? replicas : spec.paused ? Number((rs.spec as Json).replicas ?? 0) : 0;
    const annotations = { ...(rs.metadata.annotations ?? {}) };
    if (rs.metadata.name === newRs?.metadata.name && revisionOf(rs) < maxRevision) annotations[REVISION] = String(maxRevision + 1); // rollback
    if (want > 0) annotations["deployment.kubernetes.io/desired-replicas"] = String(replicas);
    const current = Number((rs.spec as Json).replicas ?? 1);
    if (current === want && annotations[REVISION] === rs.metadata.annotations?.[REVISION]) continue;
    const fresh = tryGet(api, "replicasets.apps", namespace, rs.metadata.name ?? "");
    if (!fresh) continue;
    const updated = await api.update("replicasets.apps", { ...fresh, metadata: { ...fresh.metadata, annotations }, spec: { ...(fresh.spec as Json), replicas: want } }, { namespace, name: rs.metadata.name, user: USER });
    if (rs.metadata.name === newRs?.metadata.name) newRs = updated;
  }

  // Old, scaled-down ReplicaSets beyond revisionHistoryLimit go, oldest revision first.
  const old = rss.filter((rs) => rs.metadata.name !== newRs?.metadata.name).sort((a, b) => revisionOf(a) - revisionOf(b));
  const limit = spec.revisionHistoryLimit ?? 10;
  for (const rs of old.slice(0, Math.max(0, old.length - limit))) {
    const live = tryGet(api, "replicasets.apps", namespace, rs.metadata.name ?? "");
    const st = (live?.status ?? {}) as Json;
    if (live && Number((live.spec as Json).replicas ?? 0) === 0 && Number(st.replicas ?? 0) === 0) {
      await api.delete("replicasets.apps", namespace, rs.metadata.name ?? "", { user: USER });
    }
  }

  const fresh = tryGet(api, "deployments.apps", namespace, name);
  if (!fresh) return;
  const newRevision = newRs ? String(Math.max(revisionOf(newRs), created ? maxRevision + 1 : 0)) : undefined;
  if (newRevision && fresh.metadata.annotations?.[REVISION] !== newRevision) {
    await api.update("deployments.apps", { ...fresh, metadata: { ...fresh.metadata, annotations: { ...(fresh.metadata.annotations ?? {}), [REVISION]: newRevision } } }, { namespace, name, user: USER });
  }
  await writeDeploymentStatus(ctx, namespace, name, newRs?.metadata.name, created, maxUnavailable);
}

async function writeDeploymentStatus(ctx: ControllerContext, namespace: string, name: string, newRsName: string | undefined, created: boolean, maxUnavailable: number): Promise<void> {
  const d = tryGet(ctx.api, "deployments.apps", namespace, name);
  if (!d) return;
  const replicas = Number((d.spec as Json).replicas ?? 1);
  const rss = ownedBy(ctx.api, "replicasets.apps", d);
  const sum = (f: string) => rss.reduce((n, rs) => n + Number(((rs.status ?? {}) as Json)[f] ?? 0), 0);
  const total = sum("replicas");
  const ready = sum("readyReplicas");
  const available = sum("availableReplicas");
  const newRs = rss.find((rs) => rs.metadata.name === newRsName);
  const updated = Number(((newRs?.status ?? {}) as Json).replicas ?? 0);
  const prev = ((d.status as Json | undefined)?.conditions ?? []) as Json[];
  const now = ctx.now();
  const status: Json = { ...((d.status as Json | undefined) ?? {}) };
  status.observedGeneration = d.metadata.generation;
  for (const [k, v] of [["replicas", total], ["updatedReplicas", updated], ["readyReplicas", ready], ["availableReplicas", available], ["unavailableReplicas", Math.max(0, replicas - available)]] as const) {
    if (v > 0) status[k] = v;
    else delete status[k];
  }
  const availableOk = available >= replicas - maxUnavailable;
  const complete = updated === replicas && available === replicas && total === replicas;
  const progressing = complete
    ? condition(prev, "Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "${newRsName}" has successfully progressed.`, now)
    : created
      ? condition(prev, "Progressing", "True", "NewReplicaSetCreated", `Created new replica set "${newRsName}"`, now)
      : condition(prev, "Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "${newRsName}" is progressing.`, now);
  status.conditions = [
    availableOk
      ? condition(prev, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now)
      : condition(prev, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", now),
    progressing,
  ];
  if (statusChanged(d.status ?? {}, status)) {
    await ctx.api.update("deployments.apps", { ...d, status }, { namespace, name, subresource: "status", user: USER });
  }
}
