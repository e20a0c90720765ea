/**
 * @module
 * Soak (not in the default run: `bun run bench soak`): the compiled watch and
 * reconcile against the API emulator under continuous pod churn (modify, delete,
 * create under new names) for BENCH_SOAK_MINUTES (default 3), sampling VmRSS
 * every 5 s. Reports start/end RSS and the growth slope over the second half
 * (MB/min, least squares), target ≤ 1 MB/min. Prints one BenchResult.
 */
import type { Subprocess } from "bun";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEmulator, type Emulator } from "../test/kube/emulator.ts";
import { renderCrds } from "../gen/crd.ts";
import { ensureBinary } from "../test/support/binary.ts";
import { findRecord, startComponent } from "./lib/component.ts";
import { emitResult, type Figure } from "./lib/result.ts";

const ROOT = resolve(import.meta.dir, "..");
const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 3);
const SAMPLE_MS = 5_000;
const NAMESPACES = 20;
const PODS_PER_NAMESPACE = 100;
/** Pod changes per second the churn aims for. */
const CHURN_PER_SECOND = 200;
const TARGET_MB_PER_MIN = 1;

interface Component {
  name: string;
  args: string[];
  readyEvent: string;
  urlField: string;
}

const COMPONENTS: Component[] = [
  ...(existsSync(join(ROOT, "cmd", "watch.ts")) ? [{ name: "watch", args: ["watch", "--no-leader-elect"], readyEvent: "http_server_started", urlField: "addr" }] : []),
  { name: "reconcile", args: ["reconcile", "--no-leader-elect", "--pod-debounce", "1s"], readyEvent: "operator_started", urlField: "metrics" },
];

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return num / den;
}

function pod(namespace: string, name: string, generation: number): Record<string, unknown> {
  const image = generation % 5 === 0 ? "registry.example/app:latest" : `registry.example/app:1.${generation % 9}.0`;
  const probes = generation % 3 === 0 ? {} : { livenessProbe: { httpGet: { path: "/healthz", port: 8080 } }, readinessProbe: { httpGet: { path: "/ready", port: 8080 } } };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: "web", generation: String(generation) }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `web-${generation % 4}`, uid: `rs-${namespace}-${generation % 4}`, controller: true }] },
    spec: { containers: [{ name: "app", image, resources: { requests: { cpu: "100m", memory: "64Mi" } }, ...probes }] },
    status: { phase: "Running", containerStatuses: [{ name: "app", ready: true, restartCount: generation % 7, image, imageID: "sha256:abc", started: true, state: { running: {} } }] },
  };
}

/** Starts a component with JSON logs and waits until its /readyz answers 200. */
async function start(c: Component, kubeconfig: string): Promise<{ proc: Subprocess<"ignore", "ignore", "pipe">; url: string }> {
  const component = await startComponent([ensureBinary(), ...c.args, "--kubeconfig", kubeconfig, "--log-format", "json", "--metrics-addr", "127.0.0.1:0"], (r) => r.msg === c.readyEvent);
  const url = findRecord(component.records, c.readyEvent)?.[c.urlField] as string;
  const deadline = Date.now() + 60_000;
  while ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error(`${c.name} never became ready`);
    await Bun.sleep(100);
  }
  return { proc: component.proc, url };
}

async function seed(emu: Emulator): Promise<void> {
  for (const crd of renderCrds()) await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as never);
  for (let n = 0; n < NAMESPACES; n++) {
    const namespace = `team-${n}`;
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } } as never);
    await emu.store.create("devopspolicies.devops.stochastic.io", { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "team", namespace }, spec: { forbidLatestTag: true, requireLivenessProbe: true, maxRestartCount: 3 } } as never, { namespace });
    for (let i = 0; i < PODS_PER_NAMESPACE; i++) emu.store.load(pod(namespace, `web-${i}-g0`, i) as never, { quiet: true });
  }
}

/** Churns pods until `signal` aborts: 70% modified in place, 30% deleted and re-created under a new name. */
async function churn(emu: Emulator, signal: AbortSignal): Promise<number> {
  const names: string[][] = Array.from({ length: NAMESPACES }, (_, n) => Array.from({ length: PODS_PER_NAMESPACE }, (_, i) => `web-${i}-g0`));
  let events = 0;
  let generation = 1;
  while (!signal.aborted) {
    const tick = performance.now();
    for (let k = 0; k < CHURN_PER_SECOND / 10; k++, generation++) {
      const n = generation % NAMESPACES;
      const i = (generation * 7919) % PODS_PER_NAMESPACE;
      const namespace = `team-${n}`;
      const row = names[n]!;
      if (generation % 10 < 3) {
        await emu.store.delete("pods", namespace, row[i]!).catch(() => undefined);
        row[i] = `web-${i}-g${generation}`;
      }
      emu.store.load(pod(namespace, row[i]!, generation) as never);
      events++;
    }
    await Bun.sleep(Math.max(0, 100 - (performance.now() - tick)));
  }
  return events;
}

async function main(): Promise<void> {
  const emu = await startEmulator();
  const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-soak-")), "kubeconfig"));
  await seed(emu);
  const running = [];
  for (const c of COMPONENTS) running.push({ c, ...(await start(c, kubeconfig)) });
  const ctrl = new AbortController();
  const churning = churn(emu, ctrl.signal);
  const began = performance.now();
  const samples = new Map<string, Array<[number, number]>>(running.map((r) => [r.c.name, []]));
  const durationMs = MINUTES * 60_000;
  for (let t = 0; t <= durationMs; t += SAMPLE_MS) {
    await Bun.sleep(Math.max(0, t - (performance.now() - began)));
    const minute = (performance.now() - began) / 60_000;
    for (const r of running) {
      if (r.proc.exitCode !== null) throw new Error(`${r.c.name} exited ${r.proc.exitCode} during the soak`);
      samples.get(r.c.name)!.push([Number(minute.toFixed(3)), Number(rssMB(r.proc.pid).toFixed(1))]);
    }
  }
  ctrl.abort();
  const events = await churning;
  for (const r of running) r.proc.kill("SIGTERM");
  await Promise.all(running.map((r) => r.proc.exited));
  await emu.stop();

  const figures: Figure[] = [];
  for (const [name, points] of samples) {
    const half = points.filter(([m]) => m >= MINUTES / 2);
    const secondHalf = half.length >= 3 ? half : points; // very short runs: every sample
    const s = slope(secondHalf);
    const first = points[0]![1];
    const last = points.at(-1)![1];
    figures.push({ label: `${name}: RSS growth over the second half`, value: Number(s.toFixed(3)), unit: "MB/min", target: `≤ ${TARGET_MB_PER_MIN} MB/min`, met: s <= TARGET_MB_PER_MIN });
    figures.push({ label: `${name}: RSS at the end`, value: last, unit: "MB", baseline: { label: "RSS when the churn began", value: first }, ratio: Number((last / first).toFixed(3)), ratioMeaning: "end / start" });
  }
  emitResult({
    name: "soak",
    title: "Soak: RSS under continuous pod churn",
    setup: `${COMPONENTS.map((c) => c.name).join(" and ")} (compiled, no leader election) against the in-process API emulator: ${NAMESPACES} namespaces × ${PODS_PER_NAMESPACE} pods with one DevOpsPolicy each; ${CHURN_PER_SECOND} pod changes/s (70% in place, 30% delete + create under a new name) for ${MINUTES} min (${events} changes); VmRSS every ${SAMPLE_MS / 1000} s.`,
    figures,
    series: [{ title: "RSS during the soak", xLabel: "minutes", yLabel: "MB", lines: [...samples].map(([name, points]) => ({ name, points })) }],
    notes: ["Slope: least squares over the samples of the second half (the first half includes warm-up and the heap settling).", "Not part of `bun run bench`: run `bun run bench soak` (BENCH_SOAK_MINUTES=10 for a longer run)."],
  });
}

await main();
