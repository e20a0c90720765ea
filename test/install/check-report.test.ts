/**
 * `check`'s report, from literal lines: the summary (counts, exit code, problems, the one hint)
 * and both renderings of it — the text's dot-leader lines and hints, and the -o json|yaml document
 * that is the same report.
 */
import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import type { AccessResult } from "../../lib/cli/access-review.ts";
import { buildCheckReport, installLine, permissionLines, summarizeCheck, type CheckLine } from "../../lib/cli/check-report.ts";
import { renderCheckDocument, renderCheckText } from "../../lib/cli/render-check.ts";

const ok = (name: string, message = ""): CheckLine => ({ section: "connectivity", name, status: "OK", message, failing: false });
const access = (component: AccessResult["component"], verb: string, resource: string, allowed: boolean, namespace?: string): AccessResult => ({ component, verb, group: "", resource, ...(namespace ? { namespace } : {}), usedBy: "test", allowed, reason: undefined });
const GRANT = "kube-devops check --cli-rbac-for alice | kubectl apply -f -";

describe("summarizeCheck", () => {
  test("WARN and UNKNOWN pass; counts are per status", () => {
    const lines = [ok("Kubeconfig"), installLine({ label: "Leader watch", component: "watch", status: "WARN", detail: "released, no leader", hint: "logs" }), installLine({ label: "DevOpsPolicies", status: "UNKNOWN", detail: "not allowed" })];
    const s = summarizeCheck({ lines, namespace: "kd", components: ["watch"] });
    expect(s).toEqual({ counts: { OK: 1, WARN: 1, FAIL: 0, UNKNOWN: 1, CONFLICT: 0, DENIED: 0 }, exitCode: 0, result: "passed", problems: [] });
  });

  test("a FAIL of a probe only the CLI needs does not fail a component's check; an install FAIL does", () => {
    const probe: CheckLine = { section: "connectivity", name: "List pods permission", status: "FAIL", message: "forbidden; only the CLI needs it", failing: false };
    expect(summarizeCheck({ lines: [probe], namespace: "kd", components: ["webhook"] }).exitCode).toBe(0);
    const deployment = installLine({ label: "Deployment webhook", component: "webhook", status: "FAIL", detail: "not installed in kd", hint: "apply" });
    const s = summarizeCheck({ lines: [probe, deployment], namespace: "kd", components: ["webhook"] });
    expect(s).toMatchObject({ exitCode: 1, result: "failed", problems: ["the install in kd does not work (Deployment webhook)"], hint: "see the FAIL lines above" });
    expect(summarizeCheck({ lines: [{ ...probe, failing: true }], namespace: "kd", components: ["cli"] })).toMatchObject({ exitCode: 1, problems: ["cannot list pods"], hint: "apply the CLI grant above, then run check again" });
  });

  test("a conflict and denials: problems in the text's order, the identity hint", () => {
    const conflict: CheckLine = { section: "connectivity", name: "Other installs", status: "CONFLICT", message: "kube-devops is installed in team-a", failing: true };
    const perms = permissionLines([access("watch", "list", "pods", true), access("watch", "get", "leases", false, "kd")], undefined, "kd", GRANT);
    const s = summarizeCheck({ lines: [conflict, ...perms], namespace: "kd", components: ["watch"] });
    expect(s.problems).toEqual(["kube-devops is installed in namespace team-a, not kd", "1 of 2 permissions denied"]);
    expect(s.hint).toBe("run kube-devops check as the identity the components use (e.g. --kubeconfig of their ServiceAccount)");
    expect(s.counts).toMatchObject({ CONFLICT: 1, DENIED: 1 });
  });
});

describe("permissionLines", () => {
  test("one line per component, each denial with its kubectl auth can-i; the CLI's hint is its grant", () => {
    const [cli, watch] = permissionLines([access("cli", "list", "nodes", false), access("watch", "get", "leases", false, "kd"), access("watch", "list", "pods", true)], undefined, "kd", GRANT);
    expect(cli).toMatchObject({ name: "Permissions cli", status: "DENIED", message: "1 of 1: list nodes", hint: `a cluster admin grants the CLI's reads: ${GRANT}`, failing: true });
    expect(watch?.denials).toEqual([{ verb: "get", resource: "leases", namespace: "kd", usedBy: "test", canI: "kubectl auth can-i get leases -n kd" }]);
    expect(watch?.hint).toStartWith("these are the permissions of the identity running check");
    expect(permissionLines([access("webhook", "get", "secrets", true)], undefined, "kd", GRANT)).toEqual([{ section: "permissions", name: "Permissions webhook", component: "webhook", checked: 1, status: "OK", message: "1 granted", failing: false }]);
  });
});

const report = buildCheckReport(
  {
    binaryVersion: "1.2.3",
    namespace: "kd",
    context: "ctx",
    server: "https://127.0.0.1:6443",
    cluster: { version: "1.32", gitVersion: "v1.32.0" },
    installChecked: true,
    identity: "alice",
    cliGrant: { clusterRole: "kube-devops-cli", command: GRANT },
    lines: [
      ok("Kubeconfig"),
      ok("Cluster connection", "v1.32"),
      installLine({ label: "Webhook endpoints", component: "webhook", status: "OK", detail: "2 ready endpoints", hint: "never shown under OK" }),
      installLine({ label: "Leader watch", component: "watch", status: "WARN", detail: "released, no leader", hint: "kubectl -n kd logs deployment/kube-devops-watch" }),
      ...permissionLines([access("cli", "list", "nodes", false), access("watch", "get", "leases", false, "kd"), access("reconcile", "get", "leases", false, "kd")], undefined, "kd", GRANT),
    ],
  },
  { components: ["cli", "watch", "reconcile"] },
);

describe("renderCheckText", () => {
  test("the dot-leader lines, a hint under what is not OK, the components' hint once, the CLI's grant", () => {
    const text = renderCheckText(report);
    expect(text).toStartWith("Running cluster connectivity checks...\n\n  Kubeconfig .................. OK\n  Cluster connection .......... OK (v1.32)\n\n  Kubernetes version: 1.32 (v1.32.0, context ctx)\n\n");
    expect(text).toContain("Install in kd (this binary is v1.2.3):\n  Webhook endpoints ........... OK (2 ready endpoints)\n  Leader watch ................ WARN (released, no leader)\n    hint: kubectl -n kd logs deployment/kube-devops-watch\n\n");
    expect(text).toContain("  Permissions watch ........... DENIED (1 of 1: get leases)\n  Permissions reconcile ....... DENIED (1 of 1: get leases)\n    hint: these are the permissions");
    expect(text.match(/hint: these are/g)).toHaveLength(1);
    expect(text).toContain(`bound to the identity that runs it (alice).\n  A cluster admin grants them with:\n    ${GRANT}\n`);
    expect(text).not.toContain("All checks completed.");
    expect(text).not.toContain("kubectl auth can-i");
  });

  test("--verbose adds the table and a can-i line per denial; a pass ends with All checks completed.", () => {
    const verbose = renderCheckText({ ...report, permissions: [{ component: "watch", verb: "get", resource: "leases", namespace: "kd", allowed: false }] });
    expect(verbose).toMatch(/COMPONENT\s+VERB\s+RESOURCE\s+NAMESPACE\s+NAME\s+RESULT\nwatch\s+get\s+leases\s+kd\s+DENIED\n/);
    expect(verbose).toContain("  DENIED watch: kubectl auth can-i get leases -n kd — needed by test\n");
    const passed = buildCheckReport({ binaryVersion: "1", namespace: "kd", cluster: { version: "1.32", gitVersion: "v1.32.0" }, installChecked: false, lines: [ok("Kubeconfig")] }, { components: ["cli"] });
    expect(renderCheckText(passed)).toEndWith("\nAll checks completed.\n");
    expect(renderCheckText(passed)).not.toContain("Install in");
  });

  test("an unreachable cluster: the reference's Error/Hint block, nothing after it", () => {
    const down = buildCheckReport(
      { binaryVersion: "1", namespace: "kd", installChecked: false, lines: [ok("Kubeconfig"), { section: "connectivity", name: "Cluster connection", status: "FAIL", message: "connect ECONNREFUSED", hint: "Is the cluster running? Check with: kubectl cluster-info", failing: true }] },
      { components: ["cli"], unreachable: { problem: "cannot reach the cluster", hint: "Is the cluster running?" } },
    );
    expect(renderCheckText(down)).toEndWith("  Cluster connection .......... FAIL\n\n  Error: connect ECONNREFUSED\n  Hint:  Is the cluster running? Check with: kubectl cluster-info\n\n");
    expect(down.summary).toMatchObject({ exitCode: 1, problems: ["cannot reach the cluster"], counts: { OK: 1, FAIL: 1 } });
  });
});

describe("renderCheckDocument", () => {
  test("json and yaml are the report itself", () => {
    const json = JSON.parse(renderCheckDocument(report, "json"));
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    expect(json).toMatchObject({ apiVersion: "devops.stochastic.io/v1", kind: "CheckReport", summary: { exitCode: 1, result: "failed", counts: { OK: 3, WARN: 1, DENIED: 3 } } });
    expect(json.lines[3]).toEqual({ section: "install", name: "Leader watch", component: "watch", status: "WARN", message: "released, no leader", hint: "kubectl -n kd logs deployment/kube-devops-watch", failing: false });
    expect(json.lines[2].hint).toBeUndefined();
    expect(parse(renderCheckDocument(report, "yaml"))).toEqual(json);
  });
});

describe("installLine", () => {
  const refused = { verb: "get", group: "apps", resource: "deployments", name: "kube-devops-watch", namespace: "kd" };
  const grant = { covers: (r: { resource: string }) => r.resource === "deployments", command: GRANT };
  test("an UNKNOWN line whose refused read the CLI's role holds points at that role after its can-i hint", () => {
    const l = installLine({ label: "Deployment watch", status: "UNKNOWN", detail: "not allowed to get deployments/kube-devops-watch in kd", hint: "kubectl auth can-i get deployments.apps/kube-devops-watch -n kd", refused }, grant);
    expect(l.hint).toBe(`kubectl auth can-i get deployments.apps/kube-devops-watch -n kd; the kube-devops-cli role grants this read (an identity bound to an older one, or to none, lacks it): a cluster admin applies ${GRANT}`);
  });
  test("a read the role does not hold keeps only its can-i hint; an OK line prints no hint", () => {
    const secret = { verb: "get", group: "", resource: "secrets", name: "tls", namespace: "kd" };
    expect(installLine({ label: "Webhook certificate", status: "UNKNOWN", detail: "not allowed", hint: "kubectl auth can-i get secrets/tls -n kd", refused: secret }, grant).hint).toBe("kubectl auth can-i get secrets/tls -n kd");
    expect(installLine({ label: "Deployment watch", status: "OK", detail: "Available", hint: "x", refused }, grant).hint).toBeUndefined();
  });
});
