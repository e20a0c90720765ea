/**
 * `pod_events_total` counts what the pod watch delivered, not the pods a list returned: a list
 * counts once (the reference's `Restarted`), so a leader term that starts again in the same
 * process (a lease lost to an API blip and taken back) does not add the whole cluster to the
 * counter, which the dashboard's Pod Events Rate would show as a burst of churn that never was.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { systemClock } from "../../lib/kube/clock.ts";
import { WatchController } from "../../lib/watch/watch-controller.ts";
import { createWatchMetrics } from "../../lib/watch/watch-metrics.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, prepareCluster, type Cluster } from "../operator/support.ts";
import { makePod } from "./support.ts";

let emu: Emulator;
let cluster: Cluster;
const logger = { info: () => {}, warn: () => {}, debug: () => {} };

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["shop"]);
  for (let i = 0; i < 40; i++) emu.store.load(makePod("shop", `pod-${i}`, i));
});

afterAll(async () => {
  await emu.stop();
});

/** The scraped value of pod_events_total, once the controller exports it. */
async function podEvents(registry: Registry): Promise<number> {
  return eventually(async () => {
    const match = /^pod_events_total (\S+)$/m.exec(await registry.metrics());
    return match ? Number(match[1]) : undefined;
  }, "pod_events_total exported");
}

test("the initial list of 40 pods counts as one event, each watch event as one, and a second leader term's list as one more", async () => {
  const registry = new Registry();
  const metrics = createWatchMetrics(registry);
  const controller = new WatchController({ client: cluster.client, clock: systemClock, logger, metrics, policyWaitMs: 0 });

  let term = new AbortController();
  let running = controller.run(term.signal);
  expect(await podEvents(registry)).toBe(1);
  await emu.store.delete("pods", "shop", "pod-0");
  emu.store.load(makePod("shop", "pod-new", 7));
  await eventually(async () => (/^pods_tracked_total 40$/m.test(await registry.metrics()) && (await podEvents(registry)) === 3 ? true : undefined), "two watch events counted");

  // the lease is lost and taken back: a new term lists all 40 pods again
  term.abort();
  await running;
  term = new AbortController();
  running = controller.run(term.signal);
  expect(await podEvents(registry)).toBe(4);
  term.abort();
  await running;
});
