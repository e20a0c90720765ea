/**
 * @module
 * Scale of the compiled `reconcile` operator against the API emulator seeded with 10k
 * and 100k pods and one DevOpsPolicy per namespace (CRDs installed): initial sync (until
 * every policy has a status), pod events/s absorbed during churn (against the emulator's
 * raw emission rate in the same run), RSS (VmRSS/VmHWM) and the time from a pod change
 * to the updated DevOpsPolicy status (against a bare watch client seeing the same change).
 * Prints one BenchResult.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../gen/crd.ts";
import { startEmulator, type Emulator } from "../test/kube/emulator.ts";
import type { KubeObject } from "../test/kube/types.ts";
import { makePod } from "../test/watch/support.ts";
import { buildBinary } from "./lib/build.ts";
import { changeLatency, flipPod } from "./lib/change-latency.ts";
import { childEnv, findRecord, startComponent, type Component } from "./lib/component.ts";
import { churnPods, namespaceCount, PODS_PER_NAMESPACE, seedPods } from "./lib/emulator-pods.ts";
import { processCpuSeconds } from "./lib/proc.ts";
import { emitResult, type Figure } from "./lib/result.ts";
import { churnFigure, latencyFigure } from "./lib/scale-figures.ts";
import { runScales } from "./lib/scale-run.ts";

const CHURN_EVENTS = Number(process.env.BENCH_OPERATOR_CHURN ?? 30_000);
/** The operator's default --pod-debounce: pod changes of a namespace are coalesced over this window. */
const DEBOUNCE_MS = 2000;
const SETTLE_MS = 10_000;
const POLICIES = "devopspolicies.devops.stochastic.io";
const PROBE = "probe/governance";
const SPEC = { forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true, maxRestartCount: 3, requireResourceRequests: true };

/** The health score of every policy as the emulator stores it (store subscription: no polling, no API load). */
class PolicyScores {
  private readonly scores = new Map<string, number>();
  private waiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  constructor(emu: Emulator) {
    emu.store.subscribe(
      (ev) => {
        const key = `${ev.object.metadata?.namespace}/${ev.object.metadata?.name}`;
        const score = (ev.object.status as { healthScore?: number } | undefined)?.healthScore;
        if (ev.type === "DELETED" || score === undefined) this.scores.delete(key);
        else this.scores.set(key, score);
        this.waiters = this.waiters.filter((w) => (w.done() ? (w.resolve(), false) : true));
      },
      { resource: POLICIES },
    );
  }

  get scored(): number {
    return this.scores.size;
  }

  score(key: string): number | undefined {
    return this.scores.get(key);
  }

  /** Resolves once `done()` holds (checked at every policy write). */
  until(done: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({ done, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

/** One policy per team namespace plus the probe's, loaded afresh (no status, no finalizer, new uid). */
function seedPolicies(emu: Emulator, namespaces: number): number {
  const names = ["probe", ...Array.from({ length: namespaces }, (_, i) => `team-${i}`)];
  for (const namespace of names) emu.store.load({ apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "governance", namespace }, spec: SPEC } as KubeObject, { quiet: true });
  return names.length;
}

interface Running extends Component {
  syncMs: number;
}

async function startOperator(scores: PolicyScores, kubeconfig: string, policies: number): Promise<Running> {
  const started = performance.now();
  const args = ["reconcile", "--kubeconfig", kubeconfig, "--no-leader-elect", "--qps", "0", "--log-format", "json", "--metrics-addr", "127.0.0.1:0"];
  const operator = await startComponent([BINARY, ...args], (r) => r.msg === "operator_started", { env: childEnv() });
  if (!findRecord(operator.records, "operator_started")?.metrics) throw new Error("no metrics address in operator_started");
  await scores.until(() => scores.scored >= policies, `${policies} policies to get a status`);
  return { ...operator, syncMs: performance.now() - started };
}

/** Resolves when the probe policy's score changes: call it right after changing the probe pod. */
function probeStatusChange(): Promise<void> {
  const before = scores.score(PROBE);
  return scores.until(() => scores.score(PROBE) !== before, "the probe policy's status to change");
}

/**
 * Modifies pods as fast as the emulator emits, then changes the probe pod: the pod watch is one
 * ordered stream, so once the probe's status changes (after the debounce window) the operator
 * has taken in every churn event before it. Returns emission and absorption rates (events/s).
 */
async function churn(emu: Emulator, pods: number, pid: number): Promise<{ emitted: number; absorbed: number; perCpuSecond: number }> {
  const cpuBefore = processCpuSeconds(pid);
  const start = performance.now();
  const emittedMs = await churnPods(emu, pods, CHURN_EVENTS);
  flipPod(emu, "probe", "probe-0");
  await probeStatusChange();
  const absorbedMs = performance.now() - start - DEBOUNCE_MS;
  await Bun.sleep(DEBOUNCE_MS + 1000); // the reconciles the last churn events scheduled
  return { emitted: CHURN_EVENTS / (emittedMs / 1000), absorbed: CHURN_EVENTS / (absorbedMs / 1000), perCpuSecond: CHURN_EVENTS / Math.max(0.01, processCpuSeconds(pid) - cpuBefore) };
}

const BINARY = buildBinary();
const emu = await startEmulator({ historySize: CHURN_EVENTS * 4 });
const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-bench-operator-")), "kubeconfig"));
for (const crd of renderCrds()) await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as unknown as KubeObject);
const scores = new PolicyScores(emu);
let seeded = 0;

try {
  emu.store.load(makePod("probe", "probe-0", 0), { quiet: true });
  const { figures, notes, series } = await runScales<Running>({
    component: "reconcile",
    scales: [10_000, 100_000],
    settleMs: SETTLE_MS,
    idleLabel: "idle operator, 1 pod, 1 policy",
    label: (pods) => `${pods / 1000}k pods, ${namespaceCount(pods) + 1} policies`,
    async start(pods) {
      seedPods(emu, seeded, pods);
      seeded = Math.max(seeded, pods);
      const policies = seedPolicies(emu, namespaceCount(pods));
      if (pods) console.error(`bench operator-scale: ${pods} pods and ${policies} policies seeded`);
      return startOperator(scores, kubeconfig, policies);
    },
    async exercise(run, pods, label): Promise<Figure[]> {
      const rates = await churn(emu, pods, run.proc.pid);
      const latency = await changeLatency(emu, { namespace: "probe", name: "probe-0", samples: 5, effect: probeStatusChange });
      return [
        { label: `initial sync (start → every policy has a status), ${label}`, value: Math.round(run.syncMs), unit: "ms" },
        churnFigure(`pod events/s absorbed during churn, ${label}`, rates.absorbed, rates.emitted, "absorbed / emitted (1 = keeps up with the emulator)"),
        { label: `pod events per CPU-second of the operator (incl. the reconciles they cause), ${label}`, value: Math.round(rates.perCpuSecond), unit: "events/CPU-s" },
        latencyFigure(`pod change → updated status, beyond the ${DEBOUNCE_MS / 1000} s debounce (median of 5), ${label}`, latency.effectMs - DEBOUNCE_MS, latency.watchMs, "operator / bare watch"),
        { label: `pod change → updated status, as measured (median of 5), ${label}`, value: Number(latency.effectMs.toFixed(1)), unit: "ms" },
      ];
    },
  });
  emitResult({
    name: "operator-scale",
    title: "reconcile operator at 10k and 100k pods",
    setup: `dist/kube-devops reconcile --no-leader-elect --qps 0 (defaults otherwise: --pod-debounce 2s, --workers 4, audit history on) against the in-process API emulator (HTTPS, CRDs installed; pods as in watch-scale, namespaces of ${PODS_PER_NAMESPACE}; one DevOpsPolicy per namespace with 5 checks); churn = ${CHURN_EVENTS} pod modifications emitted as fast as the emulator can, then a change in a probe namespace marks the end of the stream; the emulator and this script share one process`,
    figures,
    series: [series],
    notes: [
      ...notes,
      "A pod change reaches a policy's status after the --pod-debounce window (2 s by default: changes of a namespace are coalesced); the figure beyond it is the operator's own delay (watch, reconcile, status PATCH).",
      "Absorption = churn events / (time until the probe's status changed − the debounce window); it includes the reconciles and status writes the churn caused ahead of the probe's, so it is lower than the rate at which the pod watch alone is read.",
    ],
  });
} finally {
  await emu.stop();
}
