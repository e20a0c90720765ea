/**
 * `check --component cli` as an identity with no RBAC prints a remedy that works: the exact
 * `kube-devops check --cli-rbac-for <who> | kubectl apply -f -` for the identity the API server
 * reports (SelfSubjectReview). Applied with the real kubectl as an admin, check then passes.
 * `deploy generate-rbac`, the old hint, binds only the components' ServiceAccounts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { componentName } from "../../gen/options.ts";
import { METRICS_READER } from "../../gen/rbac.ts";
import { cliGrantCovers, renderCliGrant, shellWord, subjectOf } from "../../lib/cli/cli-grant.ts";
import { COMPONENTS } from "../../lib/rbac/permissions.ts";
import { startEmulator } from "../kube/emulator.ts";
import { ensureBinary, runBinaryAsync } from "../support/binary.ts";
import { renderKubeconfig } from "../support/kubeconfig.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
/** The names check reads by name, as cmd/check.ts passes them. */
const names = { deployments: COMPONENTS.map(componentName), bindings: [...COMPONENTS.map(componentName), METRICS_READER] };
let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-cli-grant-"));
const runner = join(dir, "runner.kubeconfig");
const admin = join(dir, "admin.kubeconfig");

beforeAll(async () => {
  emu = await startEmulator();
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "ci" } });
  await emu.store.create("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "runner", namespace: "ci" } } as never, { namespace: "ci" });
  writeFileSync(runner, renderKubeconfig([{ name: "runner", server: emu.url, caPem: emu.caPem, user: { token: emu.serviceAccountToken("ci", "runner") } }]));
  emu.writeKubeconfig(admin);
});

afterAll(async () => {
  await emu.stop();
});

describe("check --component cli without RBAC", () => {
  test("prints a grant for the identity found, which kubectl applies, and check then passes", async () => {
    const before = await runBinaryAsync(["check", "--component", "cli", "--verbose", "--kubeconfig", runner]);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/cli\s+list\s+pods\s+\*\s+DENIED/);
    expect(before.stdout).not.toContain("deploy generate-rbac");
    const line = before.stdout.split("\n").find((l) => l.includes("--cli-rbac-for"))?.trim();
    expect(line).toBe("kube-devops check --cli-rbac-for system:serviceaccount:ci:runner | kubectl apply -f -");

    // A cluster admin runs the printed line as it is (kube-devops is this build; kubectl the real one).
    const proc = Bun.spawn(["bash", "-c", `set -o pipefail; kube-devops() { "$KD" "$@"; }; ${line}`], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: admin, KD: ensureBinary() },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [applied, errors, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, errors }).toEqual({ code: 0, errors: "" });
    expect(applied).toContain("clusterrole.rbac.authorization.k8s.io/kube-devops-cli created");

    const after = await runBinaryAsync(["check", "--component", "cli", "--kubeconfig", runner]);
    expect(after.stdout).toContain("All checks completed.");
    expect(after.code).toBe(0);
  }, 60_000);

  test("a component's denial still points at generate-rbac", async () => {
    const r = await runBinaryAsync(["check", "--component", "webhook", "--kubeconfig", runner]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("`kube-devops deploy generate-rbac -n kube-devops | kubectl apply -f -` grants the components");
    expect(r.stdout).not.toContain("--cli-rbac-for");
  });
});

describe("the CLI grant", () => {
  test("-o json prints the same grant as one v1 List (kubectl applies either); an unknown -o is a usage error", async () => {
    const json = await runBinaryAsync(["check", "--cli-rbac-for", "alice", "-o", "json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ apiVersion: "v1", kind: "List", items: renderCliGrant({ kind: "User", name: "alice" }, names) });
    const wide = await runBinaryAsync(["check", "--cli-rbac-for", "alice", "-o", "wide"]);
    expect({ code: wide.code, stdout: wide.stdout }).toEqual({ code: 2, stdout: "" });
  });

  test("a ServiceAccount username binds the ServiceAccount; anything else is a User", () => {
    expect(subjectOf("system:serviceaccount:ci:runner")).toEqual({ kind: "ServiceAccount", namespace: "ci", name: "runner" });
    expect(subjectOf("oidc:alice@example.com")).toEqual({ kind: "User", name: "oidc:alice@example.com" });
    expect(() => subjectOf(" ")).toThrow("--cli-rbac-for needs a username");
  });

  test("the role holds the CLI's reads and check's install reads, read-only, by name where check reads by name, and no Secret", () => {
    const [role, binding] = renderCliGrant({ kind: "User", name: "alice" }, names) as [{ rules: Array<{ apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }> }, { metadata: { name: string }; subjects: unknown[] }];
    expect(role.rules.flatMap((r) => r.verbs).every((v) => v === "get" || v === "list")).toBe(true);
    expect(role.rules).toContainEqual({ apiGroups: [""], resources: ["pods", "nodes"], verbs: ["list"] });
    expect(role.rules).toContainEqual({ apiGroups: ["devops.stochastic.io"], resources: ["devopspolicies"], verbs: ["get"] });
    expect(role.rules).toContainEqual({ apiGroups: ["devops.stochastic.io"], resources: ["devopspolicies"], verbs: ["list"] });
    expect(role.rules).toContainEqual({ apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["kube-devops-watch", "kube-devops-reconcile", "kube-devops-webhook"], verbs: ["get"] });
    expect(role.rules).toContainEqual({ apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], resourceNames: ["kube-devops-webhook"], verbs: ["get"] });
    expect(role.rules).toContainEqual({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterrolebindings"], resourceNames: names.bindings, verbs: ["get"] });
    // under --cert-mode cert-manager check reads the webhook's Certificate, by name
    expect(role.rules).toContainEqual({ apiGroups: ["cert-manager.io"], resources: ["certificates"], resourceNames: ["kube-devops-webhook"], verbs: ["get"] });
    // the webhook's TLS Secret holds its CA key: a read-only CLI role does not read Secrets
    expect(role.rules.flatMap((r) => r.resources)).not.toContain("secrets");
    expect(binding.metadata.name).toBe("kube-devops-cli:alice");
    expect(binding.subjects).toEqual([{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }]);
  });

  test("cliGrantCovers: the reads the role holds, by name where it holds them by name; never a Secret", () => {
    expect(cliGrantCovers(names, { verb: "get", group: "apps", resource: "deployments", name: "kube-devops-watch" })).toBe(true);
    expect(cliGrantCovers(names, { verb: "get", group: "apps", resource: "deployments", name: "someone-else" })).toBe(false);
    expect(cliGrantCovers(names, { verb: "list", group: "devops.stochastic.io", resource: "devopspolicies" })).toBe(true);
    expect(cliGrantCovers(names, { verb: "get", group: "", resource: "secrets", name: "kube-devops-webhook-tls" })).toBe(false);
  });

  test("usernames a shell would split are quoted", () => {
    expect(shellWord("system:serviceaccount:ci:runner")).toBe("system:serviceaccount:ci:runner");
    expect(shellWord("Jane Doe's")).toBe(`'Jane Doe'\\''s'`);
  });
});
