/**
 * RBAC end to end: the real kubectl impersonating a ServiceAccount (`--as`), every rule shape
 * (namespaced Role, ClusterRole, ClusterRole bound by a RoleBinding, resourceNames,
 * subresources), and the RBAC that gen/ emits checked grant by grant with
 * SelfSubjectAccessReviews — plus what it must not allow.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderRbac } from "../../gen/rbac.ts";
import { resolveDeployOptions } from "../../gen/options.ts";
import { accessChecks, COMPONENTS } from "../../lib/rbac/permissions.ts";
import { startEmulator, type Emulator } from "./emulator.ts";
import { call } from "./test-client.ts";
import type { KubeObject } from "./types.ts";

const SA = "system:serviceaccount:ops:kube-devops";
let emu: Emulator;
let dir: string;
let kubeconfig: string;

const obj = (apiVersion: string, kind: string, metadata: Record<string, unknown>, rest: Record<string, unknown> = {}): KubeObject => ({ apiVersion, kind, metadata, ...rest });
const RBAC = "rbac.authorization.k8s.io/v1";
const ref = (kind: string, name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name });
const saSubject = [{ kind: "ServiceAccount", name: "kube-devops", namespace: "ops" }];

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "emu-rbac-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  for (const o of [
    obj("v1", "Namespace", { name: "ops" }),
    obj("v1", "Namespace", { name: "team-a" }),
    obj("v1", "Namespace", { name: "team-b" }),
    obj("v1", "ServiceAccount", { name: "kube-devops", namespace: "ops" }),
    obj("v1", "Pod", { name: "web", namespace: "team-a" }, { spec: { containers: [{ name: "app", image: "nginx:1.27" }] } }),
    obj("v1", "ConfigMap", { name: "settings", namespace: "team-a" }, { data: { a: "1" } }),
    obj("v1", "ConfigMap", { name: "settings", namespace: "team-b" }, { data: { b: "2" } }),
    obj("coordination.k8s.io/v1", "Lease", { name: "kd-leader", namespace: "ops" }, { spec: {} }),
    obj("coordination.k8s.io/v1", "Lease", { name: "other", namespace: "ops" }, { spec: {} }),
    // ClusterRole + ClusterRoleBinding: pods everywhere, read-only; pods/status writable.
    obj(RBAC, "ClusterRole", { name: "kd-pods" }, { rules: [
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["pods/status"], verbs: ["get", "patch"] },
    ] }),
    obj(RBAC, "ClusterRoleBinding", { name: "kd-pods" }, { roleRef: ref("ClusterRole", "kd-pods"), subjects: saSubject }),
    // A ClusterRole bound by a RoleBinding: configmaps in team-a only.
    obj(RBAC, "ClusterRole", { name: "cm-reader" }, { rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }] }),
    obj(RBAC, "RoleBinding", { name: "kd-cm", namespace: "team-a" }, { roleRef: ref("ClusterRole", "cm-reader"), subjects: saSubject }),
    // A namespaced Role with resourceNames (leader lease) and a separate create grant.
    obj(RBAC, "Role", { name: "kd-lease", namespace: "ops" }, { rules: [
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["kd-leader"], verbs: ["get", "update"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    ] }),
    obj(RBAC, "RoleBinding", { name: "kd-lease", namespace: "ops" }, { roleRef: ref("Role", "kd-lease"), subjects: saSubject }),
  ]) await emu.store.create(groupResourceOf(o), o, o.metadata.namespace ? { namespace: o.metadata.namespace } : {});
});
afterAll(() => emu.stop());

function groupResourceOf(o: KubeObject): string {
  const t = emu.store.registry.findByKind(o.apiVersion ?? "", o.kind ?? "");
  if (!t) throw new Error(`no type for ${o.kind}`);
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

async function kubectlAs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), `--as=${SA}`, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function forbidden(args: string[]): Promise<string> {
  const r = await kubectlAs(args);
  expect(r.code).toBe(1);
  return r.stderr.trim();
}

describe("kubectl --as a ServiceAccount", () => {
  test("allowed reads succeed: pods in every namespace through a ClusterRoleBinding", async () => {
    const r = await kubectlAs(["get", "pods", "-A", "-o", "name"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("pod/web");
  });

  test("a ClusterRole bound by a RoleBinding grants in that namespace only", async () => {
    expect((await kubectlAs(["get", "configmap", "settings", "-n", "team-a", "-o", "jsonpath={.data.a}"])).stdout).toBe("1");
    expect(await forbidden(["get", "configmap", "settings", "-n", "team-b"])).toBe(
      `Error from server (Forbidden): configmaps "settings" is forbidden: User "${SA}" cannot get resource "configmaps" in API group "" in the namespace "team-b"`,
    );
    expect(await forbidden(["get", "configmaps", "-A"])).toBe(
      `Error from server (Forbidden): configmaps is forbidden: User "${SA}" cannot list resource "configmaps" in API group "" at the cluster scope`,
    );
  });

  test("resourceNames pin get/update to one lease; list and other names are Forbidden", async () => {
    expect((await kubectlAs(["get", "lease", "kd-leader", "-n", "ops", "-o", "name"])).stdout.trim()).toBe("lease.coordination.k8s.io/kd-leader");
    expect(await forbidden(["get", "lease", "other", "-n", "ops"])).toBe(
      `Error from server (Forbidden): leases.coordination.k8s.io "other" is forbidden: User "${SA}" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "ops"`,
    );
    expect(await forbidden(["get", "leases", "-n", "ops"])).toContain(`cannot list resource "leases" in API group "coordination.k8s.io" in the namespace "ops"`);
  });

  test("the status subresource is its own grant: pods/status patches, pods do not", async () => {
    const ok = await kubectlAs(["patch", "pod", "web", "-n", "team-a", "--subresource=status", "--type=merge", "-p", '{"status":{"phase":"Running"}}']);
    expect(ok.stderr).toBe("");
    expect((emu.store.get("pods", "team-a", "web").status as { phase?: string }).phase).toBe("Running");
    expect(await forbidden(["patch", "pod", "web", "-n", "team-a", "--type=merge", "-p", '{"metadata":{"labels":{"x":"y"}}}'])).toBe(
      `Error from server (Forbidden): pods "web" is forbidden: User "${SA}" cannot patch resource "pods" in API group "" in the namespace "team-a"`,
    );
  });

  test("everything else is Forbidden with the real message", async () => {
    expect(await forbidden(["delete", "pod", "web", "-n", "team-a"])).toBe(
      `Error from server (Forbidden): pods "web" is forbidden: User "${SA}" cannot delete resource "pods" in API group "" in the namespace "team-a"`,
    );
    expect(await forbidden(["get", "secrets", "-n", "ops"])).toBe(
      `Error from server (Forbidden): secrets is forbidden: User "${SA}" cannot list resource "secrets" in API group "" in the namespace "ops"`,
    );
    expect(await forbidden(["get", "nodes"])).toBe(`Error from server (Forbidden): nodes is forbidden: User "${SA}" cannot list resource "nodes" in API group "" at the cluster scope`);
    expect(emu.store.get("pods", "team-a", "web").metadata.name).toBe("web");
  });

  test("kubectl auth can-i / whoami answer from the same RBAC", async () => {
    expect((await kubectlAs(["auth", "can-i", "list", "pods", "-n", "team-b"])).stdout.trim()).toBe("yes");
    const no = await kubectlAs(["auth", "can-i", "delete", "pods", "-n", "team-b"]);
    expect([no.code, no.stdout.trim()]).toEqual([1, "no"]);
    expect((await kubectlAs(["auth", "can-i", "get", "leases/kd-leader", "-n", "ops"])).stdout.trim()).toBe("yes");
    expect((await kubectlAs(["auth", "can-i", "get", "leases/other", "-n", "ops"])).stdout.trim()).toBe("no");
    expect((await kubectlAs(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])).stdout).toBe(SA);
  });

  test("a ServiceAccount token authenticates as the SA with the same rights", async () => {
    const token = emu.serviceAccountToken("ops", "kube-devops");
    const allowed = await call(emu, "/api/v1/namespaces/team-a/pods", { token });
    expect(allowed.status).toBe(200);
    const denied = await call(emu, "/api/v1/namespaces/team-a/secrets", { token });
    expect(denied.status).toBe(403);
    const whoami = await call(emu, "/apis/authentication.k8s.io/v1/selfsubjectreviews", { method: "POST", token, body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } });
    expect(whoami.body.status.userInfo).toMatchObject({ username: SA, groups: ["system:serviceaccounts", "system:serviceaccounts:ops", "system:authenticated"] });
  });

  test("TokenRequest mints a token; a deleted ServiceAccount's tokens stop working", async () => {
    await emu.store.create("serviceaccounts", obj("v1", "ServiceAccount", { name: "short-lived", namespace: "ops" }), { namespace: "ops" });
    const tr = await call(emu, "/api/v1/namespaces/ops/serviceaccounts/short-lived/token", { method: "POST", body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } } });
    expect(tr.status).toBe(201);
    const token = tr.body.status.token as string;
    expect((await call(emu, "/version", { token })).status).toBe(200);
    await emu.store.delete("serviceaccounts", "ops", "short-lived");
    expect((await call(emu, "/version", { token })).status).toBe(401);
    expect((await call(emu, "/api/v1/namespaces/ops/serviceaccounts/nope/token", { method: "POST", body: {} })).status).toBe(404);
  });

  test("an aggregated ClusterRole gathers the selected roles' rules: stored in the object and enforced", async () => {
    const label = { "example.com/aggregate-to-kd": "true" };
    await emu.store.create(`clusterroles.rbac.authorization.k8s.io`, obj(RBAC, "ClusterRole", { name: "kd-aggregate" }, { aggregationRule: { clusterRoleSelectors: [{ matchLabels: label }] }, rules: [] }));
    await emu.store.create(`clusterrolebindings.rbac.authorization.k8s.io`, obj(RBAC, "ClusterRoleBinding", { name: "kd-aggregate" }, { roleRef: ref("ClusterRole", "kd-aggregate"), subjects: saSubject }));
    expect(await forbidden(["get", "events", "-n", "team-b"])).toContain('cannot list resource "events"');
    await emu.store.create(`clusterroles.rbac.authorization.k8s.io`, obj(RBAC, "ClusterRole", { name: "kd-events", labels: label }, { rules: [{ apiGroups: [""], resources: ["events"], verbs: ["list"] }] }));
    await emu.settle();
    expect((await kubectlAs(["get", "events", "-n", "team-b"])).code).toBe(0);
    const rules = (emu.store.get("clusterroles.rbac.authorization.k8s.io", undefined, "kd-aggregate") as { rules?: unknown[] }).rules;
    expect(rules).toEqual([{ apiGroups: [""], resources: ["events"], verbs: ["list"] }]);
  });

  test("SelfSubjectRulesReview lists what the ServiceAccount may do in a namespace", async () => {
    const token = emu.serviceAccountToken("ops", "kube-devops");
    const r = await call(emu, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", { method: "POST", token, body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace: "ops" } } });
    expect(r.status).toBe(201);
    expect(r.body.status.incomplete).toBe(false);
    expect(r.body.status.resourceRules).toContainEqual({ verbs: ["get", "update"], apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["kd-leader"] });
    expect(r.body.status.resourceRules).toContainEqual({ verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] });
    expect(r.body.status.resourceRules).not.toContainEqual(expect.objectContaining({ resources: ["configmaps"] }));
    expect(r.body.status.nonResourceRules).toContainEqual(expect.objectContaining({ verbs: ["get"], nonResourceURLs: expect.arrayContaining(["/api", "/apis/*", "/version"]) }));
  });

  test("only the impersonate verb lets a non-admin impersonate", async () => {
    const token = emu.serviceAccountToken("ops", "kube-devops");
    const r = await fetch(`${emu.url}/api/v1/namespaces/team-a/pods`, { headers: { authorization: `Bearer ${token}`, "impersonate-user": "admin" }, tls: { ca: emu.caPem } } as RequestInit);
    expect(r.status).toBe(403);
    expect(((await r.json()) as { message: string }).message).toBe(`users "admin" is forbidden: User "${SA}" cannot impersonate resource "users" in API group "" at the cluster scope`);
  });
});

describe("the RBAC gen/ emits, grant by grant", () => {
  const options = resolveDeployOptions("0.0.0-test", { namespace: "kube-devops" });

  beforeAll(async () => {
    await emu.store.create("namespaces", obj("v1", "Namespace", { name: "kube-devops" }));
    for (const o of renderRbac(options) as unknown as KubeObject[]) {
      await emu.store.create(groupResourceOf(o), o, o.metadata.namespace ? { namespace: o.metadata.namespace } : {});
    }
  });

  async function review(component: string, attrs: Record<string, string | undefined>): Promise<boolean> {
    const r = await fetch(`${emu.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: "POST",
      headers: { authorization: `Bearer ${emu.adminToken}`, "impersonate-user": `system:serviceaccount:kube-devops:kube-devops-${component}`, "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: attrs } }),
      tls: { ca: emu.caPem },
    } as RequestInit);
    expect(r.status).toBe(201);
    return ((await r.json()) as { status: { allowed: boolean } }).status.allowed;
  }

  for (const component of COMPONENTS) {
    test(`${component}: every needed access is allowed`, async () => {
      const checks = accessChecks(component, "kube-devops");
      expect(checks.length).toBeGreaterThan(0);
      const denied: string[] = [];
      for (const c of checks) {
        const allowed = await review(component, { verb: c.verb, group: c.group, resource: c.resource, subresource: c.subresource, namespace: c.namespace ?? "team-a", name: c.name });
        if (!allowed) denied.push(`${c.verb} ${c.group}/${c.resource}${c.subresource ? `/${c.subresource}` : ""} ${c.name ?? ""}`);
      }
      expect(denied).toEqual([]);
    });
  }

  test("and no more: other names, other namespaces, other verbs are denied", async () => {
    expect(await review("watch", { verb: "delete", group: "", resource: "pods", namespace: "team-a" })).toBe(false);
    expect(await review("watch", { verb: "get", group: "", resource: "secrets", namespace: "kube-devops" })).toBe(false);
    expect(await review("watch", { verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-devops", name: "kube-devops-reconcile" })).toBe(false);
    expect(await review("watch", { verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "team-a" })).toBe(false);
    expect(await review("webhook", { verb: "get", group: "", resource: "secrets", namespace: "kube-devops", name: "someone-elses" })).toBe(false);
    expect(await review("webhook", { verb: "patch", group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations", name: "other-webhook" })).toBe(false);
    expect(await review("reconcile", { verb: "update", group: "apps", resource: "deployments", namespace: "team-a" })).toBe(false);
    expect(await review("reconcile", { verb: "patch", group: "devops.stochastic.io", resource: "devopspolicies", subresource: "status" })).toBe(true);
  });
});
