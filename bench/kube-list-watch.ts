/**
 * @module
 * lib/kube list+watch at scale, against the API emulator over HTTPS (in this
 * process; its memory is the same in both runs and cancels out). Figures:
 * - memory kept for N realistic pods by a list+watch loop that projects each pod
 *   to a few numbers, vs. keeping the pod objects (what an informer cache does);
 * - time to the first `synced` (pages of 500), vs. one unpaginated GET + JSON.parse;
 * - watch event cost: M captured watch events run through the loop's per-event
 *   path (decode + store + projection), vs. decoding the same bytes only.
 * Prints one BenchResult.
 */
import { heapStats } from "bun:jsc";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../lib/kube/connect.ts";
import { listWatch } from "../lib/kube/list-watch.ts";
import { decodeJsonLines } from "../lib/kube/json-lines.ts";
import { PODS } from "../lib/kube/resources.ts";
import type { KubeObject } from "../lib/kube/types.ts";
import { startEmulator } from "../test/kube/emulator.ts";
import { emitResult, type Figure } from "./lib/result.ts";

const PODS_N = Number(process.env.BENCH_KUBE_PODS ?? 20_000);
const MODS = Number(process.env.BENCH_KUBE_MODS ?? 5_000);

function realisticPod(i: number): KubeObject {
  const container = (name: string) => ({
    name,
    image: `registry.example.com/team/${name}:1.4.${i % 7}`,
    ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
    env: Array.from({ length: 6 }, (_, k) => ({ name: `SETTING_${k}`, value: `value-${k}-${"x".repeat(16)}` })),
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 10 },
  });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `web-${i}`, namespace: `ns-${i % 50}`, labels: { app: "web", "pod-template-hash": "7c9d8f6b5" }, annotations: { "prometheus.io/scrape": "true" } },
    spec: { containers: [container("app"), container("sidecar")], serviceAccountName: "web", restartPolicy: "Always", nodeName: `node-${i % 40}` },
    status: { phase: "Running", containerStatuses: [{ name: "app", restartCount: i % 5, ready: true }, { name: "sidecar", restartCount: 0, ready: true }] },
  } as KubeObject;
}

type Projection = { restarts: number; pending: boolean; ns: number };
const project = (pod: KubeObject): Projection => {
  const s = (pod as { status?: { phase?: string; containerStatuses?: { restartCount?: number }[] } }).status;
  return { restarts: (s?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0), pending: s?.phase === "Pending", ns: 0 };
};

function heapAfterGc(): number {
  Bun.gc(true);
  return heapStats().heapSize;
}

const emu = await startEmulator();
for (let ns = 0; ns < 50; ns++) await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: `ns-${ns}` } });
// Created through the API (not seeded) so defaults are applied and later status writes validate.
for (let i = 0; i < PODS_N; i++) await emu.store.create("pods", realisticPod(i) as never);
const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-bench-")), "config"));
const { client, server } = connect({ kubeconfig, env: {}, rateLimit: false });
const figures: Figure[] = [];

// Baseline: one unpaginated list, every pod object kept (an informer cache's memory).
let heap0 = heapAfterGc();
let t0 = performance.now();
const res = await client.executor.send({ method: "GET", path: "/api/v1/pods", verb: "list", resource: "pods", idempotent: true });
const full = ((await res.json()) as { items: KubeObject[] }).items;
const rawListMs = performance.now() - t0;
const cache = new Map(full.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]));
const fullBytes = heapAfterGc() - heap0;
if (cache.size !== PODS_N) throw new Error(`expected ${PODS_N} pods, got ${cache.size}`);
cache.clear();
full.length = 0;

// The loop: pages of 500, projections only.
heap0 = heapAfterGc();
t0 = performance.now();
let applied = 0;
let resolveSynced: () => void = () => {};
const synced = new Promise<void>((r) => (resolveSynced = r));
let resolveMods: () => void = () => {};
const modsDone = new Promise<void>((r) => (resolveMods = r));
const loop = listWatch<Projection>({
  client,
  type: PODS,
  project,
  onEvent: (e) => {
    if (e.type === "synced") resolveSynced();
    if (e.type === "modified" && ++applied === MODS) resolveMods();
  },
});
void loop.start();
await synced;
const syncMs = performance.now() - t0;
const projectedBytes = heapAfterGc() - heap0;
if (loop.store.size !== PODS_N) throw new Error(`loop holds ${loop.store.size}`);

// Watch throughput: MODS status changes go through the running loop; then the same
// history is replayed twice: through the loop's per-event path (stream decode + store
// upsert + projection) and decoded only (the floor).
const startRv = emu.store.listPage("pods", {}).resourceVersion;
for (let i = 0; i < MODS; i++) {
  const name = `web-${i % PODS_N}`;
  await emu.store.patch("pods", `ns-${i % PODS_N % 50}`, name, "application/merge-patch+json", JSON.stringify({ status: { phase: "Running", containerStatuses: [{ name: "app", restartCount: i, ready: true }] } }), { subresource: "status" });
}
await modsDone;
await loop.stop();

// Capture the watch stream's bytes once, then time the client side only, from memory.
const chunks: Uint8Array[] = [];
{
  const ctrl = new AbortController();
  const res = await client.executor.send({ method: "GET", path: "/api/v1/pods", query: { watch: true, resourceVersion: startRv, timeoutSeconds: 60 }, verb: "watch", resource: "pods", idempotent: true, stream: true, signal: ctrl.signal });
  let lines = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    for (const b of chunk) if (b === 10) lines++;
    if (lines >= MODS) break;
  }
  ctrl.abort();
}
async function* fromMemory(): AsyncGenerator<Uint8Array> {
  yield* chunks;
}
async function replay(apply: (line: { type: string; object: KubeObject }) => void): Promise<number> {
  const t = performance.now();
  for await (const line of decodeJsonLines(fromMemory())) apply(line as { type: string; object: KubeObject });
  return performance.now() - t;
}
// Alternate and keep the best of five, so warm-up favours neither side.
let rawWatchMs = Number.POSITIVE_INFINITY;
let loopWatchMs = Number.POSITIVE_INFINITY;
for (let round = 0; round < 5; round++) {
  rawWatchMs = Math.min(rawWatchMs, await replay(() => {}));
  // A fresh resourceVersion per round, so every event really updates the store.
  loopWatchMs = Math.min(loopWatchMs, await replay((line) => void loop.store.upsert({ ...line.object, metadata: { ...line.object.metadata, resourceVersion: `${round}-${line.object.metadata?.resourceVersion}` } })));
}
await emu.stop();

const mb = (b: number): number => b / 2 ** 20;
figures.push({
  label: `memory kept for ${PODS_N} pods (projection to a few numbers)`,
  value: mb(projectedBytes),
  unit: "MiB",
  baseline: { label: "keeping the pod objects (informer cache)", value: mb(fullBytes) },
  ratio: projectedBytes / fullBytes,
  ratioMeaning: "of the baseline's memory",
  target: "≤ 0.25×",
  met: projectedBytes / fullBytes <= 0.25,
});
figures.push({
  label: `time to first synced, ${PODS_N} pods in pages of 500 over HTTPS`,
  value: syncMs,
  unit: "ms",
  baseline: { label: "one unpaginated GET + JSON.parse", value: rawListMs },
  ratio: syncMs / rawListMs,
  ratioMeaning: "× the baseline's time",
  target: "≤ 2×",
  met: syncMs / rawListMs <= 2,
});
figures.push({
  label: `${MODS} watch events: decode + store + projection (the loop's per-event path)`,
  value: loopWatchMs,
  unit: "ms",
  baseline: { label: "the same bytes, JSON-lines decode only", value: rawWatchMs },
  ratio: loopWatchMs / rawWatchMs,
  ratioMeaning: "× the baseline's time",
  target: "≤ 1.5×",
  met: loopWatchMs / rawWatchMs <= 1.5,
});
emitResult({
  name: "kube-list-watch",
  title: "lib/kube list+watch: memory and speed at scale",
  setup: `${PODS_N} realistic pods (~2 KB JSON each) in the API emulator over HTTPS at ${server}, same process; memory = JSC heap after full GC`,
  figures,
  notes: ["The emulator's own memory is identical in both measurements and cancels out of the deltas."],
});
