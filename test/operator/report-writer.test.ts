/** Pure parts of the report writer: names, the report object, the change fingerprint. */
import { describe, expect, test } from "bun:test";
import type { PolicyEvaluation } from "../../lib/operator/evaluate-policy.ts";
import { buildOperatorReport, reportFingerprint, reportName } from "../../lib/operator/report-writer.ts";
import type { PodLike } from "../../lib/k8s-objects.ts";

const evaluation = (findings: PolicyEvaluation["findings"]): PolicyEvaluation => ({ score: 95, classification: "Healthy", healthy: true, violations: findings.length, totalPods: 1, findings, bySeverity: { critical: 0, high: findings.length, medium: 0, low: 0 } as PolicyEvaluation["bySeverity"], message: "" });
const finding = { check: "latest_tag", severity: "high", pod: "web", namespace: "shop", container: "app", message: "container 'app' uses :latest tag", exempt: false, units: 1 } as PolicyEvaluation["findings"][number];
const pods = [{ metadata: { name: "web", namespace: "shop", uid: "pod-uid" } }] as unknown as PodLike[];
const policy = { name: "team", namespace: "shop", uid: "pol-uid" };

describe("reportName()", () => {
  test("kube-devops-<policy>, hash-suffixed beyond 253 characters", () => {
    expect(reportName("team")).toBe("kube-devops-team");
    const long = reportName("a".repeat(260));
    expect(long.length).toBeLessThanOrEqual(253);
    expect(long).toMatch(/^kube-devops-a+-[0-9a-f]{10}$/);
    expect(reportName(`${"a".repeat(259)}b`)).not.toBe(long);
  });
});

describe("buildOperatorReport()", () => {
  test("one result per finding on the Pod, owned by the policy", () => {
    const r = buildOperatorReport(policy, pods, evaluation([finding]), "wgpolicyk8s", 1_000_000);
    expect(r.metadata).toMatchObject({ name: "kube-devops-team", namespace: "shop", ownerReferences: [{ kind: "DevOpsPolicy", uid: "pol-uid", controller: true, blockOwnerDeletion: false }] });
    expect(r.results?.[0]).toMatchObject({ policy: "team", rule: "latest_tag", resources: [{ kind: "Pod", name: "web", uid: "pod-uid" }] });
  });

  test("no findings: a zero summary and no results (openreports keeps its source)", () => {
    const r = buildOperatorReport(policy, pods, evaluation([]), "openreports", 0);
    expect(r).toMatchObject({ apiVersion: "openreports.io/v1alpha1", kind: "Report", source: "kube-devops", summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 }, results: [] });
  });

  test("the fingerprint ignores timestamps but sees a changed result", () => {
    const a = buildOperatorReport(policy, pods, evaluation([finding]), "wgpolicyk8s", 1_000_000);
    const later = buildOperatorReport(policy, pods, evaluation([finding]), "wgpolicyk8s", 9_000_000);
    const other = buildOperatorReport(policy, pods, evaluation([{ ...finding, container: "sidecar" }]), "wgpolicyk8s", 1_000_000);
    expect(reportFingerprint(later)).toBe(reportFingerprint(a));
    expect(reportFingerprint(other)).not.toBe(reportFingerprint(a));
  });
});
