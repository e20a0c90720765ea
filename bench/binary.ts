/**
 * @module
 * Binary figures: size and startup time of `kube-devops version` against a compiled
 * "hello world" Bun binary, and the idle RSS of each long-running component (watch,
 * reconcile, webhook serve) against the API emulator with a near-empty cluster, against
 * a compiled hello-world `Bun.serve` — both baselines built in the same run (the floor
 * any Bun executable pays). Prints one BenchResult.
 */
import { spawnSync } from "bun";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../gen/crd.ts";
import { startEmulator } from "../test/kube/emulator.ts";
import type { KubeObject } from "../test/kube/types.ts";
import { makePod } from "../test/watch/support.ts";
import { buildBinary, compileBaseline } from "./lib/build.ts";
import { findRecord, startComponent, type Component, type LogRecord } from "./lib/component.ts";
import { median, quantile } from "./lib/measure.ts";
import { settledMemory, type Memory } from "./lib/proc.ts";
import { emitResult, type Figure } from "./lib/result.ts";

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 30);
/** How long a component idles after it is ready before its RSS is read. */
const IDLE_SETTLE_MS = 3000;
const HELLO_SERVER = `const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
console.error(JSON.stringify({ msg: "listening", url: server.url.origin }));
`;

function startupMs(cmd: string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const start = performance.now();
    const r = spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
    const ms = performance.now() - start;
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}`);
    if (i >= 2) out.push(ms);
  }
  return out;
}

/** Polls `url`/readyz until 200 (the component's own notion of ready), then asks once more. */
async function untilReady(url: string, ca?: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  const get = async (): Promise<number> => (await fetch(`${url}/readyz`, { tls: ca ? { ca } : undefined } as RequestInit).catch(() => ({ status: 0 }))).status;
  while ((await get()) !== 200) {
    if (performance.now() > deadline) throw new Error(`${url}/readyz never answered 200`);
    await Bun.sleep(50);
  }
}

/** Starts one component, waits until it is ready and has idled, reads its RSS, stops it. */
async function idleMemory(name: string, cmd: string[], urlOf: (records: LogRecord[]) => string, ca?: string): Promise<Memory & { exit: number }> {
  const component: Component = await startComponent(cmd, (r) => urlOf([r]) !== "");
  try {
    await untilReady(urlOf(component.records), ca);
    const memory = await settledMemory(component.proc.pid, IDLE_SETTLE_MS);
    console.error(`bench binary: idle ${name}: ${memory.rss.toFixed(1)} MB`);
    return { ...memory, exit: await component.stop() };
  } catch (err) {
    component.proc.kill("SIGKILL");
    throw err;
  }
}

/** Idle RSS of watch, reconcile and webhook serve against a near-empty emulator (one pod, one policy), and of the hello-world server. */
async function idleRss(binary: string, helloServer: string): Promise<{ figures: Figure[]; notes: string[] }> {
  const emu = await startEmulator();
  const dir = mkdtempSync(join(tmpdir(), "kd-bench-idle-"));
  const kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  try {
    for (const crd of renderCrds()) await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as unknown as KubeObject);
    emu.store.load(makePod("team-0", "pod-0", 0), { quiet: true });
    emu.store.load({ apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "governance", namespace: "team-0" }, spec: { forbidLatestTag: true } } as KubeObject, { quiet: true });
    const certs = spawnSync([binary, "webhook", "cert-generate", "--output-dir", join(dir, "tls"), "--ip-san", "127.0.0.1"], { stdout: "ignore", stderr: "inherit" });
    if (certs.exitCode !== 0) throw new Error("webhook cert-generate failed");
    const ca = await Bun.file(join(dir, "tls", "ca.crt")).text();
    const cluster = ["--kubeconfig", kubeconfig, "--log-format", "json"];
    const metricsAddr = (msg: string, field: string) => (records: LogRecord[]) => String(findRecord(records, msg)?.[field] ?? "");
    const hello = await idleMemory("hello-world Bun.serve", [helloServer], metricsAddr("listening", "url"));
    const components: Array<[string, Memory & { exit: number }]> = [
      ["watch", await idleMemory("watch", [binary, "watch", ...cluster, "--no-leader-elect", "--metrics-addr", "127.0.0.1:0"], metricsAddr("http_server_started", "addr"))],
      ["reconcile", await idleMemory("reconcile", [binary, "reconcile", ...cluster, "--no-leader-elect", "--metrics-addr", "127.0.0.1:0"], metricsAddr("operator_started", "metrics"))],
      ["webhook serve", await idleMemory("webhook serve", [binary, "webhook", "serve", ...cluster, "--addr", "127.0.0.1:0", "--tls-cert", join(dir, "tls", "tls.crt"), "--tls-key", join(dir, "tls", "tls.key")], metricsAddr("admission webhook listening", "url"), ca)],
    ];
    const figures = components.map(([name, m]): Figure => ({
      label: `idle RSS of \`${name}\` (ready, then ${IDLE_SETTLE_MS / 1000} s idle)`,
      value: Math.round(m.rss),
      unit: "MB",
      baseline: { label: "compiled hello-world Bun.serve, idle", value: Math.round(hello.rss) },
      ratio: Number((m.rss / hello.rss).toFixed(2)),
      ratioMeaning: "ours / hello-world server",
    }));
    const notes = components.filter(([, m]) => m.exit !== 0).map(([name, m]) => `${name} exited ${m.exit} on SIGTERM`);
    return { figures, notes };
  } finally {
    await emu.stop();
  }
}

const binary = buildBinary();
const baseline = compileBaseline("hello", 'console.log("hello");\n');
const ours = startupMs([binary, "version"]);
const floor = startupMs([baseline]);
const size = statSync(binary).size;
const baseSize = statSync(baseline).size;
const p50 = median(ours);
const b50 = median(floor);
const idle = await idleRss(binary, compileBaseline("hello-server", HELLO_SERVER));

emitResult({
  name: "binary",
  title: "Binary size, startup and idle RSS",
  setup: `dist/kube-devops (bun build --compile, bytecode, minify) vs a compiled hello-world; startup: ${RUNS} runs each after 2 warm-ups; idle RSS: each component alone against the in-process API emulator (CRDs, 1 pod, 1 DevOpsPolicy; watch and reconcile --no-leader-elect, webhook serve with certificates from \`webhook cert-generate\`), VmRSS median of 3 readings once /readyz answers 200 and ${IDLE_SETTLE_MS / 1000} s passed`,
  figures: [
    { label: "binary size", value: Math.round(size / 2 ** 20), unit: "MB", baseline: { label: "hello-world binary", value: Math.round(baseSize / 2 ** 20) }, ratio: size / baseSize, ratioMeaning: "ours / hello-world" },
    { label: "startup of `version` (median)", value: Number(p50.toFixed(1)), unit: "ms", baseline: { label: "hello-world startup (median)", value: Number(b50.toFixed(1)) }, ratio: p50 / b50, ratioMeaning: "ours / hello-world", target: "tens of ms", met: p50 < 100 },
    { label: "startup of `version` (p90)", value: Number(quantile(ours, 0.9).toFixed(1)), unit: "ms" },
    ...idle.figures,
  ],
  notes: idle.notes,
});
