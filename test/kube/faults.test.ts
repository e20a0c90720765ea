/**
 * Fault injection for chaos tests: injected statuses (with Retry-After), latency, dropped
 * watches, compaction, expired continue tokens and a listener that stops and restarts on the same port.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { startEmulator, type Emulator } from "./emulator.ts";
import { call, watch } from "./test-client.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

describe("injected failures", () => {
  test("the next N matching requests fail with 503 and Retry-After, then requests succeed", async () => {
    emu.faults.failNext(2, { verb: "list", resource: "configmaps", status: 503, retryAfterSeconds: 3 });
    const other = await call(emu, "/api/v1/namespaces/default/secrets");
    expect(other.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await call(emu, "/api/v1/namespaces/default/configmaps");
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("3");
      expect(r.body).toMatchObject({ kind: "Status", status: "Failure", code: 503, reason: "ServiceUnavailable", details: { retryAfterSeconds: 3 } });
    }
    expect((await call(emu, "/api/v1/namespaces/default/configmaps")).status).toBe(200);
    expect(emu.faults.pendingFailures).toBe(0);
  });

  test("429 TooManyRequests and 500 InternalError shapes", async () => {
    emu.faults.failNext(1, { method: "POST", status: 429, retryAfterSeconds: 1 });
    emu.faults.failNext(1, { path: "/api/v1/namespaces/default/configmaps/x" });
    const throttled = await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "x" } } });
    expect(throttled.status).toBe(429);
    expect(throttled.body.reason).toBe("TooManyRequests");
    expect(throttled.headers.get("retry-after")).toBe("1");
    const created = await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "x" } } });
    expect(created.status).toBe(201);
    const failed = await call(emu, "/api/v1/namespaces/default/configmaps/x");
    expect(failed.status).toBe(500);
    expect(failed.body.reason).toBe("InternalError");
  });

  test("latency delays matching requests until cleared", async () => {
    emu.faults.addLatency(200, { resource: "secrets" });
    const t0 = performance.now();
    await call(emu, "/api/v1/namespaces/default/secrets");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    emu.faults.clear();
  });
});

describe("watch and listener faults", () => {
  test("dropWatches ends every open watch", async () => {
    const rv = (await call(emu, "/api/v1/namespaces/default/pods")).body.metadata.resourceVersion;
    const a = await watch(emu, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    const b = await watch(emu, `/api/v1/configmaps?watch=true&resourceVersion=${rv}`);
    expect(emu.watchCount).toBe(2);
    expect(emu.faults.dropWatches()).toBe(2);
    expect(await a.next()).toBeUndefined();
    expect(await b.next()).toBeUndefined();
    expect(emu.watchCount).toBe(0);
  });

  test("inStream: a watch opens (200), sends the Status as one ERROR event and ends; other requests are untouched", async () => {
    const rv = (await call(emu, "/api/v1/namespaces/default/pods")).body.metadata.resourceVersion;
    emu.faults.failNext(2, { verb: "watch", resource: "pods", status: 500, inStream: true });
    expect((await call(emu, "/api/v1/namespaces/default/pods")).status).toBe(200); // a list is not a watch
    for (let i = 0; i < 2; i++) {
      const w = await watch(emu, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
      expect(w.status).toBe(200);
      expect(await w.rest()).toEqual([{ type: "ERROR", object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Internal error occurred: injected fault", reason: "InternalError", code: 500 } }]);
    }
    expect(emu.faults.pendingFailures).toBe(0);
    const healthy = await watch(emu, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: { metadata: { name: "after-fault" }, spec: { containers: [{ name: "c", image: "i" }] } } });
    expect(await healthy.next()).toMatchObject({ type: "ADDED", object: { metadata: { name: "after-fault" } } });
    healthy.close();
  });

  test("after compaction a watch from an older resourceVersion gets 410 Expired", async () => {
    const rv = (await call(emu, "/api/v1/namespaces/default/pods")).body.metadata.resourceVersion;
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "bump" } } });
    emu.faults.compact();
    const w = await watch(emu, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    expect((await w.next())?.object.code).toBe(410);
  });

  test("the listener stops (connections refused, open watches cut) and restarts on the same port", async () => {
    const rv = (await call(emu, "/api/v1/namespaces/default/pods")).body.metadata.resourceVersion;
    const w = await watch(emu, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    const port = emu.port;
    await emu.faults.stopListener();
    expect(await w.next().catch(() => undefined)).toBeUndefined();
    const refused = await call(emu, "/api/v1/namespaces").then(() => "connected", (e: Error) => e.message);
    expect(refused).not.toBe("connected");
    await emu.faults.startListener();
    expect(emu.port).toBe(port);
    const after = await call(emu, "/api/v1/namespaces/default/configmaps/bump");
    expect(after.status).toBe(200);
  });

  test("stopListener also cuts a connection still in its TLS handshake", async () => {
    const raw = net.connect({ host: "127.0.0.1", port: emu.port });
    await new Promise((resolve) => raw.once("connect", resolve));
    const closed = new Promise((resolve) => raw.once("close", resolve));
    await emu.faults.stopListener();
    await closed;
    await emu.faults.startListener();
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/bump")).status).toBe(200);
  });

  test("restart() keeps the store", async () => {
    await emu.restart();
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/bump")).status).toBe(200);
  });
});

describe("continue token expiry", () => {
  test("expireContinueTokens(n): the next n continue requests get 410 Expired offering an inconsistent token that continues at the latest revision", async () => {
    await call(emu, "/api/v1/namespaces", { method: "POST", body: { metadata: { name: "pager" } } });
    for (let i = 0; i < 5; i++) await call(emu, "/api/v1/namespaces/pager/configmaps", { method: "POST", body: { metadata: { name: `c${i}` } } });
    const first = await call(emu, "/api/v1/namespaces/pager/configmaps?limit=2");
    expect(first.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(["c0", "c1"]);
    emu.faults.expireContinueTokens(1);
    await call(emu, "/api/v1/namespaces/pager/configmaps", { method: "POST", body: { metadata: { name: "c5" } } });
    const gone = await call(emu, `/api/v1/namespaces/pager/configmaps?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ kind: "Status", status: "Failure", code: 410, reason: "Expired" });
    expect(gone.body.message).toStartWith("The provided continue parameter is too old to display a consistent list result.");
    // The offered token lists the rest as of now: c5, created after the first page, shows up.
    const rest: string[] = [];
    let cont: string | undefined = gone.body.metadata.continue;
    while (cont) {
      const page = await call(emu, `/api/v1/namespaces/pager/configmaps?limit=2&continue=${encodeURIComponent(cont)}`);
      expect(page.status).toBe(200);
      rest.push(...page.body.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      cont = page.body.metadata.continue;
    }
    expect(rest).toEqual(["c2", "c3", "c4", "c5"]);
  });

  test("expireContinueTokens() lasts until clear(); lists without a continue token are untouched", async () => {
    emu.faults.expireContinueTokens();
    for (let round = 0; round < 3; round++) {
      const first = await call(emu, "/api/v1/namespaces/pager/configmaps?limit=2");
      expect(first.status).toBe(200);
      expect((await call(emu, `/api/v1/namespaces/pager/configmaps?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`)).status).toBe(410);
    }
    expect((await call(emu, "/api/v1/namespaces/pager/configmaps")).body.items.length).toBe(6);
    emu.faults.clear();
    const first = await call(emu, "/api/v1/namespaces/pager/configmaps?limit=2");
    expect((await call(emu, `/api/v1/namespaces/pager/configmaps?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`)).status).toBe(200);
  });
});
