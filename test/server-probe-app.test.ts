import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { Gauge, Registry } from "prom-client";
import { isErrorCode } from "../lib/errors.ts";
import { anyAddress, localUrlHost, parseListenAddress } from "../lib/server/listen-address.ts";
import { createProbeApp } from "../lib/server/probe-app.ts";
import { serveHttp } from "../lib/server/serve-http.ts";

describe("parseListenAddress()", () => {
  test.each([
    ["0.0.0.0:9090", "0.0.0.0", 9090],
    ["localhost:8443", "localhost", 8443],
    ["[::1]:8443", "::1", 8443],
    ["127.0.0.1:0", "127.0.0.1", 0],
  ])("%s", (addr, hostname, port) => {
    expect(parseListenAddress(addr)).toEqual({ hostname, port });
  });

  test("an empty host is every address: IPv6 and IPv4 where the machine has IPv6, else IPv4", () => {
    expect(parseListenAddress(":8080", "--addr", () => anyAddress(() => true))).toEqual({ hostname: "::", port: 8080 });
    expect(parseListenAddress(":8080", "--addr", () => anyAddress(() => false))).toEqual({ hostname: "0.0.0.0", port: 8080 });
  });

  test("the URL a wildcard listener logs is loopback; IPv6 literals are bracketed", () => {
    expect([localUrlHost("::"), localUrlHost("0.0.0.0"), localUrlHost("::1"), localUrlHost("localhost")]).toEqual(["127.0.0.1", "127.0.0.1", "[::1]", "localhost"]);
  });

  test("rejects what is not host:port with a usage error naming the flag", () => {
    for (const bad of ["8080", "host:", "host:99999", "a:b:c", ""]) {
      let err: unknown;
      try {
        parseListenAddress(bad, "--metrics-addr");
      } catch (e) {
        err = e;
      }
      expect(isErrorCode(err, "USAGE")).toBe(true);
      expect(String((err as Error).message)).toContain("--metrics-addr");
    }
  });
});

describe("createProbeApp()", () => {
  const registry = new Registry();
  new Gauge({ name: "probe_test_gauge", help: "a test gauge", registers: [registry] }).set(7);
  let ready = false;
  const app = createProbeApp({ registry, readiness: () => ({ ready, reasons: ready ? [] : ["not synced"] }) });

  test("/healthz is 200 while /readyz follows the component", async () => {
    expect((await app.request("/healthz")).status).toBe(200);
    const notReady = await app.request("/readyz");
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: "not ready", reasons: ["not synced"] });
    ready = true;
    expect((await app.request("/readyz")).status).toBe(200);
  });

  test("/metrics serves the component's registry in the exposition format", async () => {
    const res = await app.request("/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toContain("probe_test_gauge 7");
  });

  test("unknown routes are a JSON 404", async () => {
    const res = await app.request("/nope");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toContain("/nope");
  });

  test("metricsAccess guards /metrics only: its refusal is sent, the probes stay open", async () => {
    const seen: string[] = [];
    const guarded = createProbeApp({
      registry,
      readiness: () => ({ ready: true, reasons: [] }),
      metricsAccess: async (request) => {
        seen.push(new URL(request.url).pathname);
        return request.headers.get("authorization") === "Bearer ok" ? undefined : new Response('{"error":"no"}', { status: 401 });
      },
    });
    expect((await guarded.request("/metrics")).status).toBe(401);
    expect(await (await guarded.request("/metrics", { headers: { Authorization: "Bearer ok" } })).text()).toContain("probe_test_gauge 7");
    expect([(await guarded.request("/healthz")).status, (await guarded.request("/readyz")).status]).toEqual([200, 200]);
    expect(seen).toEqual(["/metrics", "/metrics"]);
  });
});

describe("serveHttp()", () => {
  test("runs in production mode: an error the app lets through gets a bare 500, no error page with its stack", async () => {
    const app = new Hono();
    app.get("/fail", () => {
      throw new Error("secret detail from a failing route");
    });
    app.onError((err) => {
      throw err;
    });
    const server = serveHttp(app, { addr: "127.0.0.1:0" });
    try {
      const res = await fetch(`${server.url}/fail`);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toContain("secret detail");
      expect(text).not.toContain("server-probe-app.test.ts");
    } finally {
      await server.stop(true);
    }
  });
  test("an empty host answers on IPv4 and, where the machine has it, IPv6 (the API server of a single-stack IPv6 cluster can reach it)", async () => {
    const app = new Hono().get("/", (c) => c.text("hi"));
    const server = serveHttp(app, { addr: ":0" });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(await (await fetch(`http://127.0.0.1:${server.port}/`)).text()).toBe("hi");
      if (anyAddress() === "::") expect(await (await fetch(`http://[::1]:${server.port}/`)).text()).toBe("hi");
    } finally {
      await server.stop(true);
    }
  });

  test("an HTTP/1.0 request without a Host header (HAProxy httpchk) is routed by its full path", async () => {
    const app = new Hono().get("/healthz", (c) => c.text(`path ${c.req.path} url ${c.req.url}`));
    const server = serveHttp(app, { addr: "127.0.0.1:0" });
    try {
      const { connect } = await import("node:net");
      const answer = await new Promise<string>((resolve, reject) => {
        let text = "";
        const socket = connect({ host: "127.0.0.1", port: server.port }, () => socket.write("GET /healthz HTTP/1.0\r\n\r\n"));
        socket.on("data", (chunk) => (text += chunk));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
      expect(answer).toStartWith("HTTP/1.1 200 ");
      expect(answer).toEndWith(`path /healthz url http://127.0.0.1:${server.port}/healthz`);
    } finally {
      await server.stop(true);
    }
  });

  test("serves the app, and a taken port is a STARTUP error", async () => {
    const app = new Hono().get("/", (c) => c.text("hi"));
    const first = serveHttp(app, { addr: "127.0.0.1:0" });
    expect(await (await fetch(first.url)).text()).toBe("hi");
    let err: unknown;
    try {
      serveHttp(app, { addr: `127.0.0.1:${first.port}` });
    } catch (e) {
      err = e;
    }
    await first.stop(true);
    expect(isErrorCode(err, "STARTUP")).toBe(true);
  });
});
