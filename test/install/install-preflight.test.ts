/**
 * The preflight against a second install (decision 0035), on the compiled binary against the API
 * emulator where kube-devops is installed in team-a: `deploy generate-all|generate-rbac --namespace
 * team-b` with --kubeconfig refuse (exit 2, nothing on stdout for `| kubectl apply -f -`), team-a's
 * own manifests and offline generation pass, and `check -n team-b` fails naming both namespaces.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderDeployManifests } from "../../gen/manifests.ts";
import { parseDeployArgs } from "../../gen/deploy-args.ts";
import { claimsOf } from "../../lib/install/install-preflight.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { ensureBinary, ROOT } from "../support/binary.ts";

let emu: Emulator;
let dir: string;
let kubeconfig: string;

const manifestsFor = (namespace: string) => renderDeployManifests(parseDeployArgs({ namespace }, "0.0.0-test"), { createNamespace: false });

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([ensureBinary(), ...args], { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "kd-install-preflight-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  // team-a's install, as `deploy generate-all --namespace team-a | kubectl apply -f -` leaves it (cluster-scoped part);
  // its namespace exists (an install whose namespace is gone left only leftovers: install-namespace.test.ts), as does team-b
  for (const name of ["team-a", "team-b"]) await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } } as never);
  for (const obj of manifestsFor("team-a")) {
    if (obj.kind === "ClusterRoleBinding") await emu.store.create("clusterrolebindings.rbac.authorization.k8s.io", obj as never);
    if (obj.kind === "ValidatingWebhookConfiguration") await emu.store.create("validatingwebhookconfigurations.admissionregistration.k8s.io", obj as never);
  }
  ensureBinary();
}, 60_000);
afterAll(() => emu?.stop());

describe("claimsOf", () => {
  test("the ClusterRoleBindings and the webhook configuration of the generated manifests", () => {
    expect(claimsOf(manifestsFor("team-b"))).toEqual({
      bindings: ["kube-devops-watch", "kube-devops-reconcile", "kube-devops-webhook", "kube-devops-metrics-reader"],
      webhookConfiguration: "kube-devops-webhook",
    });
    expect(claimsOf([{ kind: "Role", metadata: { name: "x" } }])).toEqual({ bindings: [] });
  });
});

describe("deploy generate-* with a cluster named", () => {
  test("generate-all --namespace team-b refuses with exit 2 and prints nothing to apply", async () => {
    const r = await run(["--kubeconfig", kubeconfig, "deploy", "generate-all", "--namespace", "team-b"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("kube-devops is already installed in namespace team-a: installing it in team-b would take over ClusterRoleBinding kube-devops-watch (subject team-a/kube-devops-watch)");
    expect(r.stderr).toContain("ValidatingWebhookConfiguration kube-devops-webhook (service team-a/kube-devops-webhook)");
    expect(r.stderr).toContain("kube-devops runs once per cluster");
  });

  test("generate-rbac --namespace team-b refuses too", async () => {
    const r = await run(["--kubeconfig", kubeconfig, "deploy", "generate-rbac", "--namespace", "team-b"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("ClusterRoleBinding kube-devops-reconcile (subject team-a/kube-devops-reconcile)");
  });

  test("team-a's own manifests (an upgrade) pass; without --kubeconfig or --context generating stays offline", async () => {
    const upgrade = await run(["--kubeconfig", kubeconfig, "deploy", "generate-all", "--namespace", "team-a"]);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toContain("kind: ClusterRoleBinding");
    const offline = await run(["deploy", "generate-all", "--namespace", "team-b"], { KUBECONFIG: kubeconfig });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain("namespace: team-b");
  });

  test("an identity that may not read ClusterRoleBindings is warned, not refused", async () => {
    const saved = emu.hooks.authorize;
    emu.hooks.authorize = (a) => ({ allowed: a.resource !== "clusterrolebindings", reason: "denied by test" });
    try {
      const r = await run(["--kubeconfig", kubeconfig, "deploy", "generate-rbac", "--namespace", "team-b"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("cannot tell whether kube-devops is installed in another namespace");
      expect(r.stderr).toContain("clusterrolebindings/kube-devops-watch");
    } finally {
      emu.hooks.authorize = saved;
    }
  });
});

describe("check", () => {
  test("-n team-b fails on the install in team-a; -n team-a passes that line", async () => {
    const b = await run(["--kubeconfig", kubeconfig, "check", "-n", "team-b", "--preflight"]);
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(/ {2}Other installs \.+ CONFLICT \(kube-devops is installed in team-a\)/);
    expect(b.stdout).toContain("ClusterRoleBinding kube-devops-watch (subject team-a/kube-devops-watch)");
    expect(b.stderr).toContain("kube-devops is installed in namespace team-a, not team-b");
    // every read is allowed here: a conflict is not fixed by a CLI grant or another identity
    expect(b.stdout).not.toContain("--cli-rbac-for");
    expect(b.stderr).toContain("see the Other installs line above");
    // a plain `check` defaults -n to kube-devops: the likeliest cause is the namespace not given
    expect(b.stdout).toContain("if the install in team-a is the one to check, run kube-devops check -n team-a");
    const a = await run(["--kubeconfig", kubeconfig, "check", "-n", "team-a", "--preflight"]);
    expect(a.stdout).toMatch(/ {2}Other installs \.+ OK \(none in another namespace\)/);
    expect(a.code).toBe(0);
  });

  test("-n team-b's install lines do not hint at installing there: that takes over team-a's cluster-scoped objects", async () => {
    const b = await run(["check", "-n", "team-b", "--component", "watch"], { KUBECONFIG: kubeconfig });
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(/ {2}Deployment watch \.+ FAIL \(not installed in team-b\)\n {4}hint: kube-devops is installed in team-a: installing in team-b takes over its ClusterRoleBindings and webhook configuration \(see the Other installs line\)\n/);
    // with KUBECONFIG alone generate-all is offline and would not refuse: the hint must not give it
    expect(b.stdout).not.toContain("generate-all -n team-b");
  });

  test("--component cli installs nothing in -n: another namespace's install is no failure of the CLI's check", async () => {
    const cli = await run(["--kubeconfig", kubeconfig, "check", "--component", "cli", "-n", "team-b"]);
    expect(cli.stdout).not.toContain("CONFLICT");
    expect(cli.code).toBe(0);
  });
});
