/**
 * kubectl's typed commands send protobuf bodies (kubectl-wire-notes.md); the emulator decodes
 * those kinds so `create namespace|configmap|secret|serviceaccount|role|rolebinding|
 * clusterrole|clusterrolebinding|deployment|job|cronjob`, `auth can-i` and `auth whoami` work as
 * on a real cluster.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "./emulator.ts";
import { decodeKubeProtobuf } from "./protobuf.ts";

let emu: Emulator;
let dir: string;
let kubeconfig: string;
beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "emu-pb-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
});
afterAll(() => emu.stop());

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "c-")), ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

describe("protobuf request bodies", () => {
  test("kubectl create namespace, configmap and secret", async () => {
    expect((await kubectl("create", "namespace", "pb")).stdout).toContain("namespace/pb created");
    expect((await kubectl("create", "configmap", "cm", "-n", "pb", "--from-literal=a=b", "--from-literal=c=d")).code).toBe(0);
    expect((await kubectl("create", "secret", "generic", "s", "-n", "pb", "--from-literal=pw=x")).code).toBe(0);
    expect(emu.store.get("namespaces", undefined, "pb").metadata.labels).toEqual({ "kubernetes.io/metadata.name": "pb" });
    expect(emu.store.get("configmaps", "pb", "cm").data).toEqual({ a: "b", c: "d" });
    const secret = emu.store.get("secrets", "pb", "s");
    expect(secret.data).toEqual({ pw: Buffer.from("x").toString("base64") });
    expect(secret.type).toBe("Opaque");
  });

  test("kubectl create serviceaccount, role and rolebinding", async () => {
    expect((await kubectl("create", "serviceaccount", "bot", "-n", "pb")).code).toBe(0);
    expect((await kubectl("create", "role", "reader", "-n", "pb", "--verb=get,list", "--resource=pods", "--resource-name=x")).code).toBe(0);
    expect((await kubectl("create", "rolebinding", "rb", "-n", "pb", "--role=reader", "--serviceaccount=pb:bot")).code).toBe(0);
    expect(emu.store.get("roles.rbac.authorization.k8s.io", "pb", "reader").rules).toEqual([{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"], resourceNames: ["x"] }]);
    const rb = emu.store.get("rolebindings.rbac.authorization.k8s.io", "pb", "rb");
    expect(rb.subjects).toEqual([{ kind: "ServiceAccount", name: "bot", namespace: "pb" }]);
    expect(rb.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" });
  });

  test("kubectl auth can-i and auth whoami", async () => {
    const can = await kubectl("auth", "can-i", "delete", "pods", "-n", "pb");
    expect(can.stdout.trim()).toBe("yes");
    const who = await kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}");
    expect(who.stdout).toBe("admin");
  });

  test("kubectl create token (TokenRequest) mints a token that authenticates as the ServiceAccount", async () => {
    const token = (await kubectl("create", "token", "bot", "-n", "pb")).stdout.trim();
    expect(token.split(".")).toHaveLength(3);
    const who = await kubectl("--token", token, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}");
    expect(who.stdout).toBe("system:serviceaccount:pb:bot");
  });

  test("kubectl create deployment, job and cronjob: the pod template as kubectl -o json prints it", async () => {
    const dep = await kubectl("create", "deployment", "web", "-n", "pb", "--image=nginx:1.27", "--port=8080", "--replicas=3", "--", "nginx", "-g", "daemon off;");
    expect(dep.stderr).toBe("");
    expect(dep.stdout).toContain("deployment.apps/web created");
    const d = emu.store.get("deployments.apps", "pb", "web") as unknown as { spec: Record<string, any> };
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.selector).toEqual({ matchLabels: { app: "web" } });
    expect(d.spec.template.metadata.labels).toEqual({ app: "web" });
    expect(d.spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: "nginx", image: "nginx:1.27", command: ["nginx", "-g", "daemon off;"], ports: [{ containerPort: 8080, protocol: "TCP" }] }),
    ]);
    expect((await kubectl("create", "job", "once", "-n", "pb", "--image=busybox:1.36", "--", "date")).code).toBe(0);
    const job = emu.store.get("jobs.batch", "pb", "once") as unknown as { spec: Record<string, any> };
    expect(job.spec.template.spec.containers[0]).toEqual(expect.objectContaining({ name: "once", image: "busybox:1.36", command: ["date"] }));
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect((await kubectl("create", "cronjob", "tick", "-n", "pb", "--image=busybox:1.36", "--schedule=*/5 * * * *")).code).toBe(0);
    const cj = emu.store.get("cronjobs.batch", "pb", "tick") as unknown as { spec: Record<string, any> };
    expect(cj.spec.schedule).toBe("*/5 * * * *");
    expect(cj.spec.jobTemplate.spec.template.spec.containers[0]).toEqual(expect.objectContaining({ name: "tick", image: "busybox:1.36" }));
  });

  test("resources arrive as quantities", () => {
    // Container{name: "c", resources: {limits: {cpu: Quantity{"500m"}}}} in a Deployment's template
    const enc = (field: number, bytes: number[]): number[] => [(field << 3) | 2, bytes.length, ...bytes];
    const str = (field: number, s: string): number[] => enc(field, [...Buffer.from(s)]);
    const container = [...str(1, "c"), ...enc(8, enc(1, [...str(1, "cpu"), ...enc(2, str(1, "500m"))]))];
    const raw = enc(2, enc(3, enc(2, enc(2, container))));
    const typeMeta = enc(1, [...str(1, "apps/v1"), ...str(2, "Deployment")]);
    const obj = decodeKubeProtobuf(new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...typeMeta, ...enc(2, raw)])) as { spec: { template: { spec: { containers: unknown[] } } } };
    expect(obj.spec.template.spec.containers).toEqual([{ name: "c", resources: { limits: { cpu: "500m" } } }]);
  });

  test("a body without the k8s envelope or of an unsupported kind is 415", () => {
    expect(() => decodeKubeProtobuf(new Uint8Array([1, 2, 3]))).toThrow(expect.objectContaining({ code: 415 }));
    // envelope with TypeMeta{apiVersion: "v1", kind: "Pod"} and an empty raw
    const unknown = [0x0a, 0x09, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x03, 0x50, 0x6f, 0x64, 0x12, 0x00];
    expect(() => decodeKubeProtobuf(new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...unknown]))).toThrow(expect.objectContaining({ code: 415 }));
  });
});
