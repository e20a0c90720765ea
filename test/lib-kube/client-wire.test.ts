/**
 * The client's wire format (paths, verbs, content types, query flags, bodies),
 * its retry policy and its paging, against a small local HTTPS server that
 * records requests and answers scripted responses. The full behaviour against
 * the API emulator lives in the emulator tests.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConflictError, ForbiddenError, GoneError, NotFoundError, TooManyRequestsError, UnavailableError } from "../../lib/kube/api-errors.ts";
import type { Clock } from "../../lib/kube/clock.ts";
import { createKubeClient, type KubeClient } from "../../lib/kube/client.ts";
import { loadKubeConfig } from "../../lib/kube/kubeconfig.ts";
import { DEPLOYMENTS, DEVOPS_POLICIES, NAMESPACES, PODS } from "../../lib/kube/resources.ts";
import { KubeTransportError } from "../../lib/kube/transport-errors.ts";
import { createTestPki, type TestPki } from "../support/certs.ts";
import { renderKubeconfig } from "../support/kubeconfig.ts";

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | null;
  body: unknown;
}

let pki: TestPki;
let server: ReturnType<typeof Bun.serve>;
let seen: Seen[] = [];
let script: ((req: Request, url: URL) => Response | undefined)[] = [];
const sleeps: number[] = [];
const instantClock: Clock = { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) };
let kubeconfigPath: string;

const statusBody = (code: number, reason: string, extra: object = {}) => Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, ...extra }, { status: code });

beforeAll(async () => {
  pki = await createTestPki();
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: pki.server.cert, key: pki.server.key },
    async fetch(req) {
      const url = new URL(req.url);
      const text = await req.text();
      seen.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), contentType: req.headers.get("content-type"), body: text ? JSON.parse(text) : undefined });
      const step = script.shift();
      return step?.(req, url) ?? Response.json({ kind: "Echo", metadata: { name: "x" } });
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "kd-client-"));
  kubeconfigPath = join(dir, "config");
  writeFileSync(kubeconfigPath, renderKubeconfig([{ name: "t", server: `https://127.0.0.1:${server.port}`, caPem: pki.ca.cert, user: { token: "t0k" } }]));
});

afterAll(() => server.stop(true));

beforeEach(() => {
  seen = [];
  script = [];
  sleeps.length = 0;
});

function client(options: Parameters<typeof createKubeClient>[1] = {}): KubeClient {
  return createKubeClient(loadKubeConfig({ kubeconfig: kubeconfigPath, env: {} }), { clock: instantClock, random: () => 0.5, rateLimit: false, ...options });
}

describe("verbs on the wire", () => {
  test("get of a namespaced built-in, a cluster-scoped one and a CRD", async () => {
    const c = client();
    await c.get(DEPLOYMENTS, "web", { namespace: "prod" });
    await c.get(NAMESPACES, "prod");
    await c.get(DEVOPS_POLICIES, "p1", { namespace: "team-a" });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      "GET /apis/apps/v1/namespaces/prod/deployments/web",
      "GET /api/v1/namespaces/prod",
      "GET /apis/devops.stochastic.io/v1/namespaces/team-a/devopspolicies/p1",
    ]);
  });

  test("create / update / status with dryRun and fieldManager", async () => {
    const c = client();
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "a", resourceVersion: "7" } };
    await c.create(PODS, pod, { dryRun: true, fieldManager: "kd" });
    await c.update(PODS, pod);
    await c.updateStatus(DEVOPS_POLICIES, { metadata: { name: "p1", namespace: "n" }, status: { score: 3 } });
    expect(seen[0]).toMatchObject({ method: "POST", path: "/api/v1/namespaces/a/pods", query: { dryRun: "All", fieldManager: "kd" }, body: pod });
    expect(seen[1]).toMatchObject({ method: "PUT", path: "/api/v1/namespaces/a/pods/p", query: {} });
    expect(seen[2]).toMatchObject({ method: "PUT", path: "/apis/devops.stochastic.io/v1/namespaces/n/devopspolicies/p1/status" });
  });

  test("the four patch types carry their content types; apply sends force and fieldManager", async () => {
    const c = client();
    await c.patch(DEPLOYMENTS, "web", { type: "json", ops: [{ op: "test", path: "/metadata/resourceVersion", value: "5" }, { op: "replace", path: "/spec/replicas", value: 2 }] }, { namespace: "a" });
    await c.patch(DEPLOYMENTS, "web", { type: "merge", patch: { spec: { replicas: 3 } } }, { namespace: "a" });
    await c.patch(DEPLOYMENTS, "web", { type: "strategic", patch: { spec: { replicas: 4 } } }, { namespace: "a", subresource: "scale" });
    await c.apply(DEPLOYMENTS, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "a" } }, { fieldManager: "kube-devops-operator", force: true });
    expect(seen.map((s) => s.contentType)).toEqual(["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"]);
    expect(seen[0]?.body).toEqual([{ op: "test", path: "/metadata/resourceVersion", value: "5" }, { op: "replace", path: "/spec/replicas", value: 2 }]);
    expect(seen[2]?.path).toBe("/apis/apps/v1/namespaces/a/deployments/web/scale");
    expect(seen[3]).toMatchObject({ path: "/apis/apps/v1/namespaces/a/deployments/web", query: { force: "true", fieldManager: "kube-devops-operator" } });
    await expect(c.patch(DEPLOYMENTS, "web", { type: "apply", patch: {} }, { namespace: "a" })).rejects.toThrow("fieldManager");
  });

  test("delete sends preconditions and the propagation policy", async () => {
    await client().delete(DEPLOYMENTS, "web", { namespace: "a", preconditions: { uid: "u1", resourceVersion: "9" }, propagationPolicy: "Foreground", dryRun: true });
    expect(seen[0]).toMatchObject({
      method: "DELETE",
      path: "/apis/apps/v1/namespaces/a/deployments/web",
      body: { kind: "DeleteOptions", preconditions: { uid: "u1", resourceVersion: "9" }, propagationPolicy: "Foreground", dryRun: ["All"] },
    });
  });

  test("serverVersion and canI", async () => {
    script = [() => Response.json({ major: "1", minor: "32", gitVersion: "v1.32.0" }), () => Response.json({ kind: "SelfSubjectAccessReview", status: { allowed: false, reason: "no RBAC" } })];
    const c = client();
    expect((await c.serverVersion()).gitVersion).toBe("v1.32.0");
    expect(await c.canI({ verb: "patch", group: "apps", resource: "deployments", namespace: "a" })).toEqual({ allowed: false, reason: "no RBAC" });
    expect(seen[0]?.path).toBe("/version");
    expect(seen[1]).toMatchObject({ method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body: { spec: { resourceAttributes: { verb: "patch", group: "apps", resource: "deployments", namespace: "a" } } } });
  });

  test("errors are typed from the Status body", async () => {
    script = [() => statusBody(404, "NotFound"), () => statusBody(409, "Conflict")];
    const c = client();
    await expect(c.get(PODS, "gone", { namespace: "a" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.update(PODS, { metadata: { name: "p", namespace: "a" } })).rejects.toBeInstanceOf(ConflictError);
  });
});

describe("retries", () => {
  test("429 with Retry-After is retried for a create, waiting what the server asked (bounded)", async () => {
    script = [() => statusBody(429, "TooManyRequests"), () => new Response(JSON.stringify({ kind: "Status", code: 429, reason: "TooManyRequests" }), { status: 429, headers: { "Retry-After": "3600" } })];
    const created = await client({ retry: { maxRetryAfterMs: 5_000 } }).create<{ kind?: string; metadata: { name: string; namespace: string } }>(PODS, { metadata: { name: "p", namespace: "a" } });
    expect(created.kind).toBe("Echo");
    expect(seen.length).toBe(3);
    expect(sleeps).toEqual([100, 5_000]); // jitter 0.5 × base 200, then Retry-After clamped to 5 s
  });

  test("a 500 is retried for a GET but not for a create", async () => {
    script = [() => statusBody(500, "InternalError"), () => statusBody(503, "ServiceUnavailable")];
    await client().get(PODS, "p", { namespace: "a" });
    expect(seen.length).toBe(3);
    script = [() => statusBody(500, "InternalError")];
    seen = [];
    await expect(client().create(PODS, { metadata: { name: "p", namespace: "a" } })).rejects.toThrow("HTTP 500");
    expect(seen.length).toBe(1);
  });

  test("a 504 with Retry-After is not repeated for a JSON Patch (it may still be processing) but is for a GET; a 503 with Retry-After is for both", async () => {
    const timeout = () => statusBody(504, "Timeout", { details: { retryAfterSeconds: 1 } });
    const ops = [{ op: "test" as const, path: "/spec/replicas", value: 1 }];
    script = [timeout];
    await expect(client().patch(DEPLOYMENTS, "web", { type: "json", ops }, { namespace: "a" })).rejects.toThrow("timed out");
    expect(seen.length).toBe(1);
    seen = [];
    script = [timeout];
    await client().get(PODS, "p", { namespace: "a" });
    expect(seen.length).toBe(2);
    seen = [];
    script = [() => statusBody(503, "ServiceUnavailable", { details: { retryAfterSeconds: 1 } })];
    await client().patch(DEPLOYMENTS, "web", { type: "json", ops }, { namespace: "a" });
    expect(seen.length).toBe(2);
  });

  test("gives up after maxAttempts with the last typed error", async () => {
    script = Array.from({ length: 10 }, () => () => statusBody(503, "ServiceUnavailable"));
    await expect(client({ retry: { maxAttempts: 3 } }).get(PODS, "p", { namespace: "a" })).rejects.toBeInstanceOf(UnavailableError);
    expect(seen.length).toBe(3);
    script = Array.from({ length: 10 }, () => () => statusBody(429, "TooManyRequests"));
    await expect(client({ retry: { maxAttempts: 2 } }).create(PODS, { metadata: { name: "p" } })).rejects.toBeInstanceOf(TooManyRequestsError);
  });

  test("a refused connection is retried, then reported with the URL and the cause", async () => {
    const dead = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const port = dead.port;
    dead.stop(true);
    const dir = mkdtempSync(join(tmpdir(), "kd-dead-"));
    const path = join(dir, "config");
    writeFileSync(path, renderKubeconfig([{ name: "gone", server: `https://127.0.0.1:${port}`, caPem: pki.ca.cert, user: { token: "x" } }]));
    const c = createKubeClient(loadKubeConfig({ kubeconfig: path, env: {} }), { clock: instantClock, random: () => 0, rateLimit: false, retry: { maxAttempts: 3 } });
    const err = await c.create(PODS, { metadata: { name: "p", namespace: "a" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeTransportError);
    expect((err as KubeTransportError).code).toBe("UNREACHABLE");
    expect((err as Error).message).toBe(`Cannot reach the API server at https://127.0.0.1:${port} (context "gone"): connection refused (is the API server running and is the address right?)`);
    expect(sleeps.length).toBe(2);
  });
});

describe("listPages", () => {
  const page = (names: string[], cont?: string, rv = "100") => Response.json({ kind: "PodList", metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) }, items: names.map((n) => ({ metadata: { name: n } })) });

  test("walks continue tokens page by page with the limit", async () => {
    script = [() => page(["a", "b"], "c1"), () => page(["c", "d"], "c2"), () => page(["e"])];
    const pages = [];
    for await (const p of client().listPages(PODS, { namespace: "x", limit: 2, labelSelector: "app=web" })) pages.push(p);
    expect(pages.map((p) => p.items.map((i) => (i as { metadata: { name: string } }).metadata.name))).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(pages.map((p) => p.last)).toEqual([false, false, true]);
    expect(seen.map((s) => s.query)).toEqual([
      { limit: "2", labelSelector: "app=web" },
      { limit: "2", continue: "c1", labelSelector: "app=web" },
      { limit: "2", continue: "c2", labelSelector: "app=web" },
    ]);
  });

  test("an expired continue token is followed by ONE full list (no limit, no continue), flagged, in pages of the limit", async () => {
    script = [() => page(["a", "b"], "c1"), () => statusBody(410, "Expired", { metadata: { continue: "inconsistent" } }), () => page(["a", "b2", "z"], undefined, "200")];
    const pages = [];
    for await (const p of client().listPages(PODS, { limit: 2, labelSelector: "app=web", resourceVersion: "50", resourceVersionMatch: "NotOlderThan" })) pages.push(p);
    expect(pages.map((p) => [p.items.map((i) => (i as { metadata: { name: string } }).metadata.name), p.restarted, p.last, p.resourceVersion])).toEqual([
      [["a", "b"], false, false, "100"],
      [["a", "b2"], true, false, "200"],
      [["z"], false, true, "200"],
    ]);
    expect(pages[1]?.fullList?.pagesBefore).toBe(1);
    expect(pages[1]?.fullList?.reason).toContain("the continue token expired after 1 page");
    // The full list is at the requested resourceVersion (client-go's pager); continue pages carry none.
    expect(seen.map((s) => s.query)).toEqual([
      { limit: "2", labelSelector: "app=web", resourceVersion: "50", resourceVersionMatch: "NotOlderThan" },
      { limit: "2", continue: "c1", labelSelector: "app=web" },
      { labelSelector: "app=web", resourceVersion: "50", resourceVersionMatch: "NotOlderThan" },
    ]);
    expect(seen.length).toBe(3);
  });

  test("a full list that fails is thrown, not retried page by page", async () => {
    script = [() => page(["a"], "c1"), () => statusBody(410, "Expired"), () => statusBody(403, "Forbidden")];
    await expect(client().listAll(PODS, { limit: 1 })).rejects.toBeInstanceOf(ForbiddenError);
    expect(seen.length).toBe(3);
  });

  test("onExpired: inconsistent continues with the server's token", async () => {
    script = [() => page(["a"], "c1"), () => statusBody(410, "Expired", { metadata: { continue: "c-inc" } }), () => page(["b"])];
    const all = await client().listAll(PODS, { limit: 1, onExpired: "inconsistent" });
    expect(all.items.length).toBe(2);
    expect(seen[2]?.query.continue).toBe("c-inc");
  });

  test("a 410 on the first page is not a continue expiry: it is thrown", async () => {
    script = [() => statusBody(410, "Expired")];
    await expect(client().listAll(PODS, { resourceVersion: "1", resourceVersionMatch: "Exact" })).rejects.toBeInstanceOf(GoneError);
  });
});
