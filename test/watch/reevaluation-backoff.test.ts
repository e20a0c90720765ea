/**
 * The watch controller re-lists a namespace's pods after its policy changed. While that list
 * fails, the namespace retries with exponential backoff on the injected clock (about 2 s, 4 s,
 * 8 s ... capped at 5 min) instead of every 2 s, the warnings stay at about one a minute, and a
 * recovery is logged once. Against the emulator over HTTPS, with a manual clock.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { createKubeClient } from "../../lib/kube/client.ts";
import { ManualClock } from "../../lib/kube/clock.ts";
import { loadKubeConfig } from "../../lib/kube/kubeconfig.ts";
import { DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import { WatchController } from "../../lib/watch/watch-controller.ts";
import { createWatchMetrics } from "../../lib/watch/watch-metrics.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, testPolicy } from "../operator/support.ts";
import { makePod } from "./support.ts";

/** A manual clock that remembers the long sleeps (the re-evaluation retries). */
class RecordingClock extends ManualClock {
  readonly retries: number[] = [];
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms >= 1_000) this.retries.push(ms);
    return super.sleep(ms, signal);
  }
}

let emu: Emulator;
const logs: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => void logs.push({ level, msg, fields: fields ?? {} });
const logger = { info: log("info"), warn: log("warn"), debug: () => {} };
const clock = new RecordingClock(Date.now());
const stop = new AbortController();
let running: Promise<void>;
let controller: WatchController;

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !cond(); i++) await Bun.sleep(5);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  emu = await startEmulator();
  const cluster = await prepareCluster(emu, ["shop", "search"]);
  for (let i = 0; i < 6; i++) emu.store.load(makePod(i % 2 ? "shop" : "search", `pod-${i}`, i));
  // One request per attempt: the executor's own retries would hide the loop's.
  const client = createKubeClient(loadKubeConfig({ kubeconfig: cluster.kubeconfigPath, env: {} }), { rateLimit: false, retry: { maxAttempts: 1 } });
  controller = new WatchController({ client, clock, logger, metrics: createWatchMetrics(new Registry()), policyDebounceMs: 50, policyWaitMs: 500, random: () => 0.999 });
  running = controller.run(stop.signal);
  await until("the first sync", () => logs.some((l) => l.msg === "initial_sync_complete"));
  clock.retries.length = 0;
});

afterAll(async () => {
  stop.abort();
  await running;
  await emu.stop();
});

test("a namespace whose re-list keeps failing backs off exponentially up to 5 min, warns about once a minute, and recovers", async () => {
  emu.faults.failNext(1_000_000, { verb: "list", resource: "pods", namespace: "shop", status: 500 });
  const attempts = () => 1_000_000 - emu.faults.pendingFailures;
  await emu.store.create("devopspolicies.devops.stochastic.io", testPolicy("strict", "shop", { forbidLatestTag: true, requireResourceLimits: true }) as never, { namespace: "shop" });
  // Each attempt: the policy event or the retry, then the 50 ms debounce, then the failed re-list.
  const nextFailure = async (count: number): Promise<void> => {
    for (let i = 0; i < 400 && clock.retries.length < count; i++) {
      await clock.advance(50);
      await Bun.sleep(5);
    }
    expect(clock.retries.length).toBe(count);
  };
  await nextFailure(1);
  for (let k = 1; k <= 10; k++) {
    await clock.advance(clock.retries[k - 1]! - 50);
    await nextFailure(k + 1);
  }
  expect(attempts()).toBe(11);
  // Full jitter drawn at 0.999: just under 2 s, 4 s, 8 s ... then the 5 min cap.
  expect(clock.retries.map((ms) => Math.round(ms / 1000))).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
  const warnings = logs.filter((l) => l.msg === "namespace_reevaluation_failed");
  // Failures at 0, 2, 6, 14, 30, 62, 126, 254, 510, 810, 1110 s: the four inside the first minute are held back.
  expect(warnings.map((w) => [w.fields.failures, w.fields.repeats_not_logged])).toEqual([[1, 0], [6, 4], [7, 0], [8, 0], [9, 0], [10, 0], [11, 0]]);
  expect(warnings[0]?.fields).toMatchObject({ namespace: "shop", namespaces_failing: 1 });
  expect(String(warnings[0]?.fields.error)).toContain("500");

  emu.faults.clear();
  await clock.advance(clock.retries[10]! - 50);
  for (let i = 0; i < 400 && !logs.some((l) => l.msg === "namespace_reevaluation_recovered"); i++) {
    await clock.advance(50);
    await Bun.sleep(5);
  }
  expect(logs.find((l) => l.msg === "namespace_reevaluation_recovered")?.fields).toEqual({ namespace: "shop", failures: 11 });
  expect(controller.aggregator?.staleKeys("shop")).toEqual([]);
});
