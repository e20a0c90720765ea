/**
 * Server-side apply (application/apply-patch+yaml) as documented in "Server-Side Apply":
 * create on first apply, managedFields per manager, fields a manager stops applying are
 * removed, conflicts with other managers are 409 unless force=true, shared ownership of equal
 * values.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type Emulator } from "./emulator.ts";
import { call } from "./test-client.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

const APPLY = "application/apply-patch+yaml";
const cm = (data: Record<string, string>, labels?: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ssa", ...(labels ? { labels } : {}) }, data });
const apply = (body: unknown, manager: string, force = false) =>
  call(emu, `/api/v1/namespaces/default/configmaps/ssa?fieldManager=${manager}${force ? "&force=true" : ""}`, { method: "PATCH", body, contentType: APPLY });

describe("server-side apply", () => {
  test("the first apply creates the object and records an Apply manager", async () => {
    const r = await apply(cm({ a: "1", b: "2" }, { team: "x" }), "tool-a");
    expect(r.status).toBe(201);
    expect(r.body.data).toEqual({ a: "1", b: "2" });
    const mf = r.body.metadata.managedFields;
    expect(mf).toHaveLength(1);
    expect(mf[0]).toMatchObject({ manager: "tool-a", operation: "Apply", apiVersion: "v1", fieldsType: "FieldsV1" });
    expect(mf[0].fieldsV1).toEqual({ "f:data": { "f:a": {}, "f:b": {} }, "f:metadata": { "f:labels": { "f:team": {} } } });
  });

  test("a field the manager stops applying is removed", async () => {
    const r = await apply(cm({ a: "1" }, { team: "x" }), "tool-a");
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ a: "1" });
  });

  test("a differing value owned by another manager is a 409 conflict naming manager and field", async () => {
    const r = await apply(cm({ a: "other" }), "tool-b");
    expect(r.status).toBe(409);
    expect(r.body.reason).toBe("Conflict");
    expect(r.body.message).toBe('Apply failed with 1 conflict: conflict with "tool-a" using v1: .data.a');
    expect(r.body.details.causes).toEqual([{ reason: "FieldManagerConflict", message: 'conflict with "tool-a" using v1', field: ".data.a" }]);
  });

  test("force=true takes ownership", async () => {
    const r = await apply(cm({ a: "other" }), "tool-b", true);
    expect(r.status).toBe(200);
    expect(r.body.data.a).toBe("other");
    const owners = Object.fromEntries(r.body.metadata.managedFields.map((m: any) => [m.manager, m.fieldsV1]));
    expect(owners["tool-b"]).toEqual({ "f:data": { "f:a": {} } });
    expect(owners["tool-a"]).toEqual({ "f:metadata": { "f:labels": { "f:team": {} } } });
  });

  test("an ordinary update takes ownership of what it changed (Update operation) and conflicts with a later apply", async () => {
    await call(emu, "/api/v1/namespaces/default/configmaps/ssa?fieldManager=editor", { method: "PATCH", body: { metadata: { labels: { team: "y" } } }, contentType: "application/merge-patch+json" });
    const cur = (await call(emu, "/api/v1/namespaces/default/configmaps/ssa")).body;
    expect(cur.metadata.managedFields.find((m: any) => m.manager === "editor")).toMatchObject({ operation: "Update", fieldsV1: { "f:metadata": { "f:labels": { "f:team": {} } } } });
    const r = await apply(cm({}, { team: "x" }), "tool-a");
    expect(r.status).toBe(409);
    expect(r.body.message).toContain('conflict with "editor"');
  });

  test("applying the same value as another owner shares ownership without conflict", async () => {
    const r = await apply(cm({ a: "other" }), "tool-c");
    expect(r.status).toBe(200);
    const managers = r.body.metadata.managedFields.filter((m: any) => JSON.stringify(m.fieldsV1).includes("f:a")).map((m: any) => m.manager).sort();
    expect(managers).toEqual(["tool-b", "tool-c"]);
  });

  test("list items merge by key for built-ins and stay when co-owned", async () => {
    const dep = (containers: object[]) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { selector: { matchLabels: { app: "d" } }, template: { metadata: { labels: { app: "d" } }, spec: { containers } } } });
    const path = "/apis/apps/v1/namespaces/default/deployments/d";
    await call(emu, `${path}?fieldManager=a`, { method: "PATCH", body: dep([{ name: "app", image: "nginx:1" }]), contentType: APPLY });
    const r = await call(emu, `${path}?fieldManager=b`, { method: "PATCH", body: dep([{ name: "sidecar", image: "envoy:1" }]), contentType: APPLY });
    expect(r.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["app", "sidecar"]);
    const again = await call(emu, `${path}?fieldManager=b`, { method: "PATCH", body: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } }, contentType: APPLY });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["app"]);
  });

  test("dryRun=All: an apply that would create answers as a create and persists nothing; a missing namespace is the real NotFound", async () => {
    // policy import relies on this: its dry run of every object must meet what the write would meet.
    const dry = await call(emu, "/api/v1/namespaces/default/configmaps/dry-ssa?fieldManager=tool-a&dryRun=All", { method: "PATCH", body: { ...cm({ a: "1" }), metadata: { name: "dry-ssa" } }, contentType: APPLY });
    expect(dry.status).toBe(201);
    expect(dry.body.data).toEqual({ a: "1" });
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/dry-ssa")).status).toBe(404);
    const ghost = await call(emu, "/api/v1/namespaces/ghost/configmaps/dry-ssa?fieldManager=tool-a&dryRun=All", { method: "PATCH", body: { ...cm({ a: "1" }), metadata: { name: "dry-ssa" } }, contentType: APPLY });
    expect(ghost.status).toBe(404);
    expect(ghost.body).toMatchObject({ reason: "NotFound", message: 'namespaces "ghost" not found', details: { name: "ghost", kind: "namespaces" } });
  });

  test("apply without a fieldManager is 400", async () => {
    const r = await call(emu, "/api/v1/namespaces/default/configmaps/ssa", { method: "PATCH", body: cm({}), contentType: APPLY });
    expect(r.status).toBe(400);
  });
});
