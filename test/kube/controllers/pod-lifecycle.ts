/**
 * @module
 * Pods as the workload controllers create them and as scheduler + kubelet then report
 * them: a pod from a template with a controller reference, bound to a Node, and a
 * Running status with ready containers (or Pending/Unschedulable when no Node exists).
 */
import { createHash } from "node:crypto";
import { controllerRef, type Obj } from "./controller-api.ts";

type Json = Record<string, unknown>;

/** A new pod from a workload's pod template. */
export function podFromTemplate(owner: Obj, template: Json, name: { name?: string; generateName?: string }, extraLabels: Record<string, string>, nodeName?: string): Obj {
  const meta = (template.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
  const spec = structuredClone((template.spec ?? {}) as Json);
  if (nodeName) spec.nodeName = nodeName;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...name,
      namespace: owner.metadata.namespace,
      labels: { ...(meta.labels ?? {}), ...extraLabels },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec,
  };
}

/** The node a new pod lands on: round robin over the nodes that fit its nodeSelector. */
export function pickNode(nodes: Obj[], podSpec: Json, counter: number): Obj | undefined {
  const selector = (podSpec.nodeSelector ?? {}) as Record<string, string>;
  const fit = nodes.filter((n) => !n.metadata.deletionTimestamp && Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v));
  return fit.length === 0 ? undefined : fit[counter % fit.length];
}

function nodeIp(node: Obj, index: number): string {
  const addresses = ((node.status as Json | undefined)?.addresses ?? []) as { type?: string; address?: string }[];
  return addresses.find((a) => a.type === "InternalIP")?.address ?? `10.0.0.${(index % 250) + 1}`;
}

function imageId(image: string): string {
  const digest = createHash("sha256").update(image).digest("hex");
  const repo = image.split("@")[0]!.replace(/:[^/:]+$/, "");
  const full = repo.includes("/") ? (repo.split("/")[0]!.includes(".") ? repo : `docker.io/${repo}`) : `docker.io/library/${repo}`;
  return `${full}@sha256:${digest}`;
}

function condition(type: string, status: string, now: string, extra: Json = {}): Json {
  return { type, status, lastProbeTime: null, lastTransitionTime: now, ...extra };
}

/** What the kubelet reports for a started pod: Running, every container ready, no restarts. */
export function runningPodStatus(pod: Obj, node: Obj, nodeIndex: number, podIp: string, now: string): Json {
  const spec = (pod.spec ?? {}) as { containers?: { name: string; image?: string }[]; initContainers?: { name: string; image?: string }[] };
  const hostIP = nodeIp(node, nodeIndex);
  const running = (c: { name: string; image?: string }, ready: boolean) => ({
    name: c.name,
    image: c.image ?? "",
    imageID: imageId(c.image ?? ""),
    containerID: `containerd://${createHash("sha256").update(`${pod.metadata.uid}/${c.name}`).digest("hex")}`,
    ready,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: now } },
    lastState: {},
  });
  const status: Json = {
    ...((pod.status as Json | undefined) ?? {}),
    phase: "Running",
    conditions: [
      condition("PodReadyToStartContainers", "True", now),
      condition("Initialized", "True", now),
      condition("Ready", "True", now),
      condition("ContainersReady", "True", now),
      condition("PodScheduled", "True", now),
    ],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime: now,
    containerStatuses: (spec.containers ?? []).map((c) => running(c, true)),
  };
  if (spec.initContainers?.length) {
    status.initContainerStatuses = spec.initContainers.map((c) => ({
      ...running(c, true),
      started: false,
      state: { terminated: { exitCode: 0, reason: "Completed", startedAt: now, finishedAt: now, containerID: "" } },
    }));
  }
  return status;
}

/** The Secrets a pod mounts without `optional: true`: the kubelet starts no container until each exists. */
export function requiredSecrets(pod: Obj): string[] {
  const volumes = ((pod.spec as Json | undefined)?.volumes ?? []) as { secret?: { secretName?: string; optional?: boolean } }[];
  return volumes.flatMap((v) => (v.secret?.secretName && v.secret.optional !== true ? [v.secret.secretName] : []));
}

/**
 * What the kubelet reports for a scheduled pod whose Secret volume does not exist (FailedMount):
 * Pending, containers waiting in ContainerCreating, not ready, until the Secret is created.
 */
export function containerCreatingPodStatus(pod: Obj, node: Obj, nodeIndex: number, now: string): Json {
  const spec = (pod.spec ?? {}) as { containers?: { name: string; image?: string }[] };
  const hostIP = nodeIp(node, nodeIndex);
  return {
    ...((pod.status as Json | undefined) ?? {}),
    phase: "Pending",
    conditions: [condition("PodReadyToStartContainers", "False", now), condition("Initialized", "True", now), condition("Ready", "False", now, { reason: "ContainersNotReady" }), condition("ContainersReady", "False", now, { reason: "ContainersNotReady" }), condition("PodScheduled", "True", now)],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    startTime: now,
    containerStatuses: (spec.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? "", imageID: "", ready: false, started: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } }, lastState: {} })),
  };
}

/** The scheduler's verdict when there is no Node to run on. */
export function unschedulablePodStatus(pod: Obj, nodeCount: number, now: string): Json {
  return {
    ...((pod.status as Json | undefined) ?? {}),
    phase: "Pending",
    conditions: [
      condition("PodScheduled", "False", now, {
        reason: "Unschedulable",
        message: `0/${nodeCount} nodes are available: ${nodeCount === 0 ? "no nodes available to schedule pods" : `${nodeCount} node(s) didn't match Pod's node affinity/selector`}.`,
      }),
    ],
  };
}

/** Whether the pod counts as ready (Ready condition True). */
export function isPodReady(pod: Obj): boolean {
  const conditions = ((pod.status as Json | undefined)?.conditions ?? []) as { type?: string; status?: string }[];
  return conditions.some((c) => c.type === "Ready" && c.status === "True");
}
