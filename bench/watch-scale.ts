/**
 * @module
 * Scale of the compiled `watch` against the API emulator seeded with 10k and 100k pods:
 * initial sync time, events/s processed during sustained pod churn (against the
 * emulator's raw emission rate in the same run), RSS (VmRSS/VmHWM) and the time from a
 * pod change to the updated gauge. Prints one BenchResult.
 */
import type { Subprocess } from "bun";
import { spawnSync } from "bun";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEmulator, type Emulator } from "../test/kube/emulator.ts";
import { makePod } from "../test/watch/support.ts";
import { median } from "./lib/measure.ts";
import { emitResult, type Figure } from "./lib/result.ts";

const ROOT = resolve(import.meta.dir, "..");
const BINARY = join(ROOT, "dist", "kube-devops");
const PODS_PER_NAMESPACE = 100;
/** Extra environment for the watch process (experiments: BENCH_WATCH_ENV='{"BUN_JSC_forceRAMSize":"..."}'). */
const EXTRA_ENV = JSON.parse(process.env.BENCH_WATCH_ENV ?? "{}") as Record<string, string>;
const CHURN_EVENTS = Number(process.env.BENCH_WATCH_CHURN ?? 30_000);
const SETTLE_MS = 10_000;
/** Cluster sizes to measure, ascending (experiments: BENCH_WATCH_PODS=100000). */
const SIZES = (process.env.BENCH_WATCH_PODS ?? "10000,100000").split(",").map(Number);

function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function seed(emu: Emulator, from: number, to: number): void {
  for (let i = from; i < to; i++) emu.store.load(makePod(`team-${Math.floor(i / PODS_PER_NAMESPACE)}`, `pod-${i}`, i), { quiet: true });
}

interface Running {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  url: string;
  syncMs: number;
}

async function startWatch(kubeconfig: string): Promise<Running> {
  const started = performance.now();
  const proc = Bun.spawn([BINARY, "watch", "--kubeconfig", kubeconfig, "--no-leader-elect", "--log-format", "json", "--log-level", "info", "--metrics-addr", "127.0.0.1:0", "--qps", "0"], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...EXTRA_ENV },
  });
  const reader = proc.stderr.getReader();
  let buffer = "";
  let url = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`watch exited early: ${buffer.slice(-2000)}`);
    buffer += new TextDecoder().decode(value);
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      if (line.includes('"http_server_started"')) url = JSON.parse(line).addr;
      if (line.includes('"initial_sync_complete"')) {
        const syncMs = performance.now() - started;
        void (async () => {
          while (!(await reader.read()).done);
        })();
        return { proc, url, syncMs };
      }
    }
  }
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
  const cpuBefore = cpuSeconds(pid);
  const start = performance.now();
  for (let i = 0; i < CHURN_EVENTS; i++) {
    const n = (i * 7919) % pods;
    const pod = makePod(`team-${Math.floor(n / PODS_PER_NAMESPACE)}`, `pod-${n}`, n + i);
    emu.store.load(pod);
    if (i % 500 === 499) await Bun.sleep(0); // let the emulator's sockets flush
  }
  const emittedMs = performance.now() - start;
  const deadline = performance.now() + 60_000;
  while ((await podEvents(url)) < before + CHURN_EVENTS && performance.now() < deadline) await Bun.sleep(5);
  const processedMs = performance.now() - start;
  const processed = (await podEvents(url)) - before;
  return { emitted: CHURN_EVENTS / (emittedMs / 1000), processed: processed / (processedMs / 1000), perCpuSecond: processed / Math.max(0.01, cpuSeconds(pid) - cpuBefore) };
}

/** Time from a pod change to the changed namespace gauge, ms (median of 5). */
async function changeToGauge(emu: Emulator, url: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const latest = i % 2 === 0;
    const start = performance.now();
    emu.store.load(makePod("probe", "probe-0", latest ? 1 : 0));
    const want = latest ? 'namespace_health_score{namespace="probe"} 95' : 'namespace_health_score{namespace="probe"} 100';
    while (!(await scrape(url)).includes(want)) await Bun.sleep(1);
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function stopWatch(r: Running): Promise<number> {
  r.proc.kill("SIGTERM");
  return r.proc.exited;
}

const build = spawnSync(["bun", "scripts/build.ts"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
if (build.exitCode !== 0) throw new Error("build failed");
const emu = await startEmulator({ historySize: CHURN_EVENTS * 2 });
const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-bench-watch-")), "kubeconfig"));
const figures: Figure[] = [];
const rssPoints: [number, number][] = [];
const hwmPoints: [number, number][] = [];
const notes: string[] = [];

try {
  emu.store.load(makePod("probe", "probe-0", 0), { quiet: true });
  const idle = await startWatch(kubeconfig);
  await Bun.sleep(500);
  const idleMem = memory(idle.proc.pid);
  rssPoints.push([0, idleMem.rss]);
  hwmPoints.push([0, idleMem.hwm]);
  await stopWatch(idle);

  let seeded = 0;
  for (const pods of SIZES) {
    seed(emu, seeded, pods);
    seeded = pods;
    console.error(`bench watch-scale: ${pods} pods seeded`);
    const run = await startWatch(kubeconfig);
    const synced = memory(run.proc.pid);
    const rates = await churn(emu, run.url, pods, run.proc.pid);
    const latency = await changeToGauge(emu, run.url);
    const after = memory(run.proc.pid);
    await Bun.sleep(SETTLE_MS); // the allocator returns freed pages over a few seconds
    const settled = memory(run.proc.pid);
    rssPoints.push([pods, settled.rss]);
    hwmPoints.push([pods, settled.hwm]);
    const label = `${pods / 1000}k pods`;
    figures.push(
      { label: `initial sync, ${label}`, value: Math.round(run.syncMs), unit: "ms" },
      {
        label: `events/s processed during churn, ${label}`,
        value: Math.round(rates.processed),
        unit: "events/s",
        baseline: { label: "emulator raw emission rate, same run", value: Math.round(rates.emitted) },
        ratio: Number((rates.processed / rates.emitted).toFixed(2)),
        ratioMeaning: "processed / emitted (1 = keeps up with the emulator; the emulator, not the watch, bounds this figure)",
      },
      {
        label: `pod events per CPU-second of the watch process (one core), ${label}`,
        value: Math.round(rates.perCpuSecond),
        unit: "events/CPU-s",
        target: "≥ 5k events/s on one core",
        met: rates.perCpuSecond >= 5000,
      },
      { label: `RSS after sync, ${label}`, value: Math.round(synced.rss), unit: "MB" },
      { label: `RSS right after churn, ${label}`, value: Math.round(after.rss), unit: "MB" },
      {
        label: `steady RSS (${SETTLE_MS / 1000} s after churn), ${label}`,
        value: Math.round(settled.rss),
        unit: "MB",
        baseline: { label: "idle watch, 1 pod", value: Math.round(idleMem.rss) },
        ratio: Number((settled.rss / idleMem.rss).toFixed(2)),
        ratioMeaning: "RSS / idle RSS",
        ...(pods === 100_000 ? { target: "< 150 MB", met: settled.rss < 150 } : {}),
      },
      { label: `peak RSS (VmHWM), ${label}`, value: Math.round(settled.hwm), unit: "MB" },
      { label: `pod change → updated gauge (median of 5), ${label}`, value: Number(latency.toFixed(1)), unit: "ms" },
    );
    const code = await stopWatch(run);
    if (code !== 0) notes.push(`watch exited ${code} on SIGTERM at ${label}`);
  }
} finally {
  await emu.stop();
}

emitResult({
  name: "watch-scale",
  title: "watch controller at 10k and 100k pods",
  setup: `dist/kube-devops watch --no-leader-elect against the in-process API emulator (HTTPS, pods of 2 containers in namespaces of ${PODS_PER_NAMESPACE}, 1/6 each clean, :latest, no probes, restarting, Pending, Succeeded); churn = ${CHURN_EVENTS} pod modifications emitted as fast as the emulator can; the emulator and this script share one process`,
  figures,
  series: [{ title: "RSS vs pods", xLabel: "pods", yLabel: "MB", lines: [{ name: "steady VmRSS", points: rssPoints }, { name: "VmHWM (peak)", points: hwmPoints }] }],
  notes,
});
