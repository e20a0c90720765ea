/**
 * @module
 * Scale of the compiled `watch` against the API emulator seeded with 10k and 100k pods:
 * initial sync time, events/s processed during sustained pod churn (against the
 * emulator's raw emission rate in the same run), RSS (VmRSS/VmHWM) and the time from a
 * pod change to the updated gauge. Prints one BenchResult.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../test/kube/emulator.ts";
import { makePod } from "../test/watch/support.ts";
import { buildBinary } from "./lib/build.ts";
import { changeLatency } from "./lib/change-latency.ts";
import { childEnv, findRecord, startComponent, type Component } from "./lib/component.ts";
import { churnPods, PODS_PER_NAMESPACE, seedPods } from "./lib/emulator-pods.ts";
import { processCpuSeconds } from "./lib/proc.ts";
import { emitResult, type Figure } from "./lib/result.ts";
import { churnFigure, latencyFigure } from "./lib/scale-figures.ts";
import { runScales } from "./lib/scale-run.ts";

/** Extra environment for the watch process (experiments: BENCH_WATCH_ENV='{"BUN_JSC_forceRAMSize":"..."}'). */
const EXTRA_ENV = JSON.parse(process.env.BENCH_WATCH_ENV ?? "{}") as Record<string, string>;
const CHURN_EVENTS = Number(process.env.BENCH_WATCH_CHURN ?? 30_000);
const SETTLE_MS = 10_000;
/** Cluster sizes to measure, ascending (experiments: BENCH_WATCH_PODS=100000). */
const SIZES = (process.env.BENCH_WATCH_PODS ?? "10000,100000").split(",").map(Number);

interface Running extends Component {
  url: string;
}

async function startWatch(kubeconfig: string): Promise<Running> {
  const args = ["watch", "--kubeconfig", kubeconfig, "--no-leader-elect", "--log-format", "json", "--log-level", "info", "--metrics-addr", "127.0.0.1:0", "--qps", "0"];
  const watch = await startComponent([BINARY, ...args], (r) => r.msg === "initial_sync_complete", { env: childEnv(EXTRA_ENV) });
  return { ...watch, url: String(findRecord(watch.records, "http_server_started")?.addr) };
}

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

async function podEvents(url: string): Promise<number> {
  return Number(/^pod_events_total (\S+)$/m.exec(await scrape(url))?.[1] ?? Number.NaN);
}

/** Modifies pods as fast as the emulator emits; returns emission and processing rates (events/s). */
async function churn(emu: Emulator, url: string, pods: number, pid: number): Promise<{ emitted: number; processed: number; perCpuSecond: number }> {
  const before = await podEvents(url);
  const cpuBefore = processCpuSeconds(pid);
  const start = performance.now();
  const emittedMs = await churnPods(emu, pods, CHURN_EVENTS);
  const deadline = performance.now() + 60_000;
  while ((await podEvents(url)) < before + CHURN_EVENTS && performance.now() < deadline) await Bun.sleep(5);
  const processedMs = performance.now() - start;
  const processed = (await podEvents(url)) - before;
  return { emitted: CHURN_EVENTS / (emittedMs / 1000), processed: processed / (processedMs / 1000), perCpuSecond: processed / Math.max(0.01, processCpuSeconds(pid) - cpuBefore) };
}

/** Time from a pod change to the changed namespace gauge, and for a bare watch client to see it (medians of 5). */
async function changeToGauge(emu: Emulator, url: string): Promise<{ effectMs: number; watchMs: number }> {
  return changeLatency(emu, {
    namespace: "probe",
    name: "probe-0",
    samples: 5,
    effect: async (variant) => {
      const want = `namespace_health_score{namespace="probe"} ${variant === 1 ? 95 : 100}`;
      while (!(await scrape(url)).includes(want)) await Bun.sleep(1);
    },
  });
}

const BINARY = buildBinary();
const emu = await startEmulator({ historySize: CHURN_EVENTS * 2 });
const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-bench-watch-")), "kubeconfig"));
let seeded = 0;

try {
  emu.store.load(makePod("probe", "probe-0", 0), { quiet: true });
  const { figures, notes, series } = await runScales<Running>({
    component: "watch",
    scales: SIZES,
    settleMs: SETTLE_MS,
    idleLabel: "idle watch, 1 pod",
    label: (pods) => `${pods / 1000}k pods`,
    target: { pods: 100_000, text: "< 150 MB", maxMB: 150 },
    async start(pods) {
      seedPods(emu, seeded, pods);
      seeded = Math.max(seeded, pods);
      if (pods) console.error(`bench watch-scale: ${pods} pods seeded`);
      return startWatch(kubeconfig);
    },
    async exercise(run, pods, label): Promise<Figure[]> {
      const rates = await churn(emu, run.url, pods, run.proc.pid);
      const latency = await changeToGauge(emu, run.url);
      return [
        { label: `initial sync, ${label}`, value: Math.round(run.readyMs), unit: "ms" },
        churnFigure(`events/s processed during churn, ${label}`, rates.processed, rates.emitted, "processed / emitted (1 = keeps up with the emulator; the emulator, not the watch, bounds this figure)"),
        { label: `pod events per CPU-second of the watch process (one core), ${label}`, value: Math.round(rates.perCpuSecond), unit: "events/CPU-s", target: "≥ 5k events/s on one core", met: rates.perCpuSecond >= 5000 },
        latencyFigure(`pod change → updated gauge (median of 5), ${label}`, latency.effectMs, latency.watchMs, "gauge / bare watch"),
      ];
    },
  });
  emitResult({
    name: "watch-scale",
    title: "watch controller at 10k and 100k pods",
    setup: `dist/kube-devops watch --no-leader-elect against the in-process API emulator (HTTPS, pods of 2 containers in namespaces of ${PODS_PER_NAMESPACE}, 1/6 each clean, :latest, no probes, restarting, Pending, Succeeded); churn = ${CHURN_EVENTS} pod modifications emitted as fast as the emulator can; the emulator and this script share one process`,
    figures,
    series: [series],
    notes,
  });
} finally {
  await emu.stop();
}
