/**
 * RBAC `resourceNames` on list and watch, over HTTPS as a ServiceAccount: a list or watch narrowed
 * by `fieldSelector=metadata.name=<name>` is authorized against that name (RequestInfoFactory), so a
 * rule pinned to one object covers an informer on it — and nothing wider. `kubectl get <kind> <name>
 * --watch` (which watches by that field selector) runs under such a rule alone.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "./emulator.ts";
import { call, watch } from "./test-client.ts";
import type { RequestAttributes } from "./hooks.ts";

const SA = "system:serviceaccount:ops:watcher";
const VWCS = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
const RBAC = "/apis/rbac.authorization.k8s.io/v1";
let emu: Emulator;
let token: string;
let dir: string;
const seen: RequestAttributes[] = [];

const vwc = (name: string) => ({ apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name }, webhooks: [] });

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "emu-named-watch-"));
  for (const [path, body] of [
    ["/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "ops" } }],
    ["/api/v1/namespaces/ops/serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "watcher", namespace: "ops" } }],
    [VWCS, vwc("kd")],
    [VWCS, vwc("other")],
    [`${RBAC}/clusterroles`, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "kd-vwc" }, rules: [{ apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], resourceNames: ["kd"], verbs: ["get", "list", "watch"] }] }],
    [`${RBAC}/clusterrolebindings`, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "kd-vwc" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kd-vwc" }, subjects: [{ kind: "ServiceAccount", name: "watcher", namespace: "ops" }] }],
  ] as const) {
    const r = await call(emu, path, { method: "POST", body });
    if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  token = emu.serviceAccountToken("ops", "watcher");
  const rbac = emu.hooks.authorize;
  if (!rbac) throw new Error("the emulator has no authorize hook");
  emu.hooks.authorize = (attrs) => {
    if (attrs.user.username === SA) seen.push(attrs);
    return rbac(attrs);
  };
});
afterAll(() => emu.stop());

describe("resourceNames with list and watch (fieldSelector metadata.name)", () => {
  test("list and watch of the named object are allowed and see only it", async () => {
    const list = await call(emu, `${VWCS}?fieldSelector=metadata.name%3Dkd`, { token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(["kd"]);
    const w = await watch(emu, `${VWCS}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}&fieldSelector=metadata.name%3Dkd`, { token });
    expect(w.status).toBe(200);
    await call(emu, `${VWCS}/other`, { method: "PATCH", contentType: "application/merge-patch+json", body: { metadata: { labels: { a: "1" } } } });
    await call(emu, `${VWCS}/kd`, { method: "PATCH", contentType: "application/merge-patch+json", body: { metadata: { labels: { a: "1" } } } });
    const event = await w.next(5000);
    expect([event?.type, event?.object.metadata.name]).toEqual(["MODIFIED", "kd"]);
    w.close();
  });

  test("an unnamed list or watch, another name, or the /watch/ prefix is Forbidden", async () => {
    for (const path of [VWCS, `${VWCS}?watch=true`, `${VWCS}?watch=true&fieldSelector=metadata.name%3Dother`, `${VWCS}?fieldSelector=metadata.name!%3Dkd`, "/apis/admissionregistration.k8s.io/v1/watch/validatingwebhookconfigurations?fieldSelector=metadata.name%3Dkd"]) {
      const r = await call(emu, path, { token });
      expect([path, r.status]).toEqual([path, 403]);
    }
  });

  test("kubectl get <kind> <name> --watch runs under the pinned rule alone", async () => {
    const since = seen.length;
    const kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"), { token });
    const proc = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), "get", "validatingwebhookconfiguration", "kd", "--watch", "-o", "name"], { stdout: "pipe", stderr: "pipe" });
    const reader = proc.stdout.getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    const deadline = Date.now() + 10_000;
    while (!seen.slice(since).some((a) => a.verb === "watch") && Date.now() < deadline) await Bun.sleep(50);
    proc.kill("SIGTERM");
    await proc.exited;
    expect(out.trim()).toBe("validatingwebhookconfiguration.admissionregistration.k8s.io/kd");
    const requests = seen.slice(since).filter((a) => a.resource === "validatingwebhookconfigurations");
    expect(requests.some((a) => a.verb === "watch" && a.name === "kd")).toBe(true);
    expect(requests.every((a) => a.name === "kd")).toBe(true);
    expect(await new Response(proc.stderr).text()).not.toContain("Forbidden");
  });
});
