/**
 * @module
 * Shared by the watch tests and the scale bench: deterministic pods of every kind the
 * checks care about, the scores a fresh evaluation of a cluster's pods gives (the
 * engine's analyze arithmetic), and a parser for the /metrics text.
 */
import { DEFAULT_CHECK_SET, type CheckSet } from "../../lib/checks/check-set.ts";
import { tallyPod } from "../../lib/checks/evaluate.ts";
import type { PodLike } from "../../lib/k8s-objects.ts";
import { isSystemNamespace } from "../../lib/namespaces.ts";
import { addTallyInto, emptyTally, scoreTally, type Tally } from "../../lib/score.ts";
export { prng } from "../support/prng.ts";


/** A pod whose shape is picked by `variant`: clean, :latest, no probes, restarting, Pending, Succeeded. */
export function makePod(namespace: string, name: string, variant: number) {
  const kind = variant % 6;
  const probes = kind === 2 ? {} : { livenessProbe: { httpGet: { path: "/healthz", port: 8080 } }, readinessProbe: { httpGet: { path: "/ready", port: 8080 } } };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      labels: { app: name.replace(/-\d+$/, ""), "pod-template-hash": "5d8f7c9b6" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${namespace}-rs`, uid: "00000000-0000-0000-0000-000000000001", controller: true }],
    },
    spec: {
      containers: [
        { name: "app", image: kind === 1 ? "registry.example/app:latest" : "registry.example/app:1.4.2", ports: [{ containerPort: 8080 }], resources: { requests: { cpu: "100m", memory: "128Mi" } }, ...probes },
        { name: "sidecar", image: "registry.example/proxy:2.0", livenessProbe: { tcpSocket: { port: 15000 } }, readinessProbe: { tcpSocket: { port: 15000 } } },
      ],
      nodeName: kind === 4 ? undefined : "node-1",
    },
    status: {
      phase: kind === 4 ? "Pending" : kind === 5 ? "Succeeded" : "Running",
      containerStatuses: [
        { name: "app", ready: true, restartCount: kind === 3 ? 4 + (variant % 7) : 0, image: "registry.example/app:1.4.2" },
        { name: "sidecar", ready: true, restartCount: 0, image: "registry.example/proxy:2.0" },
      ],
    },
  };
}

export interface Expected {
  cluster: number;
  namespaces: Record<string, number>;
  pods: number;
}

/** The scores of `pods` evaluated afresh: pod-weighted cluster, one per namespace with pods. */
export function expectedScores(pods: readonly PodLike[], now: number, setOf: (ns: string) => CheckSet = () => DEFAULT_CHECK_SET): Expected {
  const total = emptyTally();
  const byNs = new Map<string, Tally>();
  let count = 0;
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? "default";
    if (isSystemNamespace(ns)) continue;
    count++;
    const t = tallyPod(pod, setOf(ns), { now });
    addTallyInto(total, t);
    const acc = byNs.get(ns) ?? emptyTally();
    byNs.set(ns, addTallyInto(acc, t));
  }
  return { cluster: scoreTally(total), namespaces: Object.fromEntries([...byNs].map(([ns, t]) => [ns, scoreTally(t)]).sort()), pods: count };
}

/** The watch scores a /metrics text shows. */
export function scrapedScores(text: string): Expected & { present: boolean } {
  const cluster = /^cluster_health_score (\S+)$/m.exec(text);
  const pods = /^pods_tracked_total (\S+)$/m.exec(text);
  const namespaces: Record<string, number> = {};
  for (const m of text.matchAll(/^namespace_health_score\{namespace="([^"]+)"\} (\S+)$/gm)) namespaces[m[1]!] = Number(m[2]);
  return { present: cluster !== null, cluster: Number(cluster?.[1]), namespaces: Object.fromEntries(Object.entries(namespaces).sort()), pods: Number(pods?.[1]) };
}
