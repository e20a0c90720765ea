/**
 * Liveness of the list+watch loop against the API emulator over HTTPS, on a manual clock: a watch
 * that opens and fails at once (an in-stream ERROR) is not progress, so the backoff grows as
 * client-go's reflector's does (reset only after 2 quiet minutes) and readiness and the age trip;
 * an open watch that stays silent ages too, and a bookmark is progress.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../lib/kube/clock.ts";
import { connect } from "../../lib/kube/connect.ts";
import { listWatch, type ListWatch, type ListWatchEvent } from "../../lib/kube/list-watch.ts";
import { PODS } from "../../lib/kube/resources.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";

let emu: Emulator | undefined;
let loop: ListWatch<string> | undefined;
afterEach(async () => {
  await loop?.stop();
  await emu?.stop();
  loop = undefined;
  emu = undefined;
});

const pod = (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "live" }, spec: { containers: [{ name: "c", image: "i:1" }] } });

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (cond()) return;
    await Bun.sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An emulator with one pod, and a loop on a manual clock whose jitter always draws the ceiling. */
async function start(bookmarkIntervalMs = 600_000, before: (e: Emulator) => void = () => {}) {
  const e = await startEmulator({ bookmarkIntervalMs });
  emu = e;
  await e.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "live" } });
  await e.store.create("pods", pod("p0"), { namespace: "live" });
  const { client } = connect({ kubeconfig: e.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-live-")), "config")), env: {}, rateLimit: false });
  before(e);
  const clock = new ManualClock();
  const events: ListWatchEvent<string>[] = [];
  const l = listWatch<string>({ client, type: PODS, namespace: "live", project: (o) => o.metadata?.name ?? "", clock, random: () => 0.999_999, onEvent: (ev) => void events.push(ev) });
  loop = l;
  void l.start();
  await until("synced", () => l.health().synced);
  return { e, l, clock, events, errors: () => events.filter((ev) => ev.type === "error") };
}

test("a watch that opens and ends with an in-stream ERROR backs off more and more, trips readiness and age, and both recover with real progress", async () => {
  // lists work; every watch opens (200) and fails at once with an in-stream ERROR
  const { e, l, clock, events, errors } = await start(600_000, (e) => e.faults.failNext(Number.POSITIVE_INFINITY, { verb: "watch", resource: "pods", status: 500, inStream: true }));
  const delays: number[] = [];
  for (let i = 0; i < 9; i++) {
    await until(`failure ${i + 1}`, () => errors().length === i + 1 && clock.pending === 1);
    const err = errors()[i]!;
    expect(err).toMatchObject({ type: "error", phase: "watch", failures: i + 1 });
    expect(String((err as { error: Error }).error.message)).toContain("injected fault");
    delays.push(err.type === "error" ? err.retryInMs : -1);
    await clock.advance(delays[i]!);
  }
  // 0.8 s doubling to the 30 s cap (jitter drew the ceiling): an open watch did not reset it
  expect(delays).toEqual([799, 1599, 3199, 6399, 12799, 25599, 29999, 29999, 29999]);
  expect(l.health()).toMatchObject({ synced: true, consecutiveFailures: 9 });
  // over 2 min since the last list and no event or bookmark since: not ready, and the age says so
  expect(l.ageSeconds()).toBeGreaterThan(120);
  expect(l.isReady(120_000)).toBe(false);

  // the fault clears: the next watch opens, but an open watch alone is not progress yet
  await until("failure 10", () => errors().length === 10 && clock.pending === 1);
  e.faults.clear();
  await clock.advance(29_999);
  await until("the watch to open", () => l.health().watching && e.watchCount === 1);
  expect(l.isReady(120_000)).toBe(false);
  await e.store.create("pods", pod("p1"), { namespace: "live" });
  await until("the new pod through the watch", () => events.some((ev) => ev.type === "added" && ev.key === "live/p1"));
  expect(l.isReady(120_000)).toBe(true);
  expect(l.ageSeconds()).toBe(0);
  expect(l.health()).toMatchObject({ consecutiveFailures: 0, lastError: undefined });

  // failing again within 2 min of the last failure: the backoff carries on from where it was ...
  e.faults.failNext(1, { verb: "watch", resource: "pods", status: 500, inStream: true });
  e.faults.dropWatches();
  await until("failure 11", () => errors().length === 11 && clock.pending === 1);
  expect(errors()[10]).toMatchObject({ retryInMs: 29_999, failures: 1 });
  await clock.advance(29_999);
  await until("the watch to open again", () => l.health().watching && e.watchCount === 1);
  await e.store.create("pods", pod("p2"), { namespace: "live" });
  await until("p2 through the watch", () => events.some((ev) => ev.type === "added" && ev.key === "live/p2"));
  // ... and after 2 quiet minutes it starts over (client-go: "assume the API server is healthy")
  await clock.advance(121_000);
  e.faults.failNext(1, { verb: "watch", resource: "pods", status: 500, inStream: true });
  e.faults.dropWatches();
  await until("failure 12", () => errors().length === 12 && clock.pending === 1);
  expect(errors()[11]).toMatchObject({ retryInMs: 799, failures: 1 });
}, 30_000);

test("a server that sends no bookmarks (watch cache off): a quiet open watch stays ready at age 0, across reconnects", async () => {
  // before: not ready and ageing for good after 2 quiet minutes, as nothing but an event could ever count
  const { e, l, clock } = await start(600_000);
  await until("the watch to open", () => l.health().watching && e.watchCount === 1);
  await clock.advance(170_000);
  expect(l.health()).toMatchObject({ watching: true, bookmarks: false, consecutiveFailures: 0 });
  expect(l.isReady(120_000)).toBe(true);
  expect(l.ageSeconds()).toBe(0);
  // the server ends the quiet watch (its timeoutSeconds; our idle timer ends it the same quiet way): reopened, still ready
  expect(e.faults.dropWatches()).toBe(1);
  await until("the watch to reopen", () => l.health().watching && e.watchCount === 1);
  await clock.advance(170_000);
  expect(l.isReady(120_000)).toBe(true);
  expect(l.ageSeconds()).toBe(0);
  expect(l.health().consecutiveFailures).toBe(0);

  // one transient failure: the reopened quiet watch is not proof at once, but is after a minute open
  e.faults.failNext(1, { verb: "watch", resource: "pods", status: 500, inStream: true });
  e.faults.dropWatches();
  await until("the failure's backoff", () => l.health().consecutiveFailures === 1 && clock.pending === 1);
  await clock.advance(799);
  await until("the watch to reopen after the failure", () => l.health().watching && e.watchCount === 1);
  expect(l.isReady(120_000)).toBe(false);
  await clock.advance(60_000);
  expect(l.isReady(120_000)).toBe(true);
  expect(l.ageSeconds()).toBe(0);
}, 30_000);

test("once the server has sent a bookmark, a stream that goes silent ages and trips readiness; a bookmark is progress", async () => {
  const { e, l, clock } = await start(50);
  await until("a first bookmark", () => l.health().bookmarks);
  expect(e.faults.stallWatches()).toBe(1);
  await clock.advance(90_000);
  // open all along, but nothing heard for 90 s from a server that sends a bookmark a minute: it stalled
  expect(l.health().watching).toBe(true);
  expect(l.ageSeconds()).toBe(90);
  await clock.advance(40_000);
  expect(l.isReady(120_000)).toBe(false);
  // the stalled stream ends (in production: the 3-minute idle timer); the next one's bookmarks alone bring the age back to 0
  e.faults.dropWatches();
  await until("a bookmark", () => l.ageSeconds() === 0);
  expect(l.isReady(120_000)).toBe(true);
}, 30_000);
