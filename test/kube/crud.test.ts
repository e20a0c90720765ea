/**
 * CRUD semantics over HTTPS, checked against documented Kubernetes behaviour
 * (API concepts: resourceVersion, generateName, Status errors, status subresource, generation).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type Emulator } from "./emulator.ts";
import { call, pod } from "./test-client.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

const deployment = (name: string, replicas = 1) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx:1.25" }] } } },
});

describe("create and get", () => {
  test("create answers 201 with uid, creationTimestamp and a resourceVersion", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: pod("c1") });
    expect(r.status).toBe(201);
    expect(r.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(r.body.status.phase).toBe("Pending");
    const g = await call(emu, "/api/v1/namespaces/default/pods/c1");
    expect(g.body.metadata.uid).toBe(r.body.metadata.uid);
  });

  test("resourceVersions increase across resource types", async () => {
    const a = await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rv-a" } } });
    const b = await call(emu, "/apis/apps/v1/namespaces/default/deployments", { method: "POST", body: deployment("rv-b") });
    expect(Number(b.body.metadata.resourceVersion)).toBeGreaterThan(Number(a.body.metadata.resourceVersion));
  });

  test("generateName appends a 5-character random suffix", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { generateName: "gen-" } } });
    expect(r.status).toBe(201);
    expect(r.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  test("a duplicate name is 409 AlreadyExists with details", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: pod("c1") });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ kind: "Status", status: "Failure", reason: "AlreadyExists", code: 409, message: 'pods "c1" already exists', details: { name: "c1", kind: "pods" } });
  });

  test("a missing object is 404 NotFound with group-qualified message", async () => {
    const r = await call(emu, "/apis/apps/v1/namespaces/default/deployments/nope");
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ reason: "NotFound", message: 'deployments.apps "nope" not found', details: { name: "nope", group: "apps", kind: "deployments" } });
  });

  test("creating in a missing namespace is 404 for the namespace", async () => {
    const r = await call(emu, "/api/v1/namespaces/ghost/pods", { method: "POST", body: pod("x") });
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('namespaces "ghost" not found');
  });

  test("an invalid object is 422 Invalid with field causes", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: { metadata: { name: "Bad_Name" }, spec: { containers: [] } } });
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe("Invalid");
    expect(r.body.details.kind).toBe("Pod");
    expect(r.body.details.causes[0].field).toBe("metadata.name");
    expect(r.body.message).toStartWith('Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"');
  });

  test("neither name nor generateName is 422 Required", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: {} } });
    expect(r.status).toBe(422);
    expect(r.body.details.causes).toEqual([{ reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" }]);
  });

  test("namespaces get the kubernetes.io/metadata.name label and phase Active", async () => {
    const r = await call(emu, "/api/v1/namespaces", { method: "POST", body: { metadata: { name: "team-a" } } });
    expect(r.body.metadata.labels["kubernetes.io/metadata.name"]).toBe("team-a");
    expect(r.body.status.phase).toBe("Active");
    const byLabel = await call(emu, "/api/v1/namespaces?labelSelector=kubernetes.io/metadata.name%3Dteam-a");
    expect(byLabel.body.items.map((n: any) => n.metadata.name)).toEqual(["team-a"]);
  });

  test("a type mismatch between body and URL is 400", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" } } });
    expect(r.status).toBe(400);
    expect(r.body.reason).toBe("BadRequest");
  });

  test("protobuf bodies are 415 (kubectl's typed commands cannot be served)", async () => {
    const r = await call(emu, "/api/v1/namespaces", { method: "POST", body: "k8s\0", contentType: "application/vnd.kubernetes.protobuf" });
    expect(r.status).toBe(415);
  });
});

describe("update", () => {
  test("PUT with a stale resourceVersion is 409 Conflict", async () => {
    const created = (await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "u1" }, data: { a: "1" } } })).body;
    const first = await call(emu, "/api/v1/namespaces/default/configmaps/u1", { method: "PUT", body: { ...created, data: { a: "2" } } });
    expect(first.status).toBe(200);
    expect(first.body.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    const stale = await call(emu, "/api/v1/namespaces/default/configmaps/u1", { method: "PUT", body: { ...created, data: { a: "3" } } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: "Conflict", message: 'Operation cannot be fulfilled on configmaps "u1": the object has been modified; please apply your changes to the latest version and try again' });
  });

  test("PUT of a missing object is 404", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/configmaps/missing", { method: "PUT", body: { metadata: { name: "missing" } } });
    expect(r.status).toBe(404);
  });

  test("a no-op update keeps the resourceVersion", async () => {
    const cur = (await call(emu, "/api/v1/namespaces/default/configmaps/u1")).body;
    const r = await call(emu, "/api/v1/namespaces/default/configmaps/u1", { method: "PUT", body: cur });
    expect(r.body.metadata.resourceVersion).toBe(cur.metadata.resourceVersion);
  });

  test("generation increases on spec changes only", async () => {
    const d = (await call(emu, "/apis/apps/v1/namespaces/default/deployments", { method: "POST", body: deployment("gen", 1) })).body;
    expect(d.metadata.generation).toBe(1);
    const labelled = (await call(emu, "/apis/apps/v1/namespaces/default/deployments/gen", { method: "PUT", body: { ...d, metadata: { ...d.metadata, labels: { a: "b" } } } })).body;
    expect(labelled.metadata.generation).toBe(1);
    const scaled = (await call(emu, "/apis/apps/v1/namespaces/default/deployments/gen", { method: "PUT", body: { ...labelled, spec: { ...labelled.spec, replicas: 3 } } })).body;
    expect(scaled.metadata.generation).toBe(2);
    const status = (await call(emu, "/apis/apps/v1/namespaces/default/deployments/gen/status", { method: "PUT", body: { ...scaled, status: { replicas: 3, observedGeneration: 2 } } })).body;
    expect(status.metadata.generation).toBe(2);
    expect(status.status.replicas).toBe(3);
  });

  test("the main endpoint ignores status; /status ignores spec", async () => {
    const cur = (await call(emu, "/apis/apps/v1/namespaces/default/deployments/gen")).body;
    const viaMain = (await call(emu, "/apis/apps/v1/namespaces/default/deployments/gen", { method: "PUT", body: { ...cur, status: { replicas: 99 } } })).body;
    expect(viaMain.status.replicas).toBe(3);
    const viaStatus = (await call(emu, "/apis/apps/v1/namespaces/default/deployments/gen/status", { method: "PUT", body: { ...viaMain, spec: { ...viaMain.spec, replicas: 7 }, status: { replicas: 1 } } })).body;
    expect(viaStatus.spec.replicas).toBe(3);
    expect(viaStatus.status.replicas).toBe(1);
  });

  test("a pod created with a status through the main endpoint starts Pending", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: pod("st", {}, { status: { phase: "Running" } }) });
    expect(r.body.status.phase).toBe("Pending");
    const s = await call(emu, "/api/v1/namespaces/default/pods/st/status", { method: "PATCH", body: { status: { phase: "Running" } }, contentType: "application/merge-patch+json" });
    expect(s.body.status.phase).toBe("Running");
  });
});

describe("delete", () => {
  test("DELETE of an object without finalizers removes it", async () => {
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "d1" } } });
    const r = await call(emu, "/api/v1/namespaces/default/configmaps/d1", { method: "DELETE" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: "Status", status: "Success", details: { name: "d1", kind: "configmaps" } });
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/d1")).status).toBe(404);
  });

  test("finalizers: deletionTimestamp first, removal when the last finalizer goes", async () => {
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "f1", finalizers: ["a.example.com/x", "b.example.com/y"] } } });
    const del = await call(emu, "/api/v1/namespaces/default/configmaps/f1", { method: "DELETE" });
    expect(del.status).toBe(200);
    const held = (await call(emu, "/api/v1/namespaces/default/configmaps/f1")).body;
    expect(held.metadata.deletionTimestamp).toBeString();
    const addNew = await call(emu, "/api/v1/namespaces/default/configmaps/f1", { method: "PATCH", body: { metadata: { finalizers: ["a.example.com/x", "b.example.com/y", "c.example.com/z"] } }, contentType: "application/merge-patch+json" });
    expect(addNew.status).toBe(422);
    await call(emu, "/api/v1/namespaces/default/configmaps/f1", { method: "PATCH", body: [{ op: "remove", path: "/metadata/finalizers/0" }], contentType: "application/json-patch+json" });
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/f1")).status).toBe(200);
    await call(emu, "/api/v1/namespaces/default/configmaps/f1", { method: "PATCH", body: { metadata: { finalizers: null } }, contentType: "application/merge-patch+json" });
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/f1")).status).toBe(404);
  });

  test("a uid precondition that does not match is 409", async () => {
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { metadata: { name: "pc" } } });
    const r = await call(emu, "/api/v1/namespaces/default/configmaps/pc", { method: "DELETE", body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: "00000000-0000-0000-0000-000000000000" } } });
    expect(r.status).toBe(409);
    expect(r.body.message).toContain("Precondition failed: UID in precondition");
  });

  test("dryRun=All validates without persisting", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/configmaps?dryRun=All", { method: "POST", body: { metadata: { name: "dry" } } });
    expect(r.status).toBe(201);
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/dry")).status).toBe(404);
  });
});
