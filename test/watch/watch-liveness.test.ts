/**
 * The watch controller's liveness against the API emulator over HTTPS, on a manual clock:
 * watch_cache_age_seconds is the time since the pod watch's last list page, event or bookmark —
 * not 0 because a stream is open on a server that sends bookmarks (it may have stalled silently) —
 * and readiness says why; on a server that sends no bookmarks (its watch cache disabled) a quiet
 * open watch is all there is, and stays ready.
 */
import { afterEach, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { ManualClock } from "../../lib/kube/clock.ts";
import { PODS } from "../../lib/kube/resources.ts";
import { createProbeApp } from "../../lib/server/probe-app.ts";
import { WatchController } from "../../lib/watch/watch-controller.ts";
import { createWatchMetrics } from "../../lib/watch/watch-metrics.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, prepareCluster, testPod } from "../operator/support.ts";

const quiet = { info: () => {}, warn: () => {}, debug: () => {} };
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A leader-less watch controller on a manual clock against an emulator sending a bookmark every `bookmarkIntervalMs` (real time). */
async function startController(bookmarkIntervalMs: number) {
  const emu: Emulator = await startEmulator({ bookmarkIntervalMs });
  const clock = new ManualClock();
  const registry = new Registry();
  const cluster = await prepareCluster(emu, ["shop"]);
  await cluster.client.create(PODS, testPod("a", "shop", false), { namespace: "shop" });
  const controller = new WatchController({ client: cluster.client, clock, logger: quiet, metrics: createWatchMetrics(registry), maxStalenessMs: 120_000 });
  const app = createProbeApp({ registry, readiness: () => controller.readiness() });
  const stop = new AbortController();
  const running = controller.run(stop.signal);
  cleanup = async () => {
    stop.abort();
    await running;
    await emu.stop();
  };
  await eventually(async () => (controller.readiness().ready && emu.watchCount === 2) || undefined, "ready with both watches open");
  const age = async (): Promise<number> => Number(/^watch_cache_age_seconds (\S+)$/m.exec(await (await app.request("/metrics")).text())?.[1]);
  return { emu, clock, controller, age };
}

test("once the server has sent bookmarks, an open pod watch that goes silent ages and trips readiness; an event brings the age back to 0", async () => {
  const { emu, clock, controller, age } = await startController(20);
  // the server sends bookmarks: wait until the pod watch has had one, then stall every stream
  const podLoop = (controller as unknown as { pods: { health(): { bookmarks: boolean } } }).pods;
  await eventually(async () => podLoop.health().bookmarks || undefined, "a bookmark");
  expect(emu.faults.stallWatches()).toBe(2);
  await clock.advance(90_000);
  // both streams are still open: before 2026-11-26, this read 0 however long the stream had been silent
  expect(emu.watchCount).toBe(2);
  expect(await age()).toBe(90);
  await clock.advance(40_000);
  expect(await age()).toBe(130);
  const readiness = controller.readiness();
  expect(readiness.ready).toBe(false);
  expect(readiness.reasons).toContain("pods: watch unhealthy (no event or bookmark for 130 s)");
  // the stalled streams end (in production: the 3-minute idle timer); the next ones deliver the new pod
  emu.faults.dropWatches();
  emu.store.load(testPod("b", "shop", true));
  await eventually(async () => ((await age()) === 0 ? true : undefined), "the pod event to reset the age");
  expect(controller.readiness().reasons.filter((r) => r.startsWith("pods:"))).toEqual([]);
});

test("a server that sends no bookmarks: a quiet open pod watch stays ready at age 0 (it would otherwise stay unready for good)", async () => {
  const { emu, clock, controller, age } = await startController(600_000);
  await clock.advance(130_000);
  expect(emu.watchCount).toBe(2);
  expect(await age()).toBe(0);
  expect(controller.readiness()).toEqual({ ready: true, reasons: [] });
});
