/**
 * The extension points emu-auth builds on: authentication (token and client certificate),
 * authorization (403 message shape), validating admission (deny, warnings) and store
 * subscriptions.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type Emulator } from "./emulator.ts";
import type { AdmissionAttributes, AuthnRequest, RequestAttributes } from "./hooks.ts";
import type { StoreEvent } from "./api.ts";
import { call, pod } from "./test-client.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

describe("authentication", () => {
  test("the client certificate's CN and O reach the authenticator; a token request has none", async () => {
    const seen: AuthnRequest[] = [];
    emu.hooks.authenticate = (req) => {
      seen.push(req);
      return { username: req.clientCert?.commonName ?? "token-user", groups: req.clientCert?.organizations ?? [] };
    };
    try {
      await call(emu, "/api/v1/namespaces", { token: null, cert: { cert: emu.certUser.cert, key: emu.certUser.key } });
      await call(emu, "/api/v1/namespaces");
      expect(seen[0]?.clientCert).toMatchObject({ commonName: "cert-user", organizations: ["cert-group"] });
      expect(seen[1]?.clientCert).toBeUndefined();
      expect(seen[1]?.headers.get("authorization")).toBe(`Bearer ${emu.adminToken}`);
    } finally {
      delete emu.hooks.authenticate;
    }
  });

  test("by default an unknown bearer token is 401 Unauthorized", async () => {
    const r = await call(emu, "/api/v1/namespaces", { token: "wrong" });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
  });
});

describe("authorization", () => {
  test("a denial is 403 Forbidden with the RBAC message shape", async () => {
    const asked: RequestAttributes[] = [];
    emu.hooks.authorize = (a) => {
      asked.push(a);
      return { allowed: false };
    };
    try {
      const r = await call(emu, "/apis/apps/v1/namespaces/default/deployments/web/status");
      expect(r.status).toBe(403);
      expect(r.body.message).toBe('deployments.apps "web" is forbidden: User "admin" cannot get resource "deployments/status" in API group "apps" in the namespace "default"');
      expect(asked[0]).toMatchObject({ verb: "get", apiGroup: "apps", resource: "deployments", subresource: "status", namespace: "default", name: "web", isResourceRequest: true });
      const list = await call(emu, "/api/v1/nodes");
      expect(list.body.message).toBe('nodes is forbidden: User "admin" cannot list resource "nodes" in API group "" at the cluster scope');
    } finally {
      delete emu.hooks.authorize;
    }
  });

  test("SelfSubjectAccessReview answers from the authorize hook", async () => {
    emu.hooks.authorize = (a) => ({ allowed: a.verb === "get" });
    try {
      const ask = (verb: string) => call(emu, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", { method: "POST", body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { verb, resource: "pods", namespace: "default" } } } });
      emu.hooks.authorize = (a) => ({ allowed: a.resource === "selfsubjectaccessreviews" || a.verb === "get" });
      expect((await ask("get")).body.status.allowed).toBe(true);
      expect((await ask("delete")).body.status.allowed).toBe(false);
    } finally {
      delete emu.hooks.authorize;
    }
  });
});

describe("admission", () => {
  test("a denial carries the verdict's code and message; nothing is stored", async () => {
    const seen: AdmissionAttributes[] = [];
    emu.hooks.admit = async (a) => {
      seen.push(a);
      return { allowed: false, status: { code: 400, message: 'admission webhook "v.example.com" denied the request: no' } };
    };
    try {
      const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: pod("denied") });
      expect(r.status).toBe(400);
      expect(r.body.message).toBe('admission webhook "v.example.com" denied the request: no');
      expect(seen[0]).toMatchObject({ operation: "CREATE", kind: { group: "", version: "v1", kind: "Pod" }, resource: { resource: "pods" }, namespace: "default", name: "denied", dryRun: false, oldObject: null });
      expect(seen[0]?.object?.spec).toBeDefined();
      expect((await call(emu, "/api/v1/namespaces/default/pods/denied")).status).toBe(404);
    } finally {
      delete emu.hooks.admit;
    }
  });

  test("warnings come back as Warning headers; UPDATE and DELETE carry oldObject", async () => {
    const ops: AdmissionAttributes[] = [];
    emu.hooks.admit = async (a) => {
      ops.push(a);
      return { allowed: true, warnings: ["image uses :latest"] };
    };
    try {
      const r = await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: pod("warned") });
      expect(r.status).toBe(201);
      expect(r.headers.get("warning")).toBe('299 - "image uses :latest"');
      await call(emu, "/api/v1/namespaces/default/pods/warned", { method: "PATCH", body: { metadata: { labels: { a: "b" } } }, contentType: "application/merge-patch+json" });
      await call(emu, "/api/v1/namespaces/default/pods/warned", { method: "DELETE" });
      expect(ops.map((o) => o.operation)).toEqual(["CREATE", "UPDATE", "DELETE"]);
      expect(ops[1]?.oldObject?.metadata.labels).toEqual({});
      expect(ops[2]?.oldObject?.metadata.name).toBe("warned");
      expect(ops[2]?.object).toBeNull();
    } finally {
      delete emu.hooks.admit;
    }
  });

  test("a write that lands while a patch is in admission: a patch without resourceVersion is applied again to the new object, one with it is 409", async () => {
    // kube-apiserver's GuaranteedUpdate re-applies a patch to the current object when another write
    // got in first; only a resourceVersion in the patch (a precondition) turns that into a Conflict.
    await call(emu, "/api/v1/namespaces/default/configmaps", { method: "POST", body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "raced" }, data: { a: "1" } } });
    let raced = 0;
    emu.hooks.admit = async (a) => {
      if (a.name === "raced" && a.operation === "UPDATE" && raced++ === 0) {
        delete emu.hooks.admit;
        await emu.store.patch("configmaps", "default", "raced", "application/merge-patch+json", JSON.stringify({ data: { other: "writer" } }));
        emu.hooks.admit = async () => ({ allowed: true });
      }
      return { allowed: true };
    };
    try {
      const blind = await call(emu, "/api/v1/namespaces/default/configmaps/raced", { method: "PATCH", body: { data: { b: "2" } }, contentType: "application/merge-patch+json" });
      expect(blind.status).toBe(200);
      expect(blind.body.data).toEqual({ a: "1", other: "writer", b: "2" });

      const before = (await call(emu, "/api/v1/namespaces/default/configmaps/raced")).body;
      raced = 0;
      emu.hooks.admit = async (a) => {
        if (a.name === "raced" && a.operation === "UPDATE" && raced++ === 0) {
          delete emu.hooks.admit;
          await emu.store.patch("configmaps", "default", "raced", "application/merge-patch+json", JSON.stringify({ data: { other: "again" } }));
        }
        return { allowed: true };
      };
      const guarded = await call(emu, "/api/v1/namespaces/default/configmaps/raced", { method: "PATCH", body: { metadata: { resourceVersion: before.metadata.resourceVersion }, data: { c: "3" } }, contentType: "application/merge-patch+json" });
      expect(guarded.status).toBe(409);
      expect((await call(emu, "/api/v1/namespaces/default/configmaps/raced")).body.data).toEqual({ a: "1", other: "again", b: "2" });
    } finally {
      delete emu.hooks.admit;
    }
  });
});

describe("store subscriptions", () => {
  test("subscribers see changes and may write back through the store", async () => {
    const events: StoreEvent[] = [];
    const unsubscribe = emu.store.subscribe((ev) => {
      events.push(ev);
      if (ev.type === "ADDED") void emu.store.update("pods", { ...ev.object, status: { phase: "Running" } }, { subresource: "status", namespace: "default", name: ev.object.metadata.name!, fromPatch: true });
    }, { resource: "pods" });
    try {
      await call(emu, "/api/v1/namespaces/default/pods", { method: "POST", body: pod("ctl") });
      for (let i = 0; i < 50 && events.length < 2; i++) await Bun.sleep(5);
      expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED"]);
      expect(events[1]?.oldObject?.status).toEqual({ phase: "Pending", qosClass: "BestEffort" });
      expect((await call(emu, "/api/v1/namespaces/default/pods/ctl")).body.status.phase).toBe("Running");
    } finally {
      unsubscribe();
    }
  });
});
