/**
 * The list+watch loop against the mini API server: paged initial list, watch
 * events, relist on 410 with the deletions the watch missed, reconnects after
 * dropped streams and listener restarts, error bursts, and no hot loop.
 * The final store must equal the server's state, and the event sequence must
 * be consistent (no add of a known key, no delete of an unknown one).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock, type Clock } from "../../lib/kube/clock.ts";
import { createKubeClient } from "../../lib/kube/client.ts";
import { loadKubeConfig } from "../../lib/kube/kubeconfig.ts";
import { listWatch, type ListWatch, type ListWatchEvent } from "../../lib/kube/list-watch.ts";
import { PODS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { MiniApi } from "./support/mini-api.ts";

let api: MiniApi;
let loop: ListWatch<number> | undefined;

afterEach(async () => {
  await loop?.stop();
  loop = undefined;
  api?.stop();
});

function clientFor(api: MiniApi, clock?: Clock, maxAttempts = 5) {
  const dir = mkdtempSync(join(tmpdir(), "kd-lw-"));
  writeFileSync(join(dir, "config"), api.kubeconfig());
  return createKubeClient(loadKubeConfig({ kubeconfig: join(dir, "config"), env: {} }), { rateLimit: false, retry: { maxAttempts, baseMs: 5, maxMs: 20 }, ...(clock ? { clock } : {}) });
}

const restartsOf = (obj: KubeObject) => (obj as { status?: { restarts?: number } }).status?.restarts ?? 0;

/** Starts a loop and a model that checks every event against what came before. */
function startLoop(api: MiniApi, extra: { clock?: Clock; maxAttempts?: number } = {}) {
  const model = new Map<string, number>();
  const problems: string[] = [];
  const events: ListWatchEvent<number>[] = [];
  let syncedResolve: () => void = () => {};
  const synced = new Promise<void>((r) => (syncedResolve = r));
  loop = listWatch<number>({
    client: clientFor(api, extra.clock, extra.maxAttempts),
    type: PODS,
    project: restartsOf,
    pageSize: 2,
    backoff: { baseMs: 20, maxMs: 100, minMs: 5 },
    watchTimeoutSeconds: { min: 30, max: 30 },
    ...(extra.clock ? { clock: extra.clock } : {}),
    onEvent(e) {
      events.push(e);
      if (e.type === "added") {
        if (model.has(e.key)) problems.push(`duplicate add ${e.key}`);
        model.set(e.key, e.value);
      } else if (e.type === "modified") {
        if (!model.has(e.key)) problems.push(`modify of unknown ${e.key}`);
        model.set(e.key, e.value);
      } else if (e.type === "deleted") {
        if (!model.has(e.key)) problems.push(`duplicate delete ${e.key}`);
        model.delete(e.key);
      } else if (e.type === "synced") syncedResolve();
    },
  });
  void loop.start();
  return { model, problems, events, synced, loop };
}

function serverState(api: MiniApi): Map<string, number> {
  return new Map([...api.pods].map(([k, v]) => [k, (v as unknown as { status: { restarts: number } }).status.restarts]));
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await Bun.sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function equalMaps(a: Map<string, number>, b: Map<string, number>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

describe("list+watch", () => {
  test("lists in pages, syncs, then streams adds, modifies and deletes", async () => {
    api = await MiniApi.start();
    for (let i = 0; i < 5; i++) api.upsertPod("a", `p${i}`, i);
    const { model, problems, synced, events, loop } = startLoop(api);
    await synced;
    expect(model.size).toBe(5);
    expect(loop.isReady()).toBe(true);
    expect(api.requests.filter((r) => r.startsWith("GET /api/v1/pods?limit=2")).length).toBe(3);
    await until("watching", () => api.watcherCount === 1);
    const watchReq = api.requests.find((r) => r.includes("watch=true"));
    expect(watchReq).toContain("allowWatchBookmarks=true");
    expect(watchReq).toContain(`resourceVersion=${105}`);
    api.upsertPod("a", "p0", 7);
    api.upsertPod("b", "new", 1);
    api.deletePod("a", "p4");
    await until("events", () => equalMaps(model, serverState(api)));
    expect(events.filter((e) => e.type !== "synced").slice(-3).map((e) => e.type)).toEqual(["modified", "added", "deleted"]);
    expect(loop.store.get("a/p0")).toBe(7);
    expect(problems).toEqual([]);
  });

  test("a compaction while disconnected relists and reports the deletions the watch missed", async () => {
    api = await MiniApi.start();
    for (let i = 0; i < 6; i++) api.upsertPod("a", `p${i}`);
    const { model, problems, synced, events } = startLoop(api);
    await synced;
    await until("watching", () => api.watcherCount === 1);
    api.failures.push({ match: "watch=true", status: 503, reason: "ServiceUnavailable" }); // keep it away for one try
    api.dropWatches();
    api.deletePod("a", "p1");
    api.deletePod("a", "p2");
    api.upsertPod("a", "p3", 9);
    api.compact(); // history gone: the next watch from the old version is told 410
    await until("relisted", () => events.some((e) => e.type === "relisted"));
    await until("converged", () => equalMaps(model, serverState(api)));
    const relisted = events.find((e) => e.type === "relisted");
    expect(relisted?.type === "relisted" && [...relisted.keys].sort()).toEqual(["a/p0", "a/p3", "a/p4", "a/p5"]);
    expect(events.filter((e) => e.type === "deleted").map((e) => (e as { key: string }).key).sort()).toEqual(["a/p1", "a/p2"]);
    expect(problems).toEqual([]);
  });

  test("chaos: dropped watches, 410s, 500/429 bursts with Retry-After, an expired continue token and a listener restart", async () => {
    api = await MiniApi.start();
    for (let i = 0; i < 10; i++) api.upsertPod("ns", `p${i}`);
    const { model, problems, synced, events } = startLoop(api);
    await synced;
    let n = 10;
    for (let round = 0; round < 6; round++) {
      await until("watching", () => api.watcherCount >= 1);
      api.upsertPod("ns", `p${n++}`, round);
      api.deletePod("ns", `p${round}`);
      api.upsertPod("ns", `p${round + 5}`, 100 + round);
      switch (round % 3) {
        case 0:
          api.dropWatches();
          break;
        case 1:
          api.failures.push({ match: "watch=true", status: 500, reason: "InternalError" }, { match: "watch=true", status: 429, reason: "TooManyRequests", retryAfter: "0" });
          api.expireContinue = true;
          api.dropWatches();
          api.deletePod("ns", `p${round + 20}`);
          api.deletePod("ns", `p${n - 1}`);
          api.compact(); // the deletions above are only visible to a relist
          break;
        case 2:
          await api.restart();
          api.upsertPod("ns", `late${round}`, 1);
          break;
      }
    }
    await until("converged", () => equalMaps(model, serverState(api)));
    expect(problems).toEqual([]);
    expect(events.some((e) => e.type === "error")).toBe(true);
    expect(events.some((e) => e.type === "relisted")).toBe(true);
  });

  test("errors back off on the clock instead of spinning (no hot loop)", async () => {
    api = await MiniApi.start();
    const clock = new ManualClock();
    for (let i = 0; i < 100; i++) api.failures.push({ match: "/api/v1/pods", status: 500, reason: "InternalError" });
    const { events } = startLoop(api, { clock, maxAttempts: 1 });
    await until("first failure parked", () => clock.pending === 1 && events.length === 1);
    const before = api.requests.length;
    await Bun.sleep(50);
    expect(api.requests.length).toBe(before); // parked on the backoff sleep: no requests
    expect(events[0]).toMatchObject({ type: "error", phase: "list", failures: 1 });
    await clock.advance(200);
    await until("second failure", () => events.length === 2);
    expect(events[1]).toMatchObject({ type: "error", failures: 2 });
    expect(loop?.isReady()).toBe(false);
    expect(loop?.health().consecutiveFailures).toBe(2);
  });

  test("a server that answers 410 after every fresh list is backed off, not hammered", async () => {
    api = await MiniApi.start();
    api.upsertPod("a", "p");
    api.alwaysGone = true;
    const clock = new ManualClock();
    const { events } = startLoop(api, { clock, maxAttempts: 1 });
    await until("parked after repeated 410", () => clock.pending === 1 && events.some((e) => e.type === "error"));
    const before = api.requests.length;
    await Bun.sleep(50);
    expect(api.requests.length).toBe(before);
    expect(api.requests.filter((r) => r.includes("watch=true")).length).toBe(2);
    expect(events.find((e) => e.type === "error")).toMatchObject({ phase: "watch", failures: 1 });
  });

  test("a watch answered 404 (the CRD was deleted) lists next: the resource's return is a relisted event with the store reconciled", async () => {
    api = await MiniApi.start();
    api.upsertPod("a", "kept");
    api.upsertPod("a", "gone");
    const { model, problems, events, synced } = startLoop(api, { maxAttempts: 1 });
    await synced;
    api.failures.push({ match: "watch=true", status: 404, reason: "NotFound" });
    api.deletePod("a", "gone"); // deleted while nothing watched: only a list can tell
    api.dropWatches();
    await until("the relist after the 404", () => events.some((e) => e.type === "relisted"));
    const afterWatch404 = events.slice(events.findIndex((e) => e.type === "error"));
    expect(afterWatch404[0]).toMatchObject({ type: "error", phase: "watch" });
    expect(afterWatch404.find((e) => e.type === "relisted")).toMatchObject({ reason: "error" });
    expect(api.requests.slice(-3).some((r) => !r.includes("watch=true"))).toBe(true);
    await until("the store to equal the server", () => equalMaps(model, serverState(api)));
    expect(problems).toEqual([]);
  });

  test("a projection that throws is reported as an error event and the loop carries on", async () => {
    api = await MiniApi.start();
    api.upsertPod("a", "good", 1);
    api.upsertPod("a", "bad", 666);
    const events: ListWatchEvent<number>[] = [];
    let synced: () => void = () => {};
    const done = new Promise<void>((r) => (synced = r));
    loop = listWatch<number>({
      client: clientFor(api),
      type: PODS,
      project: (o) => {
        const r = restartsOf(o);
        if (r === 666) throw new Error("cannot project");
        return r;
      },
      onEvent: (e) => {
        events.push(e);
        if (e.type === "synced") synced();
      },
    });
    void loop.start();
    await done;
    expect(loop.store.get("a/good")).toBe(1);
    expect(loop.store.get("a/bad")).toBeUndefined();
    expect(events.some((e) => e.type === "error" && (e.error as Error).message === "cannot project")).toBe(true);
    await until("watching", () => api.watcherCount === 1);
    api.upsertPod("a", "later", 2);
    await until("later arrives", () => loop?.store.get("a/later") === 2);
  });
});
