/**
 * The operator's pure planning: evaluation, status diffing, finalizer patches,
 * audit decisions and retention, metric series removal.
 */
import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import * as v from "valibot";
import { buildAuditResult, lastAuditOf, planRetention, resultFingerprint, shouldRecordAudit } from "../../lib/operator/audit.ts";
import { evaluatePolicy } from "../../lib/operator/evaluate-policy.ts";
import { FINALIZER, planFinalizer, removeFinalizerPatch } from "../../lib/operator/finalizer.ts";
import { createOperatorMetrics } from "../../lib/operator/metrics.ts";
import { EVENT_MESSAGE_LIMIT } from "../../lib/event-object.ts";
import { desiredStatus, enforcedEvent, statusMergePatch, statusNeedsWrite, unresolvedEvent } from "../../lib/operator/status.ts";
import { DevOpsPolicyStatusSchema } from "../../lib/policy/schema.ts";

const NOW = Date.parse("2026-11-25T12:00:00Z");

function pod(name: string, namespace: string, containers: Record<string, unknown>[], status: Record<string, unknown> = { phase: "Running" }) {
  return { metadata: { name, namespace, creationTimestamp: "2026-11-25T11:00:00Z" }, spec: { containers }, status };
}

const good = { name: "app", image: "nginx:1.27", livenessProbe: {}, readinessProbe: {} };
const bad = { name: "app", image: "nginx:latest" };

describe("evaluatePolicy", () => {
  test("the reference's worked numbers: 1 good + 1 bad pod with latest, liveness, readiness", () => {
    const e = evaluatePolicy({ forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true }, [pod("a", "prod", [good]), pod("b", "prod", [bad])], NOW);
    // raw = 5 + 3 + 2 = 10 over 2 pods → 5 → score 95
    expect([e.score, e.violations, e.totalPods, e.classification, e.healthy]).toEqual([95, 3, 2, "Healthy", true]);
    expect(e.message).toBe("3 violations across 2 pods — Healthy (95)");
    expect(e.bySeverity).toEqual({ critical: 0, high: 1, medium: 1, low: 1 });
  });

  test("an exempted pod counts only when exemptions are off (reconcile --no-exemptions)", () => {
    const exempt = { ...pod("b", "prod", [bad]), metadata: { name: "b", namespace: "prod", annotations: { "devops.stochastic.io/exempt": "true" } } };
    expect(evaluatePolicy({ forbidLatestTag: true }, [exempt], NOW).violations).toBe(0);
    expect(evaluatePolicy({ forbidLatestTag: true }, [exempt], NOW, false).violations).toBe(1);
  });

  test("system-namespace pods are not counted; no pods scores 100", () => {
    const e = evaluatePolicy({ forbidLatestTag: true }, [pod("x", "kube-system", [bad])], NOW);
    expect([e.score, e.totalPods, e.violations]).toEqual([100, 0, 0]);
  });

  test("severityOverrides change the by-severity counts, not the score", () => {
    const spec = { forbidLatestTag: true, severityOverrides: { latestTag: "low" as const } };
    const e = evaluatePolicy(spec, [pod("b", "prod", [bad])], NOW);
    expect(e.bySeverity.low).toBe(1);
    expect(e.score).toBe(evaluatePolicy({ forbidLatestTag: true }, [pod("b", "prod", [bad])], NOW).score);
  });
});

describe("status", () => {
  const e = evaluatePolicy({ forbidLatestTag: true }, [pod("b", "prod", [bad])], NOW);
  const first = desiredStatus(undefined, { generation: 1, now: new Date(NOW), result: { evaluation: e } });

  test("carries the reference fields, classification and a Ready condition", () => {
    expect(first).toMatchObject({ observedGeneration: 1, healthy: true, healthScore: 95, violations: 1, classification: "Healthy", message: e.message });
    expect(first.conditions).toEqual([{ type: "Ready", status: "True", reason: "Evaluated", message: e.message, observedGeneration: 1, lastTransitionTime: new Date(NOW).toISOString() }]);
  });

  test("an unchanged result 30 s later needs no write; a changed one does; the heartbeat does", () => {
    const later = new Date(NOW + 30_000);
    const same = desiredStatus(first, { generation: 1, now: later, result: { evaluation: e } });
    expect(same.conditions?.[0]?.lastTransitionTime).toBe(first.conditions?.[0]?.lastTransitionTime);
    expect(statusNeedsWrite(first, same, later, 600_000)).toBe(false);
    expect(statusNeedsWrite(first, same, new Date(NOW + 600_000), 600_000)).toBe(true);
    const changed = desiredStatus(first, { generation: 2, now: later, result: { evaluation: e } });
    expect(statusNeedsWrite(first, changed, later, 600_000)).toBe(true);
    expect(statusNeedsWrite(undefined, first, later, 600_000)).toBe(true);
  });

  test("an error keeps the numbers and turns Ready False with a new transition time", () => {
    const failed = desiredStatus(first, { generation: 1, now: new Date(NOW + 1000), result: { error: "pods is forbidden" } });
    expect(failed.healthScore).toBe(95);
    expect(failed.conditions?.[0]).toMatchObject({ status: "False", reason: "EvaluationFailed", message: "pods is forbidden", lastTransitionTime: new Date(NOW + 1000).toISOString() });
  });

  test("status says the mode it evaluated in, for kubectl get dop's MODE column; a mode switch is a status change", () => {
    const audit = desiredStatus(undefined, { generation: 1, now: new Date(NOW), result: { evaluation: e }, mode: "audit" });
    expect(audit.enforcementMode).toBe("audit");
    const enforce = desiredStatus(audit, { generation: 2, now: new Date(NOW), result: { evaluation: e }, mode: "enforce", enforcement: { applied: 0, failed: 0, totalApplied: 0, workloads: [] } });
    expect(enforce.enforcementMode).toBe("enforce");
    expect(statusNeedsWrite(audit, enforce, new Date(NOW), 600_000)).toBe(true);
    // an invalid spec keeps the mode of the last evaluation
    expect(desiredStatus(enforce, { generation: 3, now: new Date(NOW), result: { error: "invalid spec" } }).enforcementMode).toBe("enforce");
  });

  test("switching enforce → audit nulls the remediation fields in the merge patch (W-R5)", () => {
    const enforced = desiredStatus(undefined, { generation: 1, now: new Date(NOW), result: { evaluation: e }, enforcement: { applied: 2, failed: 0, totalApplied: 2, workloads: ["deployment/prod/web"] } });
    expect(enforced.remediatedWorkloads).toEqual(["deployment/prod/web"]);
    const audit = desiredStatus(enforced, { generation: 2, now: new Date(NOW), result: { evaluation: e } });
    const patch = statusMergePatch(enforced, audit);
    expect(patch.status).toMatchObject({ remediationsApplied: null, remediationsFailed: null, remediatedWorkloads: null, observedGeneration: 2 });
  });
});

describe("the Enforced Event", () => {
  test("reports this cycle's patches, never the running total: nothing patched or failed, no Event", () => {
    const e = evaluatePolicy({ requireReadinessProbe: true }, [pod("a", "prod", [{ name: "w", image: "w:1" }])], NOW);
    // remediationsApplied keeps counting for status while an idle cycle says nothing
    const idle = { applied: 0, failed: 0, totalApplied: 2, workloads: ["deployment/prod/web"] };
    expect(desiredStatus(undefined, { generation: 1, now: new Date(NOW), result: { evaluation: e }, enforcement: idle }).remediationsApplied).toBe(2);
    expect(enforcedEvent(idle)).toBeUndefined();
    expect(enforcedEvent(undefined)).toBeUndefined();
    expect(enforcedEvent({ ...idle, applied: 1, totalApplied: 3 })).toEqual({ type: "Normal", reason: "Enforced", message: "Remediated 1 workload(s), 0 failed" });
    expect(enforcedEvent({ ...idle, failed: 1 })).toEqual({ type: "Warning", reason: "Enforced", message: "Remediated 0 workload(s), 1 failed" });
  });

  test("names each failed workload with its error, within the Event's bound, and says how many it left out", () => {
    const idle = { applied: 0, failed: 0, totalApplied: 0, workloads: [] };
    const one = enforcedEvent({ ...idle, applied: 1, failed: 1, failures: [{ workload: "deployment/prod/api", error: "admission webhook \"gate\" denied the request: frozen" }] });
    expect(one?.message).toBe('Remediated 1 workload(s), 1 failed; failed: deployment/prod/api: admission webhook "gate" denied the request: frozen');
    const failures = Array.from({ length: 12 }, (_, i) => ({ workload: `deployment/prod/w${i}`, error: `forbidden ${"x".repeat(500)}` }));
    const many = enforcedEvent({ ...idle, failed: 12, failures })?.message ?? "";
    expect(many.length).toBeLessThanOrEqual(EVENT_MESSAGE_LIMIT);
    expect(many).toContain("deployment/prod/w0: forbidden x");
    expect(many).toMatch(/ … and 1[01] more \(operator log: enforcement_remediation_failed\)$/);
  });
});

describe("unresolved in status (decision 0010)", () => {
  const e = evaluatePolicy({ requireReadinessProbe: true }, [pod("b", "prod", [{ name: "w", image: "w:1" }])], NOW);
  const item = (i: number, reason = "needs a readiness probe, port unknown") => ({ workload: `deployment/prod/w${i}`, container: "w", reason });
  const enforced = (unresolved: ReturnType<typeof item>[], previous?: Parameters<typeof desiredStatus>[0]) =>
    desiredStatus(previous, { generation: 1, now: new Date(NOW), result: { evaluation: e }, enforcement: { applied: 0, failed: 0, totalApplied: 0, workloads: [], unresolved } });

  test("lists what enforcement cannot fix, at most 20 items with reasons cut to the schema's bound, and counts them all", () => {
    expect(enforced([item(1)])).toMatchObject({ unresolved: [item(1)], unresolvedCount: 1 });
    const big = enforced(Array.from({ length: 45 }, (_, i) => item(i, `x${"y".repeat(400)}`)));
    expect(big.unresolved).toHaveLength(20);
    expect(big.unresolvedCount).toBe(45);
    expect(big.unresolved?.[0]?.reason).toHaveLength(256);
    expect(v.safeParse(DevOpsPolicyStatusSchema, big).success).toBe(true);
    // nothing left: no field at all, and a merge patch removes the old list
    const clean = enforced([], big);
    expect("unresolved" in clean || "unresolvedCount" in clean).toBe(false);
    expect(statusMergePatch(big, clean).status).toMatchObject({ unresolved: null, unresolvedCount: null });
  });

  test("one Warning Event when the list appears or changes, none while it stays the same or is empty", () => {
    const first = enforced([item(1), item(2)]);
    const event = unresolvedEvent(undefined, first);
    expect(event).toEqual({ type: "Warning", reason: "Unresolved", message: "Enforcement cannot remediate 2 item(s): deployment/prod/w1 container w: needs a readiness probe, port unknown; deployment/prod/w2 container w: needs a readiness probe, port unknown" });
    // the next requeues (and a restarted operator, which reads the stored status) say nothing
    expect(unresolvedEvent(first, enforced([item(1), item(2)], first))).toBeUndefined();
    expect(unresolvedEvent(first, enforced([item(2)], first))?.message).toBe("Enforcement cannot remediate 1 item(s): deployment/prod/w2 container w: needs a readiness probe, port unknown");
    expect(unresolvedEvent(first, enforced([], first))).toBeUndefined();
    const many = unresolvedEvent(undefined, enforced(Array.from({ length: 45 }, (_, i) => item(i, "r".repeat(200)))));
    expect(many?.message.length).toBeLessThanOrEqual(1024);
    expect(many?.message).toMatch(/ … and \d+ more \(status\.unresolved\)$/);
  });
});

describe("finalizer", () => {
  test("plans the four states: ours is released, never added", () => {
    expect(planFinalizer({})).toBe("reconcile");
    expect(planFinalizer({ finalizers: ["other"] })).toBe("reconcile");
    expect(planFinalizer({ finalizers: [FINALIZER] })).toBe("releaseThenReconcile");
    expect(planFinalizer({ finalizers: ["other", FINALIZER], deletionTimestamp: "t" })).toBe("cleanupThenRelease");
    expect(planFinalizer({ finalizers: ["other"], deletionTimestamp: "t" })).toBe("cleanup");
  });

  test("remove takes out exactly our item and leaves the others", () => {
    expect(removeFinalizerPatch({ finalizers: ["a", FINALIZER, "b"] })).toEqual([
      { op: "test", path: "/metadata/finalizers/1", value: FINALIZER },
      { op: "remove", path: "/metadata/finalizers/1" },
    ]);
    expect(removeFinalizerPatch({ finalizers: ["a"] })).toEqual([]);
  });
});

describe("audit results", () => {
  const e = evaluatePolicy({ forbidLatestTag: true }, [pod("b", "prod", [bad])], NOW);
  const hash = resultFingerprint(e);

  test("the fingerprint depends on the result, not on time", () => {
    expect(resultFingerprint(evaluatePolicy({ forbidLatestTag: true }, [pod("b", "prod", [bad])], NOW + 60_000))).toBe(hash);
    expect(resultFingerprint(evaluatePolicy({ forbidLatestTag: true }, [pod("b", "prod", [good])], NOW))).not.toBe(hash);
  });

  test("record on first, on change, and once per interval otherwise", () => {
    expect(shouldRecordAudit(undefined, hash, NOW, 3_600_000)).toBe(true);
    expect(shouldRecordAudit({ hash, at: NOW }, hash, NOW + 30_000, 3_600_000)).toBe(false);
    expect(shouldRecordAudit({ hash, at: NOW }, "other", NOW + 30_000, 3_600_000)).toBe(true);
    expect(shouldRecordAudit({ hash, at: NOW }, hash, NOW + 3_600_000, 3_600_000)).toBe(true);
  });

  test("the object is owned by its policy, labelled, generate-named and carries the reference spec", () => {
    const obj = buildAuditResult({ name: "team", namespace: "prod", uid: "u-1" }, e, new Date(NOW), hash);
    expect(obj.metadata).toMatchObject({ generateName: "team-", namespace: "prod", labels: { "devops.stochastic.io/policy": "team" } });
    expect(obj.metadata.ownerReferences).toEqual([{ apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", name: "team", uid: "u-1", blockOwnerDeletion: false }]);
    expect(obj.spec).toEqual({
      policyName: "team", timestamp: new Date(NOW).toISOString(), healthScore: 95, totalViolations: 1, totalPods: 1, classification: "Healthy",
      violations: [{ podName: "b", containerName: "app", violationType: "latest_tag", severity: "high", message: "container 'app' uses :latest tag" }],
    });
  });

  test("retention deletes the oldest beyond keep; ties order by name", () => {
    const items = [3, 1, 4, 1, 5].map((minute, i) => ({ metadata: { name: `p-${i}` }, spec: { timestamp: new Date(NOW + minute * 60_000).toISOString() } }));
    expect(planRetention(items, 3)).toEqual(["p-3", "p-1"]);
    expect(planRetention(items, 10)).toEqual([]);
  });

  test("the last audit is recovered from the newest stored result", () => {
    const items = [
      { metadata: { name: "a", annotations: { "devops.stochastic.io/result-hash": "h1" } }, spec: { timestamp: new Date(NOW).toISOString() } },
      { metadata: { name: "b", annotations: { "devops.stochastic.io/result-hash": "h2" } }, spec: { timestamp: new Date(NOW + 1).toISOString() } },
    ];
    expect(lastAuditOf(items)).toEqual({ hash: "h2", at: NOW + 1 });
    expect(lastAuditOf([])).toBeUndefined();
  });
});

describe("metrics", () => {
  test("every series of a deleted policy goes, by-severity included", async () => {
    const registry = new Registry();
    const metrics = createOperatorMetrics(registry);
    const e = evaluatePolicy({ forbidLatestTag: true }, [pod("b", "prod", [bad])], NOW);
    metrics.recordEvaluation("prod", "team", e, false);
    metrics.recordEvaluation("prod", "other", e, true);
    let text = await registry.metrics();
    expect(text).toContain('devopspolicy_violations_by_severity{severity="high",namespace="prod",policy="team"} 1');
    expect(text).toContain('devopspolicy_enforcement_mode{namespace="prod",policy="other"} 1');
    metrics.removePolicy("prod", "team");
    text = await registry.metrics();
    expect(text).not.toContain('policy="team"');
    expect(text).toContain('devopspolicy_health_score{namespace="prod",policy="other"} 95');
  });
});
