/**
 * The webhook's `/metrics` behind lib/server/metrics-auth.ts (decision 0029), in process against
 * the API emulator over HTTPS: the webhook runs as its ServiceAccount with exactly its generated
 * RBAC, scrapers send real ServiceAccount tokens, and the API calls are counted at the emulator.
 * Then the cache's bounds with a counting fake client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveDeployOptions } from "../../gen/options.ts";
import { METRICS_READER, renderRbac } from "../../gen/rbac.ts";
import { createKubeClient, type KubeClient } from "../../lib/kube/client.ts";
import { loadKubeConfig } from "../../lib/kube/kubeconfig.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { createLogger } from "../../lib/log.ts";
import { bearerToken, createMetricsAccess, type MetricsAccess } from "../../lib/server/metrics-auth.ts";
import { createWebhookHandlers } from "../../lib/webhook/app.ts";
import { createWebhookMetrics } from "../../lib/webhook/metrics.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { ENFORCE_LATEST, goodContainer, pod, policies, request, review } from "./fixtures.ts";

const NAMESPACE = "kube-devops";
let emu: Emulator;
let webhookClient: KubeClient;
/** TokenReview and SubjectAccessReview requests the emulator received. */
const reviews: string[] = [];

/** `serviceaccounts`, `clusterroles.rbac.authorization.k8s.io`: the store's name for an object's resource. */
function resourceOf(o: { apiVersion: string; kind: string }): string {
  const plural = `${o.kind.toLowerCase()}s`;
  return o.apiVersion.includes("/") ? `${plural}.${o.apiVersion.split("/")[0]}` : plural;
}

/** The webhook app with `/metrics` behind a fresh access check; log lines captured. */
function makeGuardedApp(client = webhookClient, cache: { allowedTtlMs?: number } = {}) {
  const lines: string[] = [];
  const logger = createLogger({ format: "json", level: "debug", write: (l) => void lines.push(l) });
  const access = createMetricsAccess({ client, logger, timeoutMs: 2_000, ...cache });
  const metrics = createWebhookMetrics();
  const index = policies([ENFORCE_LATEST]);
  const { app } = createWebhookHandlers({ ownNamespace: NAMESPACE, policiesFor: (ns) => index.forNamespace(ns), metrics, logger, readiness: () => ({ ready: true, reasons: [] }), metricsAccess: access.check });
  const scrape = (token?: string) => app.request("/metrics", token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });
  return { app, access, lines, scrape };
}

beforeAll(async () => {
  emu = await startEmulator();
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } });
  // the generated RBAC: the webhook's review grants, the metrics reader and its binding
  for (const o of renderRbac(resolveDeployOptions("1.0.0", { namespace: NAMESPACE })) as (KubeObject & { apiVersion: string; kind: string })[]) {
    await emu.store.create(resourceOf(o), o as never, { namespace: o.metadata?.namespace });
  }
  await emu.store.create("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "nosy", namespace: "team-a" } }, { namespace: "team-a" });
  const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-metrics-auth-")), "kubeconfig"), { token: emu.serviceAccountToken(NAMESPACE, "kube-devops-webhook") });
  webhookClient = createKubeClient(loadKubeConfig({ kubeconfig, env: {} }), { rateLimit: false, retry: { maxAttempts: 2, baseMs: 10, maxMs: 50 } });
  const authenticate = emu.hooks.authenticate;
  if (!authenticate) throw new Error("the emulator has no authenticate hook");
  emu.hooks.authenticate = (req) => {
    if (/\/(tokenreviews|subjectaccessreviews)$/.test(req.url.pathname)) reviews.push(req.url.pathname.split("/").pop() as string);
    return authenticate(req);
  };
});

afterAll(async () => {
  await emu?.stop();
});

describe("webhook /metrics with --metrics-auth kubernetes (in process, API emulator)", () => {
  test("no token: 401 with a Bearer challenge and a JSON body, without asking the API server", async () => {
    const { scrape } = makeGuardedApp();
    const before = reviews.length;
    const res = await scrape();
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(((await res.json()) as { error: string }).error).toContain("missing bearer token");
    expect(reviews.length).toBe(before);
  });

  test("a token the API server rejects, or another scheme: 401", async () => {
    const { app, scrape } = makeGuardedApp();
    const res = await scrape("not-a-token-the-api-server-issued");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    expect(await res.json()).toEqual({ error: "invalid bearer token" });
    expect((await app.request("/metrics", { headers: { Authorization: "Basic dXNlcjpwYXNz" } })).status).toBe(401);
  });

  test("a valid token whose identity may not get /metrics: 403 naming it", async () => {
    const { scrape } = makeGuardedApp();
    const res = await scrape(emu.serviceAccountToken("team-a", "nosy"));
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(((await res.json()) as { error: string }).error).toStartWith('user "system:serviceaccount:team-a:nosy" may not get /metrics');
  });

  test("the metrics reader's token: 200 with the Prometheus text; the next scrape is answered from the cache", async () => {
    const { scrape, access } = makeGuardedApp();
    const token = emu.serviceAccountToken(NAMESPACE, METRICS_READER);
    const before = reviews.length;
    const res = await scrape(token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/plain");
    expect(await res.text()).toContain("# TYPE webhook_requests_total counter");
    expect(reviews.slice(before)).toEqual(["tokenreviews", "subjectaccessreviews"]);
    expect((await scrape(token)).status).toBe(200);
    expect(reviews.slice(before)).toEqual(["tokenreviews", "subjectaccessreviews"]); // no new API call
    expect(access.cached).toBe(1);
  });

  test("/healthz and /readyz stay open (the kubelet probes them) and /validate needs no token", async () => {
    const { app } = makeGuardedApp();
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/readyz")).status).toBe(200);
    const res = await app.request("/validate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(review(request(pod([goodContainer("app", { image: "nginx:latest" })])))) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { response: { allowed: boolean } }).response.allowed).toBe(false);
  });

  test("API server unreachable: 503 and a log line without the token, not cached; /validate still answers; the same token works once it is back", async () => {
    const { app, scrape, lines, access } = makeGuardedApp();
    const token = emu.serviceAccountToken(NAMESPACE, METRICS_READER);
    await emu.faults.stopListener();
    try {
      const res = await scrape(token);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toContain("unavailable");
      const logged = lines.filter((l) => l.includes("cannot authorize a metrics request"));
      expect(logged.length).toBe(1);
      expect(lines.join("")).not.toContain(token);
      expect(access.cached).toBe(0);
      const verdict = await app.request("/validate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(review(request(pod([goodContainer()])))) });
      expect(verdict.status).toBe(200);
    } finally {
      await emu.faults.startListener();
    }
    expect((await scrape(token)).status).toBe(200);
  });

  test("API server gone after the token was allowed: its decision still answers (a review is tried on every scrape and logged), so the outage is not every component's `up 0`; a token never allowed still gets 503", async () => {
    // allowedTtlMs 0: every scrape asks the API server, as one does once the 60 s are over
    const { scrape, lines } = makeGuardedApp(webhookClient, { allowedTtlMs: 0 });
    const reader = emu.serviceAccountToken(NAMESPACE, METRICS_READER);
    expect((await scrape(reader)).status).toBe(200);
    await emu.faults.stopListener();
    try {
      const during = await scrape(reader);
      expect(during.status).toBe(200);
      expect(await during.text()).toContain("webhook_requests_total");
      expect(lines.some((l) => l.includes("answering with this token's allowed decision of a while ago"))).toBe(true);
      const nosy = await scrape(emu.serviceAccountToken("team-a", "nosy"));
      expect(nosy.status).toBe(503);
    } finally {
      await emu.faults.startListener();
    }
    expect((await scrape(reader)).status).toBe(200);
  });

  test("an API error answer (500 on the TokenReview): 503, and the next scrape asks again", async () => {
    const { scrape } = makeGuardedApp();
    const token = emu.serviceAccountToken(NAMESPACE, METRICS_READER);
    emu.faults.failNext(1, { resource: "tokenreviews", status: 500 });
    expect((await scrape(token)).status).toBe(503);
    expect((await scrape(token)).status).toBe(200);
  });

  test("a webhook identity without the review grants fails closed: 503, never 200", async () => {
    // the metrics reader may get /metrics but may not create TokenReviews: the webhook's own
    // grants are what make the check work (lib/rbac/permissions.ts)
    const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-metrics-auth-")), "kubeconfig"), { token: emu.serviceAccountToken("team-a", "nosy") });
    const ungranted = createKubeClient(loadKubeConfig({ kubeconfig, env: {} }), { rateLimit: false, retry: { maxAttempts: 1 } });
    const { scrape, lines } = makeGuardedApp(ungranted);
    expect((await scrape(emu.serviceAccountToken(NAMESPACE, METRICS_READER))).status).toBe(503);
    expect(lines.join("")).toContain("tokenreviews");
  });
});

/** A client answering reviews from `allow` (token → allowed?), counting calls; `gate` holds them. */
function fakeClient(allow: (token: string) => boolean | "unknown", gate?: Promise<void>) {
  const calls: string[] = [];
  const client = {
    async create(type: { plural: string }, body: { spec: { token?: string; user?: string } }) {
      calls.push(type.plural);
      await gate;
      if (type.plural === "tokenreviews") {
        const token = body.spec.token ?? "";
        return allow(token) === "unknown" ? { status: { authenticated: false } } : { status: { authenticated: true, user: { username: token, groups: [] } } };
      }
      return { status: { allowed: allow(body.spec.user ?? "") === true } };
    },
  } as unknown as KubeClient;
  return { client, calls };
}

const quiet = createLogger({ level: "silent" });
const get = (access: MetricsAccess, token: string) => access.check(new Request("https://webhook/metrics", { headers: { Authorization: `Bearer ${token}` } }));

describe("metrics access cache (fake client)", () => {
  test("bearerToken reads only `Bearer <token>`", () => {
    expect([bearerToken("Bearer abc"), bearerToken("bearer abc"), bearerToken("Bearer  abc "), bearerToken("Bearer"), bearerToken("Basic abc"), bearerToken("Bearer a b"), bearerToken(null)]).toEqual([
      "abc",
      "abc",
      "abc",
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test("an allowed token is trusted for 60 s, a refused one refused for 10 s, then asked about again", async () => {
    let now = 0;
    const { client, calls } = fakeClient((t) => (t === "reader" ? true : t === "stranger" ? "unknown" : false));
    const access = createMetricsAccess({ client, logger: quiet, now: () => now });
    expect(await get(access, "reader")).toBeUndefined();
    expect((await get(access, "stranger"))?.status).toBe(401);
    expect((await get(access, "nosy"))?.status).toBe(403);
    expect(calls.length).toBe(5); // 2 + 1 + 2
    now = 9_999;
    await Promise.all([get(access, "reader"), get(access, "stranger"), get(access, "nosy")]);
    expect(calls.length).toBe(5);
    now = 10_000;
    expect((await get(access, "stranger"))?.status).toBe(401);
    expect((await get(access, "nosy"))?.status).toBe(403);
    expect(await get(access, "reader")).toBeUndefined();
    expect(calls.length).toBe(8);
    now = 60_000;
    expect(await get(access, "reader")).toBeUndefined();
    expect(calls.length).toBe(10);
  });

  test("while reviews fail, an allowed decision answers for 10 minutes past its expiry, a refused one never; a review that answers again replaces it", async () => {
    let now = 0;
    let down = false;
    let revoked = false;
    const { client: answering } = fakeClient((t) => (t === "reader" ? !revoked : false));
    const client = { create: (...a: unknown[]) => (down ? Promise.reject(new Error("connect ECONNREFUSED")) : (answering.create as (...b: unknown[]) => Promise<unknown>)(...a)) } as unknown as KubeClient;
    const access = createMetricsAccess({ client, logger: quiet, now: () => now });
    expect(await get(access, "reader")).toBeUndefined();
    expect((await get(access, "nosy"))?.status).toBe(403);
    down = true;
    now = 60_000 + 599_999; // expired 599.999 s ago
    expect(await get(access, "reader")).toBeUndefined();
    expect((await get(access, "nosy"))?.status).toBe(503);
    expect((await get(access, "stranger"))?.status).toBe(503);
    now = 60_000 + 600_000;
    expect((await get(access, "reader"))?.status).toBe(503);
    expect(access.cached).toBe(0);
    // back, and the token revoked meanwhile: the fresh refusal wins, and is not served stale later
    down = false;
    revoked = true;
    expect((await get(access, "reader"))?.status).toBe(403);
    down = true;
    now += 10_001;
    expect((await get(access, "reader"))?.status).toBe(503);
  });

  test("an allowed decision past its expiry also answers when every review slot is taken by reviews the API server does not answer", async () => {
    let now = 0;
    let hang = false;
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const { client: answering } = fakeClient((t) => t === "reader");
    const client = { create: async (...a: unknown[]) => (hang ? hung.then(() => Promise.reject(new Error("timeout"))) : (answering.create as (...b: unknown[]) => Promise<unknown>)(...a)) } as unknown as KubeClient;
    const access = createMetricsAccess({ client, logger: quiet, now: () => now, maxInFlight: 2 });
    expect(await get(access, "reader")).toBeUndefined();
    hang = true;
    now = 120_000;
    const junk = [get(access, "junk-1"), get(access, "junk-2")];
    expect(await get(access, "reader")).toBeUndefined();
    expect((await get(access, "stranger"))?.status).toBe(503);
    release();
    expect((await Promise.all(junk)).map((r) => r?.status)).toEqual([503, 503]);
  });

  test("at most maxEntries decisions are kept; the oldest go first", async () => {
    const { client, calls } = fakeClient(() => true);
    const access = createMetricsAccess({ client, logger: quiet, now: () => 0, maxEntries: 3 });
    for (const t of ["a", "b", "c", "d"]) await get(access, t);
    expect(access.cached).toBe(3);
    const before = calls.length;
    await get(access, "d");
    expect(calls.length).toBe(before);
    await get(access, "a"); // evicted: asked again
    expect(calls.length).toBe(before + 2);
    expect(access.cached).toBe(3);
  });

  test("requests with one token share one review; more distinct tokens than maxInFlight get 503 at once", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { client, calls } = fakeClient(() => true, gate);
    const access = createMetricsAccess({ client, logger: quiet, maxInFlight: 2 });
    const same = [get(access, "a"), get(access, "a"), get(access, "a"), get(access, "b")];
    const busy = await get(access, "c");
    expect(busy?.status).toBe(503);
    expect(busy?.headers.get("retry-after")).toBe("1");
    open();
    expect(await Promise.all(same)).toEqual([undefined, undefined, undefined, undefined]);
    expect(calls.filter((c) => c === "tokenreviews").length).toBe(2);
    expect(await get(access, "c")).toBeUndefined();
  });
});
