/**
 * @module
 * Check sets: which checks run, with which parameters and severities. Built from
 * one DevOpsPolicy spec, from the reference's fixed default (what `analyze` and
 * `watch` run without a policy), or from several policies merged so that the
 * strictest wins (any policy enabling a check enables it; lowest thresholds;
 * highest severities).
 */
import type { DevOpsPolicySpec, Severity } from "../policy/schema.ts";
import {
  CHECKS,
  type CheckId,
  type CheckParams,
  type ContainerCheck,
  type PodCheck,
  type StatusCheck,
} from "./registry.ts";
import { maxSeverity } from "./severity.ts";

export interface CheckSet {
  /** Enabled check ids, in registry order. */
  readonly ids: readonly CheckId[];
  readonly container: readonly ContainerCheck[];
  readonly status: readonly StatusCheck[];
  readonly pod: readonly PodCheck[];
  readonly params: CheckParams;
  readonly severity: Readonly<Record<CheckId, Severity>>;
}

const DEFAULT_SEVERITY = Object.fromEntries(CHECKS.map((c) => [c.id, c.defaultSeverity])) as Record<CheckId, Severity>;

/** Assembles a check set from enabled ids; the one constructor every other path uses. */
export function buildCheckSet(
  enabled: Iterable<CheckId>,
  params: Partial<CheckParams> = {},
  severity: Partial<Record<CheckId, Severity>> = {},
): CheckSet {
  const on = new Set(enabled);
  const checks = CHECKS.filter((c) => on.has(c.id));
  return {
    ids: checks.map((c) => c.id),
    container: checks.filter((c): c is ContainerCheck => c.scope === "container"),
    status: checks.filter((c): c is StatusCheck => c.scope === "containerStatus"),
    pod: checks.filter((c): c is PodCheck => c.scope === "pod"),
    params: { maxRestartCount: params.maxRestartCount ?? 3, pendingAfterSeconds: params.pendingAfterSeconds ?? 0 },
    severity: { ...DEFAULT_SEVERITY, ...severity },
  };
}

/**
 * The reference's fixed checks (no policy): `:latest`, liveness, readiness,
 * restarts > 3, any Pending pod — default severities.
 */
export const DEFAULT_CHECK_SET: CheckSet = buildCheckSet(
  ["latest_tag", "missing_liveness", "missing_readiness", "high_restarts", "pending"],
  { maxRestartCount: 3, pendingAfterSeconds: 0 },
);

/** The checks one policy turns on: booleans when true, numbers when present (§3.5). */
export function enabledChecks(spec: DevOpsPolicySpec): CheckId[] {
  const ids: CheckId[] = [];
  for (const check of CHECKS) {
    const value = spec[check.policyField];
    const on = check.policyField === "maxRestartCount" || check.policyField === "forbidPendingDuration"
      ? typeof value === "number"
      : value === true;
    if (on) ids.push(check.id);
  }
  return ids;
}

/** Severities after `severityOverrides`. */
function severitiesOf(spec: DevOpsPolicySpec): Record<CheckId, Severity> {
  const result = { ...DEFAULT_SEVERITY };
  const overrides = spec.severityOverrides;
  if (overrides) {
    for (const check of CHECKS) {
      const override = overrides[check.severityKey];
      if (override) result[check.id] = override;
    }
  }
  return result;
}

/** The check set of one policy spec. `forbidPendingDuration` is honoured in seconds (docs/decisions/0002). */
export function checkSetFromPolicy(spec: DevOpsPolicySpec): CheckSet {
  return buildCheckSet(
    enabledChecks(spec),
    { maxRestartCount: spec.maxRestartCount ?? 3, pendingAfterSeconds: spec.forbidPendingDuration ?? 0 },
    severitiesOf(spec),
  );
}

/**
 * Several policies applying to the same pods, merged so the strictest wins: a
 * check on in any policy is on; the lowest restart threshold and pending
 * duration among the policies that enable them; the highest severity among the
 * policies that enable the check. No policies → a set that checks nothing.
 */
export function checkSetFromPolicies(specs: readonly DevOpsPolicySpec[]): CheckSet {
  const enabled = new Set<CheckId>();
  const severity: Partial<Record<CheckId, Severity>> = {};
  let maxRestartCount: number | undefined;
  let pendingAfterSeconds: number | undefined;
  for (const spec of specs) {
    const ids = enabledChecks(spec);
    const sev = severitiesOf(spec);
    for (const id of ids) {
      enabled.add(id);
      const prev = severity[id];
      severity[id] = prev === undefined ? sev[id] : maxSeverity(prev, sev[id]);
    }
    if (typeof spec.maxRestartCount === "number") {
      maxRestartCount = Math.min(maxRestartCount ?? spec.maxRestartCount, spec.maxRestartCount);
    }
    if (typeof spec.forbidPendingDuration === "number") {
      pendingAfterSeconds = Math.min(pendingAfterSeconds ?? spec.forbidPendingDuration, spec.forbidPendingDuration);
    }
  }
  return buildCheckSet(enabled, { maxRestartCount, pendingAfterSeconds }, severity);
}

/** True when the set runs `id`. */
export function hasCheck(set: CheckSet, id: CheckId): boolean {
  return set.ids.includes(id);
}
