/**
 * CRDs, Table output, garbage collection and namespace deletion over HTTPS, against the
 * documented behaviour (CustomResourceDefinitions, Garbage Collection, Namespaces, kubectl
 * server-side printing).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type Emulator } from "./emulator.ts";
import { call, pod, watch } from "./test-client.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
const crd = (props: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gadgets.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural: "gadgets", singular: "gadget", kind: "Gadget" },
    versions: [
      { name: "v1", served: true, storage: true, subresources: { status: {} }, additionalPrinterColumns: [{ name: "Mode", type: "string", jsonPath: ".spec.mode" }, { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' }], schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: props }, status: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } } } },
      { name: "v1beta1", served: true, storage: false, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } },
    ],
    ...extra,
  },
});

describe("custom resources", () => {
  test("a CRD is Established with accepted names and its group appears in discovery", async () => {
    const r = await call(emu, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", { method: "POST", body: crd({ mode: { type: "string" }, keep: { type: "string" } }) });
    expect(r.status).toBe(201);
    const conds = Object.fromEntries(r.body.status.conditions.map((c: any) => [c.type, c.status]));
    expect(conds).toEqual({ NamesAccepted: "True", Established: "True" });
    expect(r.body.status.acceptedNames.kind).toBe("Gadget");
    expect(r.body.metadata.finalizers).toContain("customresourcecleanup.apiextensions.k8s.io");
    const groups = (await call(emu, "/apis")).body.groups;
    expect(groups.find((g: any) => g.name === "example.com").preferredVersion.version).toBe("v1");
    const res = (await call(emu, "/apis/example.com/v1")).body.resources.map((x: any) => x.name);
    expect(res).toEqual(["gadgets", "gadgets/status"]);
  });

  test("fieldValidation: Strict rejects unknown fields, Warn (default) warns and prunes", async () => {
    const body = { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g1" }, spec: { mode: "a", keep: "k", junk: 1 } };
    const strict = await call(emu, "/apis/example.com/v1/namespaces/default/gadgets?fieldValidation=Strict", { method: "POST", body });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe('Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: unknown field "spec.junk"');
    const warn = await call(emu, "/apis/example.com/v1/namespaces/default/gadgets", { method: "POST", body });
    expect(warn.status).toBe(201);
    expect(warn.headers.get("warning")).toBe('299 - "unknown field \\"spec.junk\\""');
    expect(warn.body.spec).toEqual({ mode: "a", keep: "k" });
  });

  test("updates need a resourceVersion (no unconditional update for custom resources)", async () => {
    const r = await call(emu, "/apis/example.com/v1/namespaces/default/gadgets/g1", { method: "PUT", body: { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g1" }, spec: { mode: "b" } } });
    expect(r.status).toBe(422);
    expect(r.body.message).toContain("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
  });

  test("a merge patch of /status that carries metadata.resourceVersion is a precondition: stale is 409 and changes nothing", async () => {
    // What a controller's optimistic status write relies on (kube-apiserver: the patched object's
    // resourceVersion must match the stored one, else Conflict); without it the last writer wins.
    const path = "/apis/example.com/v1/namespaces/default/gadgets/g1/status";
    const read = (await call(emu, "/apis/example.com/v1/namespaces/default/gadgets/g1")).body;
    const first = await call(emu, path, { method: "PATCH", body: { metadata: { resourceVersion: read.metadata.resourceVersion }, status: { conditions: [{ type: "Other", status: "True" }] } }, contentType: "application/merge-patch+json" });
    expect(first.status).toBe(200);
    expect(first.body.metadata.resourceVersion).not.toBe(read.metadata.resourceVersion);
    const stale = await call(emu, path, { method: "PATCH", body: { metadata: { resourceVersion: read.metadata.resourceVersion }, status: { conditions: [{ type: "Mine", status: "True" }] } }, contentType: "application/merge-patch+json" });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ kind: "Status", reason: "Conflict", code: 409 });
    expect((await call(emu, "/apis/example.com/v1/namespaces/default/gadgets/g1")).body.status.conditions).toEqual([{ type: "Other", status: "True" }]);
    const blind = await call(emu, path, { method: "PATCH", body: { status: { conditions: [{ type: "Mine", status: "True" }] } }, contentType: "application/merge-patch+json" });
    expect(blind.status).toBe(200);
    expect(blind.body.status.conditions).toEqual([{ type: "Mine", status: "True" }]); // a merge patch replaces lists whole
    await call(emu, path, { method: "PATCH", body: { status: null }, contentType: "application/merge-patch+json" });
  });

  test("strategic merge patch is 415 for custom resources", async () => {
    const r = await call(emu, "/apis/example.com/v1/namespaces/default/gadgets/g1", { method: "PATCH", body: { spec: { mode: "b" } }, contentType: "application/strategic-merge-patch+json" });
    expect(r.status).toBe(415);
  });

  test("Table output uses additionalPrinterColumns", async () => {
    await call(emu, "/apis/example.com/v1/namespaces/default/gadgets/g1/status", { method: "PATCH", body: { status: { conditions: [{ type: "Ready", status: "True" }] } }, contentType: "application/merge-patch+json" });
    const t = (await call(emu, "/apis/example.com/v1/namespaces/default/gadgets", { accept: TABLE })).body;
    expect(t.kind).toBe("Table");
    expect(t.columnDefinitions.map((c: any) => c.name)).toEqual(["Name", "Mode", "Ready"]);
    expect(t.rows[0].cells).toEqual(["g1", "a", "True"]);
    expect(t.rows[0].object).toMatchObject({ kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: { name: "g1", namespace: "default" } });
  });

  test("every served version answers, with its own apiVersion", async () => {
    const r = await call(emu, "/apis/example.com/v1beta1/namespaces/default/gadgets/g1");
    expect(r.body.apiVersion).toBe("example.com/v1beta1");
    expect(r.body.spec.mode).toBe("a");
  });

  test("a CRD update changes the served schema and prunes stored objects", async () => {
    const cur = (await call(emu, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com")).body;
    const next = crd({ mode: { type: "string", enum: ["a", "b"] } });
    const r = await call(emu, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com", { method: "PUT", body: { ...next, metadata: cur.metadata } });
    expect(r.status).toBe(200);
    expect((await call(emu, "/apis/example.com/v1/namespaces/default/gadgets/g1")).body.spec).toEqual({ mode: "a" });
    const bad = await call(emu, "/apis/example.com/v1/namespaces/default/gadgets", { method: "POST", body: { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g2" }, spec: { mode: "c" } } });
    expect(bad.status).toBe(422);
  });

  test("deleting a CRD deletes its objects (watchers see DELETED), ends its watches and stops serving it", async () => {
    const rv = (await call(emu, "/apis/example.com/v1/namespaces/default/gadgets")).body.metadata.resourceVersion;
    const w = await watch(emu, `/apis/example.com/v1/gadgets?watch=true&resourceVersion=${rv}`);
    const pods = await watch(emu, "/api/v1/pods?watch=true");
    await call(emu, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com", { method: "DELETE" });
    const ev = await w.next();
    expect(ev?.type).toBe("DELETED");
    expect(ev?.object.metadata.name).toBe("g1");
    // The real server tears the resource's storage and watch cache down: the stream ends cleanly.
    expect(await w.rest()).toEqual([]);
    expect(emu.watchCount).toBe(1); // other resources' watches go on
    pods.close();
    await emu.settle();
    expect((await call(emu, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com")).status).toBe(404);
    expect((await call(emu, "/apis/example.com/v1/namespaces/default/gadgets")).status).toBe(404);
  });
});

describe("built-in Table output", () => {
  test("pods print Ready, Status, Restarts, Age (and wide columns with priority 1)", async () => {
    await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: pod("tp") });
    await call(emu, "/api/v1/namespaces/default/pods/tp/status", { method: "PATCH", contentType: "application/merge-patch+json", body: { status: { phase: "Running", podIP: "10.0.0.5", containerStatuses: [{ name: "c", ready: true, restartCount: 4, state: { running: {} } }] } } });
    const t = (await call(emu, "/api/v1/namespaces/default/pods/tp", { accept: TABLE })).body;
    expect(t.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name)).toEqual(["Name", "Ready", "Status", "Restarts", "Age"]);
    expect(t.rows[0].cells.slice(0, 4)).toEqual(["tp", "1/1", "Running", "4"]);
    expect(t.rows[0].cells[5]).toBe("10.0.0.5");
  });
});

describe("garbage collection", () => {
  const owner = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "owner" } };
  const dependent = (name: string, uid: string, extra: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid, ...extra }] } });

  test("background deletion removes dependents after the owner", async () => {
    const o = (await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: owner })).body;
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: dependent("dep1", o.metadata.uid) });
    await call(emu, "/api/v1/namespaces/default/configmaps/owner", { method: "DELETE" });
    await emu.settle();
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/dep1")).status).toBe(404);
  });

  test("a dependent with another live owner only loses the reference", async () => {
    const o = (await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: owner })).body;
    const other = (await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { ...owner, metadata: { name: "other" } } })).body;
    const d = dependent("dep2", o.metadata.uid);
    d.metadata.ownerReferences.push({ apiVersion: "v1", kind: "ConfigMap", name: "other", uid: other.metadata.uid });
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: d });
    await call(emu, "/api/v1/namespaces/default/configmaps/owner", { method: "DELETE" });
    await emu.settle();
    const left = (await call(emu, "/api/v1/namespaces/default/configmaps/dep2")).body;
    expect(left.metadata.ownerReferences.map((r: any) => r.name)).toEqual(["other"]);
  });

  test("orphan propagation keeps dependents and strips their owner reference", async () => {
    const o = (await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: owner })).body;
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: dependent("dep3", o.metadata.uid) });
    await call(emu, "/api/v1/namespaces/default/configmaps/owner", { method: "DELETE", body: { propagationPolicy: "Orphan" } });
    await emu.settle();
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/owner")).status).toBe(404);
    const d = (await call(emu, "/api/v1/namespaces/default/configmaps/dep3")).body;
    expect(d.metadata.ownerReferences ?? []).toEqual([]);
  });

  test("foreground propagation deletes dependents first; the owner waits with foregroundDeletion", async () => {
    const o = (await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: owner })).body;
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { ...dependent("dep4", o.metadata.uid, { blockOwnerDeletion: true }), metadata: { ...dependent("dep4", o.metadata.uid, { blockOwnerDeletion: true }).metadata, finalizers: ["example.com/slow"] } } });
    const del = await call(emu, "/api/v1/namespaces/default/configmaps/owner", { method: "DELETE", body: { propagationPolicy: "Foreground" } });
    expect(del.body.metadata.finalizers).toContain("foregroundDeletion");
    await emu.settle();
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/owner")).body.metadata.deletionTimestamp).toBeString();
    await call(emu, "/api/v1/namespaces/default/configmaps/dep4", { method: "PATCH", contentType: "application/merge-patch+json", body: { metadata: { finalizers: null } } });
    await emu.settle();
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/dep4")).status).toBe(404);
    expect((await call(emu, "/api/v1/namespaces/default/configmaps/owner")).status).toBe(404);
  });
});

describe("namespace deletion", () => {
  test("a deleted namespace is Terminating, refuses new content, empties, then disappears", async () => {
    await call(emu, "/api/v1/namespaces", { method: "POST", body: { metadata: { name: "doomed" } } });
    await call(emu, "/api/v1/namespaces/doomed/configmaps", { method: "POST", body: { metadata: { name: "a", finalizers: ["example.com/x"] } } });
    const del = await call(emu, "/api/v1/namespaces/doomed", { method: "DELETE" });
    expect(del.body.status.phase).toBe("Terminating");
    const refused = await call(emu, "/api/v1/namespaces/doomed/configmaps", { method: "POST", body: { metadata: { name: "b" } } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain("because it is being terminated");
    await emu.settle();
    expect((await call(emu, "/api/v1/namespaces/doomed")).status).toBe(200);
    await call(emu, "/api/v1/namespaces/doomed/configmaps/a", { method: "PATCH", contentType: "application/merge-patch+json", body: { metadata: { finalizers: null } } });
    await emu.settle();
    expect((await call(emu, "/api/v1/namespaces/doomed")).status).toBe(404);
  });
});
