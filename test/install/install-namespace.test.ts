/**
 * `deploy generate-all|generate-rbac` with a cluster named, on the compiled binary against the API
 * emulator: manifests for a namespace that does not exist are refused unless they create it (else
 * `kubectl apply` applies the cluster-scoped half and fails on the rest), and the cluster-scoped
 * objects an install whose namespace is gone left behind are leftovers, taken over with a warning,
 * not another install that blocks every new one (decision 0035).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderDeployManifests } from "../../gen/manifests.ts";
import { parseDeployArgs } from "../../gen/deploy-args.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { ensureBinary, ROOT } from "../support/binary.ts";

let emu: Emulator;
let dir: string;
let kubeconfig: string;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([ensureBinary(), "--kubeconfig", kubeconfig, ...args], { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "kd-install-namespace-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  ensureBinary();
}, 60_000);
afterAll(() => emu?.stop());

describe("a namespace that does not exist", () => {
  test("generate-all without --create-namespace refuses, exit 2, nothing to apply; with it, it prints", async () => {
    const r = await run(["deploy", "generate-all", "--namespace", "fresh"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('namespace "fresh" not found in context emulator: kubectl apply would create only the cluster-scoped objects');
    expect(r.stderr).toContain("hint: add --create-namespace, or create it first: kubectl create namespace fresh");
    const created = await run(["deploy", "generate-all", "--namespace", "fresh", "--create-namespace"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("kind: Namespace");
  });

  test("generate-rbac, which has no Namespace to print, says to create it", async () => {
    const r = await run(["deploy", "generate-rbac", "--namespace", "fresh"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("hint: create it first: kubectl create namespace fresh");
  });

  test("offline generation is not asked", async () => {
    const proc = Bun.spawn([ensureBinary(), "deploy", "generate-all", "--namespace", "fresh"], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: kubeconfig } });
    expect(await proc.exited).toBe(0);
  });
});

describe("leftovers of an install whose namespace is gone", () => {
  beforeAll(async () => {
    // what `kubectl delete namespace old` leaves of an install in old (or an apply that failed on it)
    for (const obj of renderDeployManifests(parseDeployArgs({ namespace: "old" }, "0.0.0-test"), { createNamespace: false })) {
      if (obj.kind === "ClusterRoleBinding") await emu.store.create("clusterrolebindings.rbac.authorization.k8s.io", obj as never);
      if (obj.kind === "ValidatingWebhookConfiguration") await emu.store.create("validatingwebhookconfigurations.admissionregistration.k8s.io", obj as never);
    }
  });

  test("generate-all for another namespace takes them over with a warning", async () => {
    const r = await run(["deploy", "generate-all", "--namespace", "fresh", "--create-namespace"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("namespace: fresh");
    expect(r.stderr).toContain("taking over ClusterRoleBinding kube-devops-watch (subject old/kube-devops-watch)");
    expect(r.stderr).toContain("left over from an install in namespace old, which no longer exists");
  });

  test("check -n fresh passes Other installs, naming them", async () => {
    const r = await run(["check", "-n", "fresh", "--preflight"]);
    expect(r.stdout).toMatch(/ {2}Other installs \.+ OK \(only leftovers of one in old, which no longer exists\)/);
    expect(r.stdout).toContain("ValidatingWebhookConfiguration kube-devops-webhook (service old/kube-devops-webhook): fresh's manifests take them over");
    expect(r.code).toBe(0);
  });

  test("once old exists again, it is an install: refused", async () => {
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "old" } } as never);
    const r = await run(["deploy", "generate-all", "--namespace", "fresh", "--create-namespace"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("kube-devops is already installed in namespace old");
  });
});
