/**
 * @module
 * A namespace's policies folded into one admission plan, compiled once per policy
 * list and cached by the list's identity (PolicyIndex hands out the same frozen
 * array until a policy of the namespace changes). Each container check any policy
 * enables appears once, with what the per-policy merge would make of it: the
 * strictest severity, the policy a warning names, whether some policy denies it. A
 * request then walks its containers once instead of once per policy.
 */
import type { CheckId, ContainerCheck } from "../checks/registry.ts";
import { isAtLeast, maxSeverity } from "../checks/severity.ts";
import type { Severity } from "../policy/schema.ts";
import type { AdmissionPolicy } from "./policy-index.ts";

export interface PlannedCheck {
  check: ContainerCheck;
  /** The highest severity among the policies that enable the check. */
  severity: Severity;
  /** The first policy (in name order) that enables it: the one a warning names. */
  finder: string;
  /** Some enforce-mode policy rates it at or above its threshold (a denial names no policy). */
  denies: boolean;
}

export interface AdmissionPlan {
  /**
   * Checks grouped by the first policy that enables them, in policy order, registry
   * order within a group: findings are reported group by group, container by
   * container, which is the order merging policy after policy produces.
   */
  groups: readonly (readonly PlannedCheck[])[];
  /**
   * The check ids a request may report: any finding can come back as a warning (below the
   * threshold, audit mode, waived before an UPDATE removed the exemption, a controller's pod) or be exempted.
   */
  checkIds: readonly CheckId[];
  /** The check ids a request may be denied for (some enforce-mode policy rates them at or above its threshold). */
  denyingIds: readonly CheckId[];
}

/** Folds `policies` (sorted by name) into a plan. */
export function compileAdmissionPlan(policies: readonly AdmissionPolicy[]): AdmissionPlan {
  const byId = new Map<CheckId, PlannedCheck>();
  const groups: PlannedCheck[][] = [];
  for (const policy of policies) {
    const group: PlannedCheck[] = [];
    for (const check of policy.checks.container) {
      const severity = policy.checks.severity[check.id];
      const denies = policy.enforce && isAtLeast(severity, policy.threshold);
      const planned = byId.get(check.id);
      if (!planned) {
        const fresh: PlannedCheck = { check, severity, finder: policy.name, denies };
        byId.set(check.id, fresh);
        group.push(fresh);
        continue;
      }
      planned.severity = maxSeverity(planned.severity, severity);
      planned.denies ||= denies;
    }
    if (group.length > 0) groups.push(group);
  }
  const planned = [...byId.values()];
  return { groups, checkIds: planned.map((p) => p.check.id), denyingIds: planned.filter((p) => p.denies).map((p) => p.check.id) };
}

const plans = new WeakMap<readonly AdmissionPolicy[], AdmissionPlan>();

/** The plan of a policy list, compiled on first use (a list must not change once handed out). */
export function admissionPlanOf(policies: readonly AdmissionPolicy[]): AdmissionPlan {
  let plan = plans.get(policies);
  if (!plan) {
    plan = compileAdmissionPlan(policies);
    plans.set(policies, plan);
  }
  return plan;
}
