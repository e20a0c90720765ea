/**
 * @module
 * The reconcile operator's cost per pod. Memory: 20k live pods held as the
 * operator holds them (trimmed, indexed by namespace) against holding the full
 * objects. Time: one reconcile's evaluation of a 1,000-pod namespace from that
 * memory against the reference's way (decode an unpaginated LIST of the same
 * pods, then evaluate). Prints one BenchResult.
 */
import { heapStats } from "bun:jsc";
import { evaluatePolicy } from "../lib/operator/evaluate-policy.ts";
import { PodIndex, trimPod } from "../lib/operator/pod-index.ts";
import { median, timeRuns } from "./lib/measure.ts";
import { emitResult } from "./lib/result.ts";

const PODS = Number(process.env.BENCH_OPERATOR_PODS ?? 20_000);
const NAMESPACE_PODS = 1000;
const SPEC = { forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true, maxRestartCount: 3, forbidPendingDuration: 300, requireResourceRequests: true };

/** A pod as the API server returns it: managedFields, status conditions, two containers. */
function livePod(i: number): Record<string, unknown> {
  const ns = `team-${i % 20}`;
  const container = (name: string) => ({
    name,
    image: i % 7 === 0 ? `registry.example.com/${name}:latest` : `registry.example.com/${name}:1.${i % 9}.0`,
    ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
    env: Array.from({ length: 6 }, (_, k) => ({ name: `SETTING_${k}`, value: `value-${k}-${"x".repeat(16)}` })),
    resources: i % 5 === 0 ? {} : { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    ...(i % 3 === 0 ? {} : { livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 10 } }),
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    volumeMounts: [{ name: "kube-api-access", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true }],
    terminationMessagePath: "/dev/termination-log",
    imagePullPolicy: "IfNotPresent",
  });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `web-7c9d8f6b5-${i.toString(36).padStart(5, "0")}`,
      namespace: ns,
      uid: `5b0c7a1e-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
      resourceVersion: String(100000 + i),
      creationTimestamp: "2026-11-25T10:00:00Z",
      labels: { app: "web", "pod-template-hash": "7c9d8f6b5", "app.kubernetes.io/name": "web" },
      annotations: { "prometheus.io/scrape": "true", "kubectl.kubernetes.io/restartedAt": "2026-11-25T09:59:00Z" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7c9d8f6b5", uid: "rs-uid", controller: true, blockOwnerDeletion: true }],
      managedFields: [{ manager: "kube-controller-manager", operation: "Update", apiVersion: "v1", time: "2026-11-25T10:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:labels": {} }, "f:spec": { "f:containers": {} } } }],
    },
    spec: { containers: [container("app"), container("proxy")], nodeName: `node-${i % 50}`, serviceAccountName: "web", restartPolicy: "Always", dnsPolicy: "ClusterFirst" },
    status: {
      phase: i % 97 === 0 ? "Pending" : "Running",
      conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({ type, status: "True", lastTransitionTime: "2026-11-25T10:00:05Z" })),
      hostIP: "10.0.0.1",
      podIP: `10.1.${(i >> 8) & 255}.${i & 255}`,
      startTime: "2026-11-25T10:00:00Z",
      containerStatuses: ["app", "proxy"].map((name) => ({ name, ready: true, restartCount: i % 11, image: "img", imageID: "sha256:abc", containerID: "containerd://abc", started: true, state: { running: { startedAt: "2026-11-25T10:00:04Z" } } })),
    },
  };
}

function heapMB(): number {
  Bun.gc(true);
  Bun.gc(true);
  return heapStats().heapSize / 2 ** 20;
}

/**
 * Heap (MiB) after building and holding PODS pods one way ("none" holds nothing: the baseline of
 * the process itself). Run in a child so that nothing else is on its heap.
 */
function measureIn(kind: "none" | "full" | "trimmed"): number {
  const full = new Map<string, unknown>();
  const index = new PodIndex();
  for (let i = 0; i < PODS; i++) {
    const decoded = JSON.parse(JSON.stringify(livePod(i))) as Record<string, unknown>;
    if (kind === "full") full.set(`k${i}`, decoded);
    else if (kind === "trimmed") {
      const pod = trimPod(decoded);
      index.upsert(`${pod.metadata?.namespace}/${pod.metadata?.name}`, pod);
    }
  }
  const mb = heapMB();
  if (kind !== "none" && full.size + index.size !== PODS) throw new Error("lost pods");
  return mb;
}

async function measureMemory(): Promise<{ full: number; trimmed: number }> {
  const run = async (kind: string): Promise<number> => {
    const proc = Bun.spawn(["bun", import.meta.path, `--memory=${kind}`], { stdout: "pipe", stderr: "inherit" });
    const text = await new Response(proc.stdout).text();
    if ((await proc.exited) !== 0) throw new Error(`memory child ${kind} failed`);
    return Number(text.trim());
  };
  const none = await run("none");
  const perPodKiB = async (kind: string): Promise<number> => (((await run(kind)) - none) * 1024) / PODS;
  return { full: await perPodKiB("full"), trimmed: await perPodKiB("trimmed") };
}

async function main(): Promise<void> {
  const memory = await measureMemory();
  const pods = Array.from({ length: NAMESPACE_PODS }, (_, i) => livePod(i * 20));
  const listBody = JSON.stringify({ apiVersion: "v1", kind: "PodList", metadata: { resourceVersion: "1" }, items: pods });
  const index = new PodIndex();
  for (const p of pods) {
    const t = trimPod(p);
    index.upsert(`${t.metadata?.namespace}/${t.metadata?.name}`, t);
  }
  const now = Date.parse("2026-11-25T12:00:00Z");
  // Interleaved, so load from elsewhere on the machine hits both sides alike.
  const oursRuns: number[] = [];
  const referenceRuns: number[] = [];
  for (let round = 0; round < 40; round++) {
    oursRuns.push(...(await timeRuns(() => evaluatePolicy(SPEC, index.podsIn("team-0"), now), 1, round === 0 ? 3 : 0)));
    referenceRuns.push(...(await timeRuns(() => evaluatePolicy(SPEC, (JSON.parse(listBody) as { items: never[] }).items, now), 1, round === 0 ? 3 : 0)));
  }
  const [ours, reference] = [median(oursRuns), median(referenceRuns)];
  emitResult({
    name: "operator",
    title: "Reconcile operator: memory per pod and one reconcile's evaluation",
    setup: `${PODS} synthetic live pods (2 containers, managedFields, status), 20 namespaces; reconcile of a ${NAMESPACE_PODS}-pod namespace with 6 checks; heap measured after a full GC`,
    figures: [
      { label: "heap per pod held by the operator (trimmed, indexed)", value: memory.trimmed, unit: "KiB", baseline: { label: "full pod objects", value: memory.full }, ratio: memory.trimmed / memory.full, ratioMeaning: "trimmed / full, lower is better", target: "≤ 0.3", met: memory.trimmed / memory.full <= 0.3 },
      { label: `evaluation of ${NAMESPACE_PODS} pods from the pod index`, value: ours, unit: "ms", baseline: { label: "decode an unpaginated LIST, then evaluate (reference)", value: reference }, ratio: ours / reference, ratioMeaning: "ours / reference, lower is better", target: "≤ 0.5", met: ours / reference <= 0.5 },
    ],
    notes: ["The reference also re-LISTs the namespace over the network on every reconcile; that round trip is not counted here."],
  });
}

const child = process.argv.find((a) => a.startsWith("--memory="))?.slice("--memory=".length);
if (child === "none" || child === "full" || child === "trimmed") process.stdout.write(`${measureIn(child)}\n`);
else await main();
