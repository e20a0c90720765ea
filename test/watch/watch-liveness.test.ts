/**
 * The watch controller's liveness against the API emulator over HTTPS, on a manual clock:
 * watch_cache_age_seconds is the time since the pod watch's last list page, event or bookmark —
 * not 0 because a stream is open (it may have stalled silently) — and readiness says why.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { ManualClock } from "../../lib/kube/clock.ts";
import { PODS } from "../../lib/kube/resources.ts";
import { createProbeApp } from "../../lib/server/probe-app.ts";
import { WatchController } from "../../lib/watch/watch-controller.ts";
import { createWatchMetrics } from "../../lib/watch/watch-metrics.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, prepareCluster, testPod } from "../operator/support.ts";

let emu: Emulator;
const clock = new ManualClock();
const registry = new Registry();
let controller: WatchController;
const app = createProbeApp({ registry, readiness: () => controller.readiness() });
const stop = new AbortController();
let running: Promise<void>;
const quiet = { info: () => {}, warn: () => {}, debug: () => {} };

async function age(): Promise<number> {
  return Number(/^watch_cache_age_seconds (\S+)$/m.exec(await (await app.request("/metrics")).text())?.[1]);
}

beforeAll(async () => {
  // no bookmark during the test: an open stream that stays silent, as a stalled one does
  emu = await startEmulator({ bookmarkIntervalMs: 600_000 });
  const cluster = await prepareCluster(emu, ["shop"]);
  await cluster.client.create(PODS, testPod("a", "shop", false), { namespace: "shop" });
  controller = new WatchController({ client: cluster.client, clock, logger: quiet, metrics: createWatchMetrics(registry), maxStalenessMs: 120_000 });
  running = controller.run(stop.signal);
  await eventually(async () => (controller.readiness().ready && emu.watchCount === 2) || undefined, "ready with both watches open");
});

afterAll(async () => {
  stop.abort();
  await running;
  await emu.stop();
});

test("an open pod watch that stays silent ages; an event brings the age back to 0", async () => {
  expect(await age()).toBe(0);
  await clock.advance(90_000);
  // both streams are still open: before, this read 0 however long the stream had been silent
  expect(emu.watchCount).toBe(2);
  expect(await age()).toBe(90);
  await clock.advance(40_000);
  expect(await age()).toBe(130);
  const readiness = controller.readiness();
  expect(readiness.ready).toBe(false);
  expect(readiness.reasons).toContain("pods: watch unhealthy (no event or bookmark for 130 s)");
  emu.store.load(testPod("b", "shop", true));
  await eventually(async () => ((await age()) === 0 ? true : undefined), "the pod event to reset the age");
  expect(controller.readiness().reasons.filter((r) => r.startsWith("pods:"))).toEqual([]);
});
