/**
 * The conditions that say a policy does less than its spec reads (decision 0034): a policy in a
 * system namespace is inert, not "100 healthy"; a stored spec is read field by field by the
 * operator exactly as by the webhook and the watch controller, and the ignored fields are named.
 */
import { describe, expect, test } from "bun:test";
import { projectAdmissionPolicy } from "../../lib/admission/policy-index.ts";
import { checkSetFromPolicy } from "../../lib/checks/check-set.ts";
import { conditionEvents, inertNamespaceMessage, readOperatorSpec, setCondition } from "../../lib/operator/conditions.ts";
import { evaluatePolicy } from "../../lib/operator/evaluate-policy.ts";
import { desiredStatus, statusMergePatch, statusNeedsWrite } from "../../lib/operator/status.ts";
import { checkPolicySpec } from "../../lib/policy/parse-policy.ts";
import { readStoredSpec } from "../../lib/policy/read-stored-spec.ts";

const NOW = Date.parse("2026-11-26T12:00:00Z");
const at = (ms: number) => new Date(NOW + ms);

describe("a policy in a system namespace", () => {
  test("kube-*, *-system and the named ones are inert, with the namespace and why in the message; others are not", () => {
    for (const ns of ["kube-system", "kube-devops", "cert-manager", "istio-system", "monitoring", "argocd"]) {
      expect(inertNamespaceMessage(ns)).toStartWith(`Not evaluated: ${ns} is a system namespace`);
    }
    expect(inertNamespaceMessage("kube-system")).toContain("the operator, the watch controller and admission all skip");
    for (const ns of ["prod", "default", "kubeflow", "system"]) expect(inertNamespaceMessage(ns)).toBeUndefined();
  });

  test("status has no score, class, healthy or count, and Ready is False InertNamespace", () => {
    const inert = inertNamespaceMessage("kube-system") ?? "";
    const status = desiredStatus(undefined, { generation: 2, now: at(0), result: { inert }, mode: "audit", specCondition: readOperatorSpec({ forbidLatestTag: true }, 2).specCondition });
    expect(status).toEqual({
      observedGeneration: 2,
      lastEvaluated: at(0).toISOString(),
      message: inert,
      enforcementMode: "audit",
      conditions: [
        { type: "Ready", status: "False", reason: "InertNamespace", message: inert, observedGeneration: 2, lastTransitionTime: at(0).toISOString() },
        { type: "SpecValid", status: "True", reason: "Valid", message: "Every spec field applies", observedGeneration: 2, lastTransitionTime: at(0).toISOString() },
      ],
    });
  });

  test("the reference's (and our former) 100 over 0 pods is taken back: the merge patch nulls the score fields", () => {
    const zeroPods = evaluatePolicy({ forbidLatestTag: true }, [], NOW);
    expect([zeroPods.score, zeroPods.healthy]).toEqual([100, true]);
    const claimed = desiredStatus(undefined, { generation: 1, now: at(0), result: { evaluation: zeroPods } });
    const inert = desiredStatus(claimed, { generation: 1, now: at(30_000), result: { inert: inertNamespaceMessage("kube-system") ?? "" } });
    expect(statusMergePatch(claimed, inert).status).toMatchObject({ healthScore: null, healthy: null, classification: null, violations: null });
    expect(inert.conditions?.[0]?.lastTransitionTime).toBe(at(30_000).toISOString());
  });

  test("one Warning InertNamespace Event when it becomes inert; none on the next requeue, so no write either", () => {
    const inert = inertNamespaceMessage("kube-system") ?? "";
    const first = desiredStatus(undefined, { generation: 1, now: at(0), result: { inert } });
    expect(conditionEvents(undefined, first)).toEqual([{ type: "Warning", reason: "InertNamespace", message: inert }]);
    const again = desiredStatus(first, { generation: 1, now: at(30_000), result: { inert } });
    expect(conditionEvents(first, again)).toEqual([]);
    expect(statusNeedsWrite(first, again, at(30_000), 600_000)).toBe(false);
    expect(again.conditions?.[0]?.lastTransitionTime).toBe(at(0).toISOString());
  });
});

/**
 * Stored specs that got past the API server (a CRD older than the rule, or newer than this
 * binary, or x-kubernetes-preserve-unknown-fields) and that the strict schema refuses: until
 * decision 0034 the operator turned each into InvalidSpec for the whole policy, while the webhook
 * and the watch controller dropped the one field and applied the rest.
 */
const DIVERGING: { what: string; spec: Record<string, unknown>; ignored: string[]; applied: Record<string, unknown> }[] = [
  { what: "a rule added since (maxRestartCount >= 0)", spec: { forbidLatestTag: true, maxRestartCount: -1 }, ignored: ["spec.maxRestartCount"], applied: { forbidLatestTag: true } },
  { what: "a negative quantity, nested: its whole top-level field goes", spec: { requireResourceLimits: true, defaultResources: { cpuRequest: "-1", memoryRequest: "64Mi" } }, ignored: ["spec.defaultResources.cpuRequest"], applied: { requireResourceLimits: true } },
  { what: "request > limit past an API server without the CEL rule (< 1.29, or an older CRD)", spec: { requireLivenessProbe: true, defaultResources: { cpuRequest: "2", cpuLimit: "1" } }, ignored: ["spec.defaultResources.cpuRequest"], applied: { requireLivenessProbe: true } },
  { what: "a field this binary does not know (the CRD is newer)", spec: { forbidLatestTag: true, requireNetworkPolicy: true }, ignored: ["spec.requireNetworkPolicy"], applied: { forbidLatestTag: true } },
  { what: "a wrong type (x-kubernetes-preserve-unknown-fields)", spec: { forbidLatestTag: "yes", requireReadinessProbe: true }, ignored: ["spec.forbidLatestTag"], applied: { requireReadinessProbe: true } },
  { what: "an enum value this binary does not know", spec: { forbidLatestTag: true, severityOverrides: { latestTag: "urgent" } }, ignored: ["spec.severityOverrides.latestTag"], applied: { forbidLatestTag: true } },
  { what: "an out-of-range probe port", spec: { requireLivenessProbe: true, defaultProbe: { tcpPort: 70000 } }, ignored: ["spec.defaultProbe.tcpPort"], applied: { requireLivenessProbe: true } },
];

describe("operator, webhook and watch read a stored spec the same way", () => {
  for (const c of DIVERGING) {
    test(`${c.what}: the field is ignored and named, the rest applies, everywhere`, () => {
      expect(checkPolicySpec(c.spec).ok).toBe(false);
      const operator = readOperatorSpec(c.spec, 1);
      const watch = readStoredSpec(c.spec);
      const webhook = projectAdmissionPolicy({ metadata: { namespace: "prod", name: "p" }, spec: c.spec });
      if (!operator.ok || !watch.ok || !("policy" in webhook)) throw new Error("a component refused the whole policy");
      expect(operator.spec).toEqual(c.applied);
      expect(watch.spec).toEqual(c.applied);
      expect(webhook.policy.checks).toEqual(checkSetFromPolicy(c.applied));
      expect(operator.ignored.map((i) => i.path)).toEqual(c.ignored);
      expect(webhook.ignored.map((i) => i.split(":")[0])).toEqual(c.ignored);
      expect(operator.specCondition).toMatchObject({ type: "SpecValid", status: "False", reason: "FieldsIgnored", observedGeneration: 1 });
      for (const path of c.ignored) expect(operator.specCondition.message).toContain(`${path}: `);
    });
  }

  test("a spec that is not an object is unusable everywhere: InvalidSpec (one Warning Event), the webhook leaves the policy out", () => {
    const operator = readOperatorSpec("enforce", 3);
    expect(operator.ok).toBe(false);
    expect(operator.specCondition).toMatchObject({ type: "SpecValid", status: "False", reason: "InvalidSpec", observedGeneration: 3 });
    if (operator.ok) return;
    const status = desiredStatus(undefined, { generation: 3, now: at(0), result: { error: operator.error, reason: "InvalidSpec" }, specCondition: operator.specCondition });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([["Ready", "False", "InvalidSpec"], ["SpecValid", "False", "InvalidSpec"]]);
    expect(conditionEvents(undefined, status)).toEqual([{ type: "Warning", reason: "InvalidSpec", message: operator.error }]);
    expect(conditionEvents(status, desiredStatus(status, { generation: 3, now: at(30_000), result: { error: operator.error, reason: "InvalidSpec" }, specCondition: operator.specCondition }))).toEqual([]);
    expect(readStoredSpec("enforce").ok).toBe(false);
    expect("error" in projectAdmissionPolicy({ metadata: { namespace: "prod", name: "p" }, spec: "enforce" })).toBe(true);
  });

  test("a valid spec: SpecValid True, nothing held", () => {
    const operator = readOperatorSpec({ forbidLatestTag: true, enforcementMode: "enforce", defaultProbe: { tcpPort: 8080 } }, 1);
    expect(operator).toMatchObject({ ok: true, ignored: [], holdEnforcement: false, specCondition: { status: "True", reason: "Valid" } });
  });

  test("enforcement holds while a field it builds patches from is ignored, and says so; other ignored fields do not hold it", () => {
    const probe = readOperatorSpec({ requireLivenessProbe: true, enforcementMode: "enforce", defaultProbe: { tcpPort: 0 } }, 1);
    expect(probe.ok && probe.holdEnforcement).toBe(true);
    expect(probe.specCondition.message).toContain("enforcement patches nothing until these fields are fixed");
    const resources = readOperatorSpec({ enforcementMode: "enforce", defaultResources: { cpuRequest: "-1" } }, 1);
    expect(resources.ok && resources.holdEnforcement).toBe(true);
    const restarts = readOperatorSpec({ requireLivenessProbe: true, enforcementMode: "enforce", maxRestartCount: -1 }, 1);
    expect(restarts.ok && restarts.holdEnforcement).toBe(false);
    expect(restarts.specCondition.message).not.toContain("enforcement");
    const audit = readOperatorSpec({ defaultProbe: { tcpPort: 0 } }, 1);
    expect(audit.ok && audit.holdEnforcement).toBe(false);
  });

  test("the evaluation stays Ready; SpecValid says what was left out, with one Warning Event per change", () => {
    const read = readOperatorSpec({ forbidLatestTag: true, maxRestartCount: -1 }, 4);
    const e = evaluatePolicy({ forbidLatestTag: true }, [], NOW);
    const first = desiredStatus(undefined, { generation: 4, now: at(0), result: { evaluation: e }, specCondition: read.specCondition });
    expect(first.healthScore).toBe(100);
    expect(first.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([["Ready", "True", "Evaluated"], ["SpecValid", "False", "FieldsIgnored"]]);
    const events = conditionEvents(undefined, first);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "Warning", reason: "FieldsIgnored" });
    expect(events[0]?.message).toContain("spec.maxRestartCount: ");
    const same = desiredStatus(first, { generation: 4, now: at(30_000), result: { evaluation: e }, specCondition: read.specCondition });
    expect(conditionEvents(first, same)).toEqual([]);
    // fixed: SpecValid turns True (a transition), no Event
    const fixed = desiredStatus(same, { generation: 5, now: at(60_000), result: { evaluation: e }, specCondition: readOperatorSpec({ forbidLatestTag: true }, 5).specCondition });
    expect(fixed.conditions?.[1]).toMatchObject({ status: "True", reason: "Valid", lastTransitionTime: at(60_000).toISOString() });
    expect(conditionEvents(same, fixed)).toEqual([]);
  });

  test("another controller's condition is kept, after ours", () => {
    const other = { type: "Synced", status: "True" as const, reason: "Argo", message: "ok", lastTransitionTime: at(-1000).toISOString() };
    const e = evaluatePolicy({}, [], NOW);
    const next = desiredStatus({ conditions: [other] }, { generation: 1, now: at(0), result: { evaluation: e }, specCondition: readOperatorSpec({}, 1).specCondition });
    expect(next.conditions?.map((c) => c.type)).toEqual(["Ready", "SpecValid", "Synced"]);
  });
});

describe("setCondition", () => {
  const t0 = new Date("2026-11-26T12:00:00Z");
  const t1 = new Date("2026-11-26T12:05:00Z");
  test("lastTransitionTime moves when the status changes, not when only reason or message do (meta.SetStatusCondition)", () => {
    const failed = setCondition(undefined, { type: "Ready", status: "False", reason: "EvaluationFailed", message: "pods is forbidden" }, t0);
    const inert = setCondition(failed, { type: "Ready", status: "False", reason: "InertNamespace", message: "Not evaluated" }, t1);
    expect(inert[0]).toMatchObject({ reason: "InertNamespace", message: "Not evaluated", lastTransitionTime: t0.toISOString() });
    const ready = setCondition(inert, { type: "Ready", status: "True", reason: "Evaluated", message: "ok" }, t1);
    expect(ready[0]?.lastTransitionTime).toBe(t1.toISOString());
  });
});
