/**
 * PolicyReports (issue 12): `analyze -o policyreport` output validates against the
 * wgpolicyk8s.io/v1alpha2 CRD schema and applies to the API emulator with the real
 * kubectl, with nothing pruned; the pure builder bounds results and keeps failures only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { buildPolicyReports, type ReportFinding } from "../../lib/reports/policy-report.ts";
import { startEmulator } from "../kube/emulator.ts";
import { runBinaryAsync, ROOT } from "../support/binary.ts";
import { POLICY_REPORT_CRD } from "./wgpolicyk8s-crd.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-polr-"));
const kubeconfig = join(dir, "kubeconfig");

async function kubectl(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), ...args], { stdin: new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
  await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", POLICY_REPORT_CRD as never);
});
afterAll(async () => {
  await emu.stop();
});

describe("analyze -o policyreport", () => {
  test("every report validates against the CRD schema and applies with kubectl, unpruned", async () => {
    const { code, stdout } = await runBinaryAsync(["analyze", "-f", join(ROOT, "examples", "cluster-snapshot.yaml"), "-o", "policyreport"]);
    expect(code).toBe(0);
    const reports = parseAllDocuments(stdout).map((d) => d.toJS() as { metadata: { namespace: string; name: string }; results: unknown[] });
    expect(reports.length).toBeGreaterThan(1);
    for (const ns of new Set(reports.map((r) => r.metadata.namespace))) {
      await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }).catch(() => undefined);
    }
    const applied = await kubectl(["apply", "--validate=false", "-f", "-"], stdout);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    for (const r of reports) {
      const stored = emu.store.get("policyreports.wgpolicyk8s.io", r.metadata.namespace, r.metadata.name) as unknown as Record<string, unknown>;
      expect(stored.results).toEqual(r.results);
      expect(stored.summary).toEqual((r as unknown as Record<string, unknown>).summary);
    }
    const listed = await kubectl(["get", "policyreports", "-A"], "");
    expect(listed.stdout).toContain("FAIL");
  });

  test("the emulator enforces the schema (control: an invalid severity is rejected)", async () => {
    const bad = { apiVersion: "wgpolicyk8s.io/v1alpha2", kind: "PolicyReport", metadata: { name: "bad", namespace: "default" }, results: [{ policy: "p", severity: "critical", result: "fail" }] };
    const res = await kubectl(["apply", "--validate=false", "-f", "-"], JSON.stringify(bad));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("severity");
  });
});

describe("buildPolicyReports()", () => {
  const finding = (i: number, extra: Partial<ReportFinding> = {}): ReportFinding => ({
    check: "latest_tag",
    severity: "critical",
    namespace: "shop",
    container: `c${String(i).padStart(3, "0")}`,
    message: "container uses :latest tag",
    exempt: false,
    resource: { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop" },
    ...extra,
  });

  test("failures only by default; exempt findings become skip results when asked", () => {
    const findings = [finding(1), finding(2, { exempt: true, exemptReason: "vendor image" })];
    const [only] = buildPolicyReports(findings, { format: "wgpolicyk8s", policy: "p", now: 0 });
    expect((only as { results: unknown[] }).results).toHaveLength(1);
    const [all] = buildPolicyReports(findings, { format: "wgpolicyk8s", policy: "p", now: 0, includeSkipped: true }) as Array<{ summary: Record<string, number>; results: Array<Record<string, unknown>> }>;
    expect(all?.summary).toEqual({ pass: 0, fail: 1, warn: 0, error: 0, skip: 1 });
    expect(all?.results[1]).toMatchObject({ result: "skip", scored: false, properties: { exemptReason: "vendor image" } });
  });

  test("critical maps to high for wgpolicyk8s (its enum) but stays critical in OpenReports", () => {
    const [wg] = buildPolicyReports([finding(1)], { format: "wgpolicyk8s", policy: "p", now: 0 }) as Array<{ results: Array<Record<string, unknown>> }>;
    expect(wg?.results[0]).toMatchObject({ severity: "high", properties: { severity: "critical" } });
    const [or] = buildPolicyReports([finding(1)], { format: "openreports", policy: "p", now: 0 }) as Array<Record<string, unknown> & { results: Array<Record<string, unknown>> }>;
    expect(or?.apiVersion).toBe("openreports.io/v1alpha1");
    expect(or?.results[0]?.severity).toBe("critical");
  });

  test("results are bounded per report; the summary counts all and an annotation says how many were cut", () => {
    const many = Array.from({ length: 30 }, (_, i) => finding(i));
    const [r] = buildPolicyReports(many, { format: "wgpolicyk8s", policy: "p", now: 0, maxResults: 10 }) as Array<{ metadata: { annotations: Record<string, string> }; summary: { fail: number }; results: unknown[] }>;
    expect(r?.results).toHaveLength(10);
    expect(r?.summary.fail).toBe(30);
    expect(r?.metadata.annotations["devops.stochastic.io/results-truncated"]).toBe("20");
  });
});
