/**
 * lib/kube's client against the API emulator over HTTPS (the real way, once):
 * CA + token, CA + client certificate, exec plugin; every verb and patch type;
 * typed errors from real Status bodies (NotFound, AlreadyExists, Conflict,
 * Invalid with causes, failed JSON Patch test, Forbidden naming verb and
 * resource, Unauthorized); paging with an expired continue token; 503/429
 * bursts with Retry-After.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AlreadyExistsError, ConflictError, ForbiddenError, InvalidError, NotFoundError, UnauthorizedError } from "../../lib/kube/api-errors.ts";
import type { Clock } from "../../lib/kube/clock.ts";
import { connect } from "../../lib/kube/connect.ts";
import { CONFIGMAPS, DEPLOYMENTS, LEASES, PODS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { startEmulator, type Emulator, type KubeconfigUser } from "../kube/emulator.ts";

let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-emu-client-"));
const sleeps: number[] = [];
const fastClock: Clock = { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) };

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});

let n = 0;
function clientAs(user: KubeconfigUser = "admin", context?: string) {
  const path = emu.writeKubeconfig(join(dir, `kc-${n++}`), user);
  return connect({ kubeconfig: path, context, env: {}, rateLimit: false, clock: fastClock, random: () => 0.5 }).client;
}

const cm = (name: string, data: Record<string, string> = { a: "1" }): KubeObject & { data: Record<string, string> } => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data });
const deployment = (name: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "default" },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } } },
});

describe("authentication against the emulator", () => {
  test("CA + bearer token", async () => {
    expect((await clientAs("admin").serverVersion()).gitVersion).toBeString();
  });
  test("CA + client certificate", async () => {
    const created = await clientAs("cert").create(CONFIGMAPS, cm("by-cert"));
    expect(created.metadata?.uid).toBeString();
  });
  test("exec plugin", async () => {
    const plugin = join(dir, "exec-plugin");
    writeFileSync(plugin, `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${emu.adminToken}"}}'\n`);
    chmodSync(plugin, 0o755);
    const c = clientAs({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin } } as never);
    expect((await c.get(CONFIGMAPS, "by-cert", { namespace: "default" })).metadata?.name).toBe("by-cert");
  });
  test("a wrong token is Unauthorized, naming the server", async () => {
    const err = await clientAs({ token: "wrong" }).get(PODS, "x", { namespace: "default" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toContain(`the API server at ${emu.url} rejected the credentials`);
  });
  test("Forbidden names the verb and the resource", async () => {
    emu.hooks.authorize = (a) => (a.verb === "patch" && a.resource === "deployments" ? { allowed: false, reason: "no RBAC policy matched" } : { allowed: true });
    try {
      const err = await clientAs().patch(DEPLOYMENTS, "web", { type: "merge", patch: {} }, { namespace: "default" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as Error).message).toStartWith('Forbidden: context "emulator" may not patch deployments.apps "web" in namespace "default"');
      expect((err as ForbiddenError).hint).toBe('Grant RBAC "patch" on "deployments.apps"; check with: kubectl auth can-i patch deployments.apps -n default');
    } finally {
      delete emu.hooks.authorize;
    }
  });
});

describe("verbs and typed errors", () => {
  test("create, AlreadyExists, get, NotFound", async () => {
    const c = clientAs();
    await c.create(CONFIGMAPS, cm("one"));
    await expect(c.create(CONFIGMAPS, cm("one"))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await c.get<ReturnType<typeof cm>>(CONFIGMAPS, "one", { namespace: "default" })).data).toEqual({ a: "1" });
    await expect(c.get(CONFIGMAPS, "nope", { namespace: "default" })).rejects.toBeInstanceOf(NotFoundError);
  });

  test("update is compare-and-swap: a stale resourceVersion is a Conflict", async () => {
    const c = clientAs();
    const first = await c.create(CONFIGMAPS, cm("cas"));
    const second = await c.update(CONFIGMAPS, { ...first, data: { a: "2" } });
    expect(second.metadata?.resourceVersion).not.toBe(first.metadata?.resourceVersion);
    await expect(c.update(CONFIGMAPS, { ...first, data: { a: "3" } })).rejects.toBeInstanceOf(ConflictError);
  });

  test("JSON Patch with a test op applies when current and fails (typed) when stale", async () => {
    const c = clientAs();
    const obj = await c.create(CONFIGMAPS, cm("jp"));
    const rv = obj.metadata?.resourceVersion as string;
    const ops = (value: string) => [{ op: "test" as const, path: "/metadata/resourceVersion", value: rv }, { op: "replace" as const, path: "/data/a", value }];
    const patched = await c.patch<ReturnType<typeof cm>>(CONFIGMAPS, "jp", { type: "json", ops: ops("patched") }, { namespace: "default" });
    expect(patched.data.a).toBe("patched");
    const err = await c.patch(CONFIGMAPS, "jp", { type: "json", ops: ops("again") }, { namespace: "default" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
  });

  test("merge, strategic and server-side apply patches; dryRun persists nothing", async () => {
    const c = clientAs();
    await c.create(DEPLOYMENTS, deployment("web"));
    await c.patch(DEPLOYMENTS, "web", { type: "merge", patch: { metadata: { labels: { team: "a" } } } }, { namespace: "default" });
    await c.patch(DEPLOYMENTS, "web", { type: "strategic", patch: { spec: { template: { spec: { containers: [{ name: "app", image: "nginx:1.28" }] } } } } }, { namespace: "default" });
    await c.apply(DEPLOYMENTS, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default", annotations: { owner: "kube-devops" } } }, { fieldManager: "kube-devops-test", force: true });
    await c.patch(DEPLOYMENTS, "web", { type: "merge", patch: { spec: { replicas: 9 } } }, { namespace: "default", dryRun: true });
    const got = (await c.get(DEPLOYMENTS, "web", { namespace: "default" })) as ReturnType<typeof deployment> & KubeObject;
    expect(got.metadata?.labels).toEqual({ team: "a" });
    expect(got.metadata?.annotations?.owner).toBe("kube-devops");
    expect(got.spec.template.spec.containers).toEqual([expect.objectContaining({ name: "app", image: "nginx:1.28" })]);
    expect(got.spec.replicas).toBe(1);
  });

  test("Invalid carries the field causes", async () => {
    const err = await clientAs().create(CONFIGMAPS, cm("Not_Valid")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).causes.map((c) => c.field)).toContain("metadata.name");
    expect((err as Error).message).toStartWith('Invalid ConfigMap "Not_Valid": metadata.name:');
  });

  test("status subresource and delete with preconditions", async () => {
    const c = clientAs();
    const dep = await c.create(DEPLOYMENTS, deployment("stat"));
    const withStatus = await c.patch(DEPLOYMENTS, "stat", { type: "merge", patch: { status: { observedGeneration: 1, replicas: 0 } } }, { namespace: "default", subresource: "status" });
    expect((withStatus as { status?: { observedGeneration?: number } }).status?.observedGeneration).toBe(1);
    await expect(c.delete(DEPLOYMENTS, "stat", { namespace: "default", preconditions: { uid: "not-the-uid" } })).rejects.toBeInstanceOf(ConflictError);
    await c.delete(DEPLOYMENTS, "stat", { namespace: "default", preconditions: { uid: dep.metadata?.uid as string }, propagationPolicy: "Foreground" });
    await emu.settle();
    await expect(c.get(DEPLOYMENTS, "stat", { namespace: "default" })).rejects.toBeInstanceOf(NotFoundError);
  });

  test("cluster-scoped and CRD-free coordination resources work through the same descriptors", async () => {
    const c = clientAs();
    const lease = await c.create(LEASES, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "l1", namespace: "default" }, spec: { holderIdentity: "x" } });
    expect(lease.metadata?.resourceVersion).toBeString();
    expect((await c.listAll(LEASES, { namespace: "default" })).items.length).toBeGreaterThanOrEqual(1);
  });
});

describe("paging and retries", () => {
  test("pages of `limit`; an expired continue token is followed by one full list, handed out in pages of `limit`", async () => {
    const c = clientAs();
    await c.create({ group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false }, { apiVersion: "v1", kind: "Namespace", metadata: { name: "paging" } });
    for (let i = 0; i < 7; i++) await c.create(CONFIGMAPS, { ...cm(`p${i}`), metadata: { name: `p${i}`, namespace: "paging" } });
    const pages = [];
    for await (const page of c.listPages(CONFIGMAPS, { namespace: "paging", limit: 3 })) {
      pages.push(page);
      if (pages.length === 1) {
        await c.create(CONFIGMAPS, { ...cm("p7"), metadata: { name: "p7", namespace: "paging" } });
        emu.faults.compact(); // the first page's snapshot is now too old to continue
      }
    }
    expect(pages.map((p) => [p.items.length, p.restarted, p.fullList !== undefined])).toEqual([[3, false, false], [3, true, true], [3, false, false], [2, false, false]]);
    expect(pages.at(-1)?.resourceVersion).toBe(pages[1]!.resourceVersion);
    const all = await c.listAll(CONFIGMAPS, { namespace: "paging", limit: 3 });
    expect(all.items.length).toBe(8);
  });

  test("503 and 429 bursts with Retry-After are waited out", async () => {
    const c = clientAs();
    sleeps.length = 0;
    emu.faults.failNext(2, { verb: "list", resource: "configmaps", status: 503, retryAfterSeconds: 2 });
    emu.faults.failNext(1, { verb: "list", resource: "configmaps", status: 429, retryAfterSeconds: 1 });
    expect((await c.listAll(CONFIGMAPS, { namespace: "paging" })).items.length).toBe(8);
    expect(sleeps).toEqual([2_000, 2_000, 1_000]);
    expect(emu.faults.pendingFailures).toBe(0);
  });
});
