/**
 * The real kubectl (v1.32, on PATH) against the emulator through a kubeconfig file. Never
 * skipped: a missing kubectl fails the suite. Each test gets its own discovery cache dir.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "./emulator.ts";

let emu: Emulator;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "emu-kubectl-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
});
afterAll(() => emu.stop());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectlArgs(args: string[]): string[] {
  return ["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), ...args];
}

/** Runs kubectl asynchronously (the emulator shares this process, so never spawnSync). */
async function kubectl(args: string[], stdin?: string): Promise<Run> {
  const proc = Bun.spawn(kubectlArgs(args), { stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const manifest = (doc: Record<string, unknown>): string => JSON.stringify(doc);

test("kubectl is installed (this suite must not be skipped)", () => {
  expect(Bun.which("kubectl")).not.toBeNull();
});

describe("kubectl", () => {
  test("get -A lists objects of every namespace with a NAMESPACE column", async () => {
    await ok(["apply", "--validate=false", "-f", "-"], manifest({ apiVersion: "v1", kind: "List", items: [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "ka" } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "kb" } },
    ] }));
    await ok(["apply", "--validate=false", "-f", "-"], manifest({ apiVersion: "v1", kind: "List", items: ["ka", "kb"].map((ns) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${ns}`, namespace: ns }, data: { k: "v" } })) }));
    const out = await ok(["get", "configmaps", "-A"]);
    expect(out).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE/);
    expect(out).toMatch(/\nka\s+cm-ka\s+1\s+\d+s/);
    expect(out).toMatch(/\nkb\s+cm-kb\s+1\s+\d+s/);
  });

  test("get -w prints events as they happen", async () => {
    const proc = Bun.spawn(kubectlArgs(["get", "configmaps", "-n", "ka", "-w", "--output-watch-events"]), { stdout: "pipe", stderr: "pipe" });
    const reader = proc.stdout.getReader();
    let seen = "";
    const waitFor = async (re: RegExp): Promise<void> => {
      while (!re.test(seen)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`watch ended before ${re}: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
    };
    await waitFor(/ADDED\s+cm-ka/);
    await emu.store.create("configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "live" } }, { namespace: "ka" });
    await waitFor(/ADDED\s+live/);
    await emu.store.patch("configmaps", "ka", "live", "application/merge-patch+json", JSON.stringify({ data: { a: "1" } }));
    await waitFor(/MODIFIED\s+live/);
    await emu.store.delete("configmaps", "ka", "live");
    await waitFor(/DELETED\s+live/);
    proc.kill();
    await proc.exited;
  });

  test("apply -f creates, re-apply configures, an identical re-apply is unchanged", async () => {
    const dep = (replicas: number, image: string) => manifest({
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" },
      spec: { replicas, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image, env: [{ name: "A", value: "1" }] }] } } },
    });
    expect(await ok(["apply", "--validate=false", "-f", "-"], dep(1, "nginx:1.25"))).toContain("deployment.apps/web created");
    expect(await ok(["apply", "--validate=false", "-f", "-"], dep(2, "nginx:1.26"))).toContain("deployment.apps/web configured");
    expect(await ok(["apply", "--validate=false", "-f", "-"], dep(2, "nginx:1.26"))).toContain("deployment.apps/web unchanged");
    const d = emu.store.get("deployments.apps", "default", "web") as any;
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0].image).toBe("nginx:1.26");
    expect(d.metadata.generation).toBe(2);
  });

  test("patch with strategic, merge and json patches", async () => {
    await ok(["patch", "deployment", "web", "--type=strategic", "-p", JSON.stringify({ spec: { template: { spec: { containers: [{ name: "sidecar", image: "envoy:1" }] } } } })]);
    let d = emu.store.get("deployments.apps", "default", "web") as any;
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["app", "sidecar"]);
    await ok(["patch", "deployment", "web", "--type=merge", "-p", JSON.stringify({ metadata: { labels: { team: "a" } } })]);
    await ok(["patch", "deployment", "web", "--type=json", "-p", JSON.stringify([{ op: "test", path: "/spec/replicas", value: 2 }, { op: "replace", path: "/spec/replicas", value: 5 }])]);
    d = emu.store.get("deployments.apps", "default", "web") as any;
    expect(d.metadata.labels.team).toBe("a");
    expect(d.spec.replicas).toBe(5);
    const failed = await kubectl(["patch", "deployment", "web", "--type=json", "-p", JSON.stringify([{ op: "test", path: "/spec/replicas", value: 2 }, { op: "replace", path: "/spec/replicas", value: 9 }])]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain("test failed");
    expect((emu.store.get("deployments.apps", "default", "web") as any).spec.replicas).toBe(5);
  });

  test("replace with a stale object is a Conflict", async () => {
    const stale = await ok(["get", "deployment", "web", "-o", "json"]);
    await ok(["label", "deployment", "web", "bump=1"]);
    const path = join(dir, "stale.json");
    writeFileSync(path, stale);
    const r = await kubectl(["replace", "--validate=false", "-f", path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error from server (Conflict)");
    expect(r.stderr).toContain("the object has been modified");
  });

  test("scale uses the scale subresource", async () => {
    expect(await ok(["scale", "deployment", "web", "--replicas=3"])).toContain("scaled");
    expect((emu.store.get("deployments.apps", "default", "web") as any).spec.replicas).toBe(3);
  });

  test("debug adds an ephemeral container through the pods/ephemeralcontainers subresource, which only takes additions", async () => {
    await ok(["run", "dbg-target", "--image=nginx:1.27"]);
    const r = await kubectl(["debug", "dbg-target", "--image=busybox:1.36", "-c", "probe"]);
    expect(r.code).toBe(0);
    const pod = emu.store.get("pods", "default", "dbg-target") as any;
    expect(pod.spec.ephemeralContainers).toEqual([expect.objectContaining({ name: "probe", image: "busybox:1.36" })]);
    expect(pod.spec.containers.map((c: any) => c.name)).toEqual(["dbg-target"]);
    const change = await kubectl(["patch", "pod", "dbg-target", "--subresource=ephemeralcontainers", "-p", manifest({ spec: { ephemeralContainers: [{ name: "probe", image: "busybox:2" }] } })]);
    expect(change.code).toBe(1);
    expect(change.stderr).toContain(`spec.ephemeralContainers: Forbidden: existing ephemeral containers "probe" may not be removed or changed`);
    const viaMain = await kubectl(["patch", "pod", "dbg-target", "-p", manifest({ spec: { ephemeralContainers: [{ name: "other", image: "busybox:2" }] } })]);
    expect(viaMain.code).toBe(1);
    expect(viaMain.stderr).toContain("pod updates may not change fields other than");
    const created = await kubectl(["create", "--validate=false", "-f", "-"], manifest({ apiVersion: "v1", kind: "Pod", metadata: { name: "eph-on-create" }, spec: { containers: [{ name: "a", image: "nginx:1.27" }], ephemeralContainers: [{ name: "e", image: "busybox:1.36" }] } }));
    expect(created.code).toBe(1);
    expect(created.stderr).toContain("spec.ephemeralContainers: Forbidden: cannot be set on create");
  });

  test("delete with finalizers leaves the object Terminating until the finalizer is removed", async () => {
    await ok(["apply", "--validate=false", "-f", "-"], manifest({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "held", namespace: "default", finalizers: ["example.com/hold"] } }));
    expect(await ok(["delete", "configmap", "held", "--wait=false"])).toContain('configmap "held" deleted');
    const held = JSON.parse(await ok(["get", "configmap", "held", "-o", "json"]));
    expect(held.metadata.deletionTimestamp).toBeString();
    await ok(["patch", "configmap", "held", "--type=json", "-p", JSON.stringify([{ op: "remove", path: "/metadata/finalizers" }])]);
    const gone = await kubectl(["get", "configmap", "held"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('configmaps "held" not found');
  });

  test("a CRD serves its objects with printer columns and pruned unknown fields", async () => {
    await ok(["apply", "--validate=false", "-f", "-"], manifest({
      apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com", scope: "Namespaced", names: { plural: "widgets", singular: "widget", kind: "Widget", shortNames: ["wd"] },
        versions: [{
          name: "v1", served: true, storage: true, subresources: { status: {} },
          additionalPrinterColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }, { name: "Color", type: "string", jsonPath: ".spec.color" }, { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }],
          schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", required: ["size"], properties: { size: { type: "integer", minimum: 1 }, color: { type: "string", enum: ["red", "blue"] }, extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } } } } },
        }],
      },
    }));
    const crd = JSON.parse(await ok(["get", "crd", "widgets.example.com", "-o", "json"]));
    expect(crd.status.conditions.find((c: any) => c.type === "Established").status).toBe("True");
    await ok(["apply", "--validate=false", "-f", "-"], manifest({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1", namespace: "default" }, spec: { size: 3, color: "red", bogus: true, extra: { kept: 1 } }, topLevelJunk: 1 }));
    const table = await ok(["get", "widgets"]);
    expect(table).toMatch(/^NAME\s+SIZE\s+COLOR\s+AGE\n/);
    expect(table).toMatch(/\nw1\s+3\s+red\s+\d+s\n/);
    const w = JSON.parse(await ok(["get", "wd", "w1", "-o", "json"]));
    expect(w.spec).toEqual({ size: 3, color: "red", extra: { kept: 1 } });
    expect(w.topLevelJunk).toBeUndefined();
    const bad = await kubectl(["apply", "--validate=false", "-f", "-"], manifest({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w2", namespace: "default" }, spec: { size: 0, color: "green" } }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Unsupported value: "green"');
    expect(bad.stderr).toContain("spec.size in body should be greater than or equal to 1");
  });

  test("apply --server-side: create, field removal, conflict after scale, --force-conflicts", async () => {
    const cfg = (replicas: number, labels: Record<string, string>) => manifest({
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "ssa", namespace: "default", labels },
      spec: { replicas, selector: { matchLabels: { app: "ssa" } }, template: { metadata: { labels: { app: "ssa" } }, spec: { containers: [{ name: "app", image: "nginx:1" }] } } },
    });
    expect(await ok(["apply", "--server-side", "--validate=false", "-f", "-"], cfg(2, { a: "1", b: "2" }))).toContain("serverside-applied");
    await ok(["apply", "--server-side", "--validate=false", "-f", "-"], cfg(2, { a: "1" }));
    expect((emu.store.get("deployments.apps", "default", "ssa") as any).metadata.labels).toEqual({ a: "1" });
    await ok(["scale", "deployment", "ssa", "--replicas=5"]);
    const conflict = await kubectl(["apply", "--server-side", "--validate=false", "-f", "-"], cfg(3, { a: "1" }));
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/Apply failed with 1 conflict: conflict with "kubectl[^"]*" using apps\/v1: \.spec\.replicas/);
    await ok(["apply", "--server-side", "--force-conflicts", "--validate=false", "-f", "-"], cfg(3, { a: "1" }));
    expect((emu.store.get("deployments.apps", "default", "ssa") as any).spec.replicas).toBe(3);
  });

  test("apply with kubectl's default --validate=strict: the server rejects unknown fields of a custom resource", async () => {
    const bad = await kubectl(["apply", "-f", "-"], manifest({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "strict", namespace: "default" }, spec: { size: 2, typo: 1 } }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.typo"');
    expect(await ok(["apply", "-f", "-"], manifest({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "strict", namespace: "default" }, spec: { size: 2 } }))).toContain("widget.example.com/strict created");
    expect(await ok(["apply", "-f", "-"], manifest({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "validated", namespace: "default" }, data: { a: "b" } }))).toContain("configmap/validated created");
  });

  test("the client-certificate context authenticates too", async () => {
    const out = await ok(["--context", "emulator-cert", "get", "namespaces", "-o", "name"]);
    expect(out).toContain("namespace/default");
  });
});
