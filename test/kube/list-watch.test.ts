/**
 * List and watch semantics over HTTPS, checked against the documented API concepts:
 * selectors, limit/continue pagination (consistent resourceVersion, remainingItemCount,
 * 410 for expired continue tokens), watch from a resourceVersion, "0"/unset initial events,
 * selector transitions, bookmarks, timeoutSeconds and 410 Expired for compacted history.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type Emulator } from "./emulator.ts";
import { call, pod, watch } from "./test-client.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ bookmarkIntervalMs: 100, historySize: 1000 });
  await call(emu, "/api/v1/namespaces", { method: "POST", body: { metadata: { name: "lw" } } });
  for (let i = 0; i < 12; i++) {
    const labels = { app: i % 2 === 0 ? "even" : "odd", tier: i < 6 ? "front" : "back" };
    await call(emu, "/api/v1/namespaces/lw/pods", { method: "POST", body: pod(`p${String(i).padStart(2, "0")}`, labels, { spec: { nodeName: i < 4 ? "node-a" : "node-b", containers: [{ name: "c", image: "x:1" }] } }) });
  }
});
afterAll(() => emu.stop());

const names = (body: any): string[] => body.items.map((p: any) => p.metadata.name);

describe("list selectors", () => {
  test("equality and set-based label selectors", async () => {
    expect(names((await call(emu, "/api/v1/namespaces/lw/pods?labelSelector=app%3Deven,tier!%3Dback")).body)).toEqual(["p00", "p02", "p04"]);
    expect(names((await call(emu, "/api/v1/namespaces/lw/pods?labelSelector=" + encodeURIComponent("tier in (back),app notin (even)"))).body)).toEqual(["p07", "p09", "p11"]);
    expect(names((await call(emu, "/api/v1/namespaces/lw/pods?labelSelector=!tier")).body)).toEqual([]);
    expect(names((await call(emu, "/api/v1/namespaces/lw/pods?labelSelector=tier")).body)).toHaveLength(12);
  });

  test("field selectors on metadata.name, spec.nodeName and status.phase", async () => {
    expect(names((await call(emu, "/api/v1/namespaces/lw/pods?fieldSelector=spec.nodeName%3Dnode-a")).body)).toEqual(["p00", "p01", "p02", "p03"]);
    expect(names((await call(emu, "/api/v1/pods?fieldSelector=metadata.name%3Dp05,metadata.namespace%3Dlw")).body)).toEqual(["p05"]);
    expect(names((await call(emu, "/api/v1/namespaces/lw/pods?fieldSelector=status.phase!%3DPending")).body)).toEqual([]);
  });

  test("an unsupported field selector is 400", async () => {
    const r = await call(emu, "/api/v1/namespaces/lw/pods?fieldSelector=spec.foo%3Dbar");
    expect(r.status).toBe(400);
    expect(r.body.message).toBe("field label not supported: spec.foo");
  });

  test("a malformed label selector is 400", async () => {
    expect((await call(emu, "/api/v1/namespaces/lw/pods?labelSelector=" + encodeURIComponent("a in (b"))).status).toBe(400);
  });
});

describe("pagination", () => {
  test("limit/continue pages add up to the full list with one resourceVersion", async () => {
    const full = (await call(emu, "/api/v1/namespaces/lw/pods")).body;
    const seen: string[] = [];
    let cont = "";
    let pages = 0;
    let rv: string | undefined;
    do {
      const r = (await call(emu, `/api/v1/namespaces/lw/pods?limit=5${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`)).body;
      if (pages === 0) expect(r.metadata.remainingItemCount).toBe(7);
      rv ??= r.metadata.resourceVersion;
      expect(r.metadata.resourceVersion).toBe(rv!);
      seen.push(...names(r));
      cont = r.metadata.continue ?? "";
      pages++;
      if (pages === 1) await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "between-pages" } } });
    } while (cont);
    expect(pages).toBe(3);
    expect(seen).toEqual(names(full));
  });

  test("the last page has no continue token", async () => {
    const r = (await call(emu, "/api/v1/namespaces/lw/pods?limit=12")).body;
    expect(r.metadata.continue).toBeUndefined();
    expect(r.items).toHaveLength(12);
  });

  test("a continue token older than the compacted revision is 410 Expired", async () => {
    const first = (await call(emu, "/api/v1/namespaces/lw/pods?limit=2")).body;
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "after-first-page" } } });
    emu.faults.compact();
    const r = await call(emu, `/api/v1/namespaces/lw/pods?limit=2&continue=${encodeURIComponent(first.metadata.continue)}`);
    expect(r.status).toBe(410);
    expect(r.body.reason).toBe("Expired");
  });
});

describe("watch", () => {
  test("from a list resourceVersion: ADDED, MODIFIED, DELETED arrive as they happen", async () => {
    const list = (await call(emu, "/api/v1/namespaces/lw/configmaps")).body;
    const w = await watch(emu, `/api/v1/namespaces/lw/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    expect(w.status).toBe(200);
    const created = (await call(emu, "/api/v1/namespaces/lw/configmaps", { method: "POST", body: { metadata: { name: "w1" }, data: { a: "1" } } })).body;
    const added = await w.next();
    expect(added?.type).toBe("ADDED");
    expect(added?.object.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    await call(emu, "/api/v1/namespaces/lw/configmaps/w1", { method: "PATCH", body: { data: { a: "2" } }, contentType: "application/merge-patch+json" });
    const modified = await w.next();
    expect(modified?.type).toBe("MODIFIED");
    expect(modified?.object.data.a).toBe("2");
    await call(emu, "/api/v1/namespaces/lw/configmaps/w1", { method: "DELETE" });
    const deleted = await w.next();
    expect(deleted?.type).toBe("DELETED");
    expect(Number(deleted?.object.metadata.resourceVersion)).toBeGreaterThan(Number(modified?.object.metadata.resourceVersion));
    w.close();
  });

  test("resourceVersion unset or 0 starts with synthetic ADDED events for existing objects", async () => {
    for (const rv of ["", "&resourceVersion=0"]) {
      const w = await watch(emu, `/api/v1/namespaces/lw/pods?watch=1&labelSelector=app%3Dodd${rv}`);
      const events = [];
      for (let i = 0; i < 6; i++) events.push(await w.next());
      expect(events.map((e) => e?.type)).toEqual(Array(6).fill("ADDED"));
      expect(events.map((e) => e?.object.metadata.name)).toEqual(["p01", "p03", "p05", "p07", "p09", "p11"]);
      w.close();
    }
  });

  test("a watch replays history after an older resourceVersion", async () => {
    const before = (await call(emu, "/api/v1/namespaces/lw/secrets")).body.metadata.resourceVersion;
    await call(emu, "/api/v1/namespaces/lw/secrets", { method: "POST", body: { metadata: { name: "s1" } } });
    await call(emu, "/api/v1/namespaces/lw/secrets", { method: "POST", body: { metadata: { name: "s2" } } });
    const w = await watch(emu, `/api/v1/namespaces/lw/secrets?watch=true&resourceVersion=${before}`);
    expect((await w.next())?.object.metadata.name).toBe("s1");
    expect((await w.next())?.object.metadata.name).toBe("s2");
    w.close();
  });

  test("an object leaving the label selector is DELETED for the watcher, entering it is ADDED", async () => {
    const list = (await call(emu, "/api/v1/namespaces/lw/pods?labelSelector=app%3Deven")).body;
    const w = await watch(emu, `/api/v1/namespaces/lw/pods?watch=true&labelSelector=app%3Deven&resourceVersion=${list.metadata.resourceVersion}`);
    await call(emu, "/api/v1/namespaces/lw/pods/p00", { method: "PATCH", body: { metadata: { labels: { app: "gone" } } }, contentType: "application/merge-patch+json" });
    const left = await w.next();
    expect(left?.type).toBe("DELETED");
    expect(left?.object.metadata.labels.app).toBe("gone");
    await call(emu, "/api/v1/namespaces/lw/pods/p00", { method: "PATCH", body: { metadata: { labels: { app: "even" } } }, contentType: "application/merge-patch+json" });
    expect((await w.next())?.type).toBe("ADDED");
    w.close();
  });

  test("allowWatchBookmarks sends BOOKMARK events carrying only a resourceVersion", async () => {
    const list = (await call(emu, "/api/v1/namespaces/lw/pods")).body;
    const w = await watch(emu, `/api/v1/namespaces/lw/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${list.metadata.resourceVersion}`);
    const e = await w.next(3000);
    expect(e?.type).toBe("BOOKMARK");
    expect(e?.object.kind).toBe("Pod");
    expect(Number(e?.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(list.metadata.resourceVersion));
    w.close();
  });

  test("timeoutSeconds ends the stream", async () => {
    const list = (await call(emu, "/api/v1/namespaces/lw/pods")).body;
    const w = await watch(emu, `/api/v1/namespaces/lw/pods?watch=true&timeoutSeconds=1&resourceVersion=${list.metadata.resourceVersion}`);
    expect(await w.rest(5000)).toEqual([]);
  });

  test("a compacted resourceVersion gets an ERROR event with a 410 Expired Status", async () => {
    const old = (await call(emu, "/api/v1/namespaces/lw/pods")).body.metadata.resourceVersion;
    await call(emu, "/api/v1/namespaces/lw/configmaps", { method: "POST", body: { metadata: { name: "bump" } } });
    emu.faults.compact();
    const w = await watch(emu, `/api/v1/namespaces/lw/pods?watch=true&resourceVersion=${old}`);
    expect(w.status).toBe(200);
    const e = await w.next();
    expect(e?.type).toBe("ERROR");
    expect(e?.object).toMatchObject({ kind: "Status", status: "Failure", code: 410, reason: "Expired" });
    expect(e?.object.message).toStartWith(`too old resource version: ${old}`);
    expect(await w.next()).toBeUndefined();
  });

  test("history beyond the ring size is compacted too", async () => {
    const small = await startEmulator({ historySize: 5 });
    try {
      const rv = (await call(small, "/api/v1/namespaces/default/configmaps")).body.metadata.resourceVersion;
      for (let i = 0; i < 6; i++) await call(small, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: `c${i}` } } });
      const w = await watch(small, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
      expect((await w.next())?.object.code).toBe(410);
    } finally {
      await small.stop();
    }
  });

  test("with expiredWatchAs=http the initial request itself is HTTP 410", async () => {
    const strict = await startEmulator({ expiredWatchAs: "http" });
    try {
      const rv = (await call(strict, "/api/v1/namespaces/default/configmaps")).body.metadata.resourceVersion;
      await call(strict, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "c" } } });
      strict.faults.compact();
      const r = await call(strict, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
      expect(r.status).toBe(410);
      expect(r.body.reason).toBe("Expired");
    } finally {
      await strict.stop();
    }
  });

  test("sendInitialEvents ends the initial events with an annotated BOOKMARK", async () => {
    const w = await watch(emu, "/api/v1/namespaces/lw/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&labelSelector=tier%3Dfront");
    const events = [];
    for (let i = 0; i < 7; i++) events.push(await w.next());
    expect(events.slice(0, 6).every((e) => e?.type === "ADDED")).toBe(true);
    expect(events[6]?.type).toBe("BOOKMARK");
    expect(events[6]?.object.metadata.annotations["k8s.io/initial-events-end"]).toBe("true");
    w.close();
  });
});
