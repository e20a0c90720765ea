/**
 * Check sets from a DevOpsPolicy spec (reference §3.5), severityOverrides
 * (§3.6), and the strictest-wins merge of several policies.
 */
import { describe, expect, test } from "bun:test";
import { checkSetFromPolicies, checkSetFromPolicy, DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { evaluatePod, tallyPod } from "../../lib/checks/evaluate.ts";
import { scoreTally } from "../../lib/score.ts";
import { makePod, NOW } from "./fixtures.ts";

const bad = makePod({ image: "nginx:latest", liveness: false, readiness: false, restarts: 5, phase: "Pending" });

describe("checkSetFromPolicy", () => {
  test("the default set is the reference's five checks, restarts > 3, any Pending", () => {
    expect(DEFAULT_CHECK_SET.ids).toEqual(["latest_tag", "missing_liveness", "missing_readiness", "high_restarts", "pending"]);
    expect(DEFAULT_CHECK_SET.params).toEqual({ maxRestartCount: 3, pendingAfterSeconds: 0 });
  });

  test("an empty policy checks nothing", () => {
    const set = checkSetFromPolicy({});
    expect(set.ids).toEqual([]);
    expect(tallyPod(bad, set, { now: NOW })).toMatchObject({ pods: 1, violations: 0 });
  });

  test("false behaves like absent", () => {
    expect(checkSetFromPolicy({ forbidLatestTag: false, requireLivenessProbe: false, requireReadinessProbe: false }).ids).toEqual([]);
  });

  test("every field turns its check on", () => {
    const set = checkSetFromPolicy({
      forbidLatestTag: true,
      requireLivenessProbe: true,
      requireReadinessProbe: true,
      maxRestartCount: 3,
      forbidPendingDuration: 0,
      requireResourceRequests: true,
      requireResourceLimits: true,
    });
    expect(set.ids).toEqual(["latest_tag", "missing_liveness", "missing_readiness", "high_restarts", "pending", "missing_requests", "missing_limits"]);
  });

  test("only latest", () => {
    const t = tallyPod(bad, checkSetFromPolicy({ forbidLatestTag: true }), { now: NOW });
    expect(t).toMatchObject({ latest_tag: 1, missing_liveness: 0, high_restarts: 0, pending: 0, violations: 1 });
  });

  test("custom restart threshold 5: 5 restarts pass, 6 fail", () => {
    const set = checkSetFromPolicy({ maxRestartCount: 5 });
    expect(tallyPod(makePod({ restarts: 5 }), set, { now: NOW }).high_restarts).toBe(0);
    expect(tallyPod(makePod({ restarts: 6 }), set, { now: NOW }).high_restarts).toBe(5);
  });

  test("maxRestartCount -1: 0 restarts is a violation that adds 0 penalty", () => {
    const t = tallyPod(makePod({ restarts: 0 }), checkSetFromPolicy({ maxRestartCount: -1 }), { now: NOW });
    expect(t).toMatchObject({ violations: 1, high_restarts: 0 });
    expect(scoreTally(t)).toBe(100);
  });

  test("a Pending pod held by schedulingGates (queued, e.g. by Kueue) is not stuck; once its gates are gone it is judged again", () => {
    const set = checkSetFromPolicy({ forbidPendingDuration: 300 });
    const old = makePod({ phase: "Pending", created: "2026-01-01T08:00:00Z" });
    const gated = { ...old, spec: { ...old.spec, schedulingGates: [{ name: "kueue.x-k8s.io/admission" }] } };
    expect(evaluatePod(gated, set, { now: NOW }).findings).toEqual([]);
    expect(evaluatePod(gated, DEFAULT_CHECK_SET, { now: NOW }).findings).toEqual([]);
    const released = { ...old, spec: { ...old.spec, schedulingGates: [] } };
    expect(evaluatePod(released, set, { now: NOW }).findings.map((f) => f.check)).toEqual(["pending"]);
  });

  test("severityOverrides change labels, not scores", () => {
    const plain = checkSetFromPolicy({ forbidLatestTag: true });
    const low = checkSetFromPolicy({ forbidLatestTag: true, severityOverrides: { latestTag: "low" } });
    const a = evaluatePod(bad, plain, { now: NOW });
    const b = evaluatePod(bad, low, { now: NOW });
    expect(a.findings[0]?.severity).toBe("high");
    expect(b.findings[0]?.severity).toBe("low");
    expect(scoreTally(a.tally)).toBe(scoreTally(b.tally));
  });
});

describe("checkSetFromPolicies (strictest wins)", () => {
  test("union of checks, lowest thresholds, highest severity", () => {
    const set = checkSetFromPolicies([
      { forbidLatestTag: true, maxRestartCount: 10, forbidPendingDuration: 600, severityOverrides: { latestTag: "low" } },
      { forbidLatestTag: true, requireReadinessProbe: true, maxRestartCount: 2, forbidPendingDuration: 300, severityOverrides: { latestTag: "critical" } },
      { requireResourceLimits: true, severityOverrides: { missingReadiness: "critical" } },
    ]);
    expect(set.ids).toEqual(["latest_tag", "missing_readiness", "high_restarts", "pending", "missing_limits"]);
    expect(set.params).toEqual({ maxRestartCount: 2, pendingAfterSeconds: 300 });
    expect(set.severity.latest_tag).toBe("critical");
    // the third policy overrides readiness but does not enable it: the enabling policy's severity counts
    expect(set.severity.missing_readiness).toBe("low");
  });

  test("no policies checks nothing", () => {
    expect(checkSetFromPolicies([]).ids).toEqual([]);
  });
});
