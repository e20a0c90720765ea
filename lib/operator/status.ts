/**
 * @module
 * The status a policy should have after an evaluation, and whether it must be
 * written. Status is written only when it changed (ignoring `lastEvaluated`), or
 * when `lastEvaluated` is older than the heartbeat, so that a live operator costs
 * one status write per policy per heartbeat instead of one per requeue.
 * In enforce mode it also lists what enforcement cannot fix (bounded), and says
 * so in one Event when that list changes.
 */
import { EVENT_MESSAGE_LIMIT } from "../event-object.ts";
import { MAX_STATUS_UNRESOLVED, MAX_UNRESOLVED_REASON, type EnforcementMode, type DevOpsPolicyStatus, type UnresolvedItemStatus } from "../policy/schema.ts";
import { READY, setCondition, type ConditionInput } from "./conditions.ts";
import type { PolicyEvaluation } from "./evaluate-policy.ts";

/** remediatedWorkloads keeps at most this many keys (status objects stay small). */
export const MAX_WORKLOAD_KEYS = 100;

/**
 * `stored` with `added` (this cycle's patches) at the end, bounded by MAX_WORKLOAD_KEYS: the list is
 * in the order workloads were last patched, oldest first, and once full the oldest make room. (It
 * was sorted: cut to the alphabetically last 100, a workload patched now whose name sorted early was
 * never listed, or listed for one cycle only and then dropped for a key patched long before.)
 */
export function boundWorkloadKeys(stored: Iterable<string>, added: readonly string[]): string[] {
  const fresh = [...new Set(added)];
  const again = new Set(fresh);
  const older = [...new Set(stored)].filter((key) => !again.has(key));
  return [...older, ...fresh].slice(-MAX_WORKLOAD_KEYS);
}

export interface EnforcementOutcome {
  /** Workloads patched in this cycle (the `Enforced` Event reports these). */
  applied: number;
  /** Workloads whose patch failed in this cycle (`status.remediationsFailed`, and the Event). */
  failed: number;
  /** Workloads patched since enforcement began: `status.remediationsApplied`, which accumulates. */
  totalApplied: number;
  /** `<kind-lowercase>/<namespace>/<name>` of each patched workload. */
  workloads: string[];
  /** The keys of the workloads this cycle patched (the status writer counts them on the stored total); absent: none. */
  patched?: string[];
  /**
   * Why each workload patched this cycle whose running pods will not pick the patch up by themselves
   * keeps them (`running pods keep the old spec until deleted (updateStrategy OnDelete)`); the
   * `Enforced` Event says so. Never written to status.
   */
  held?: string[];
  /**
   * Each workload whose patch failed this cycle, with the API server's answer, for the `Enforced`
   * Event: a count alone leaves a namespace owner, who cannot read the operator's log, nothing to
   * act on. Never written to status.
   */
  failures?: { workload: string; error: string }[];
  /** Every container enforcement leaves violating the policy, with why (status keeps the first few). */
  unresolved?: UnresolvedItemStatus[];
  /**
   * Why patching stopped early (a record could not be written, decision 0038): status is still
   * written, to take back the record of a patch that did not land, then the reconcile fails with it.
   */
  halted?: unknown;
}

export interface StatusInput {
  generation: number | undefined;
  now: Date;
  /**
   * The evaluation; the error that prevented it (`reason` is a CamelCase condition reason: default
   * EvaluationFailed, InvalidSpec for a spec that cannot be read at all); or why nothing can be
   * evaluated (`inert`: a policy in a system namespace, decision 0034).
   */
  result: { evaluation: PolicyEvaluation } | { error: string; reason?: string } | { inert: string };
  /** SpecValid (lib/operator/conditions.ts); left as it was when absent. */
  specCondition?: ConditionInput | undefined;
  /** The mode of this evaluation (spec.enforcementMode, audit when absent); status shows it for `kubectl get dop`. */
  mode?: EnforcementMode | undefined;
  /** Present in enforce mode only; in audit mode the remediation fields are cleared (W-R5). */
  enforcement?: EnforcementOutcome | undefined;
}

/** The desired status. An error keeps the last evaluation's numbers and turns Ready False. */
export function desiredStatus(previous: DevOpsPolicyStatus | undefined, input: StatusInput): DevOpsPolicyStatus {
  const observed = input.generation === undefined ? {} : { observedGeneration: input.generation };
  const withSpec = input.specCondition ? setCondition(previous?.conditions, input.specCondition, input.now) : previous?.conditions;
  if ("error" in input.result) {
    const reason = input.result.reason ?? "EvaluationFailed";
    return { ...previous, ...observed, conditions: setCondition(withSpec, { type: READY, status: "False", reason, message: input.result.error, ...observed }, input.now) };
  }
  if ("inert" in input.result) {
    // No pods are evaluated, so no score, class or count: 100 over 0 pods read as "governed and healthy".
    return {
      ...observed,
      lastEvaluated: input.now.toISOString(),
      message: input.result.inert,
      ...(input.mode ? { enforcementMode: input.mode } : {}),
      conditions: setCondition(withSpec, { type: READY, status: "False", reason: "InertNamespace", message: input.result.inert, ...observed }, input.now),
    };
  }
  const e = input.result.evaluation;
  const status: DevOpsPolicyStatus = {
    ...observed,
    healthy: e.healthy,
    healthScore: e.score,
    violations: e.violations,
    lastEvaluated: input.now.toISOString(),
    message: e.message,
    classification: e.classification,
    ...(input.mode ? { enforcementMode: input.mode } : {}),
    conditions: setCondition(withSpec, { type: READY, status: "True", reason: "Evaluated", message: e.message, ...observed }, input.now),
  };
  if (input.enforcement) {
    status.remediationsApplied = input.enforcement.totalApplied;
    status.remediationsFailed = input.enforcement.failed;
    // in the order they were last patched (boundWorkloadKeys), not sorted
    if (input.enforcement.workloads.length > 0) status.remediatedWorkloads = [...input.enforcement.workloads];
    const unresolved = input.enforcement.unresolved ?? [];
    if (unresolved.length > 0) {
      status.unresolved = unresolved.slice(0, MAX_STATUS_UNRESOLVED).map((u) => ({ ...u, reason: clip(u.reason, MAX_UNRESOLVED_REASON) }));
      status.unresolvedCount = unresolved.length;
    }
  }
  return status;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The list stops short of the Event limit, leaving room to say how many it left out (" … and N more"). */
const EVENT_LIST_BUDGET = EVENT_MESSAGE_LIMIT - 124;
/** One failed patch's error in the `Enforced` Event (a 403 names the user, verb, resource and namespace in ~300). */
const MAX_FAILURE_ERROR = 400;

/**
 * The Warning Event that says what enforcement cannot fix, when `next` lists something that
 * `previous` did not (a new or changed list): once per change, not once per requeue, and not
 * again after an operator restart, since the list it compares with is in the stored status.
 */
export function unresolvedEvent(previous: DevOpsPolicyStatus | undefined, next: DevOpsPolicyStatus): { type: "Warning"; reason: "Unresolved"; message: string } | undefined {
  const items = next.unresolved ?? [];
  if (items.length === 0) return undefined;
  if (previous?.unresolvedCount === next.unresolvedCount && JSON.stringify(normalise(previous?.unresolved)) === JSON.stringify(normalise(items))) return undefined;
  const total = next.unresolvedCount ?? items.length;
  let message = `Enforcement cannot remediate ${total} item(s):`;
  let listed = 0;
  for (const u of items) {
    const entry = ` ${u.workload} container ${u.container || "(unnamed)"}: ${u.reason};`;
    if (message.length + entry.length > EVENT_LIST_BUDGET) break;
    message += entry;
    listed++;
  }
  if (listed < total) message += ` … and ${total - listed} more (status.unresolved)`;
  return { type: "Warning", reason: "Unresolved", message: message.replace(/;$/, "") };
}

/**
 * The `Enforced` Event of one cycle: what this cycle patched or failed to patch, nothing when it did
 * neither. Never the running total (`status.remediationsApplied`), or every requeue of an enforced
 * namespace would repeat "Remediated N workload(s)" with nothing patched.
 */
export function enforcedEvent(enforcement: EnforcementOutcome | undefined): { type: "Normal" | "Warning"; reason: "Enforced"; message: string } | undefined {
  if (!enforcement || enforcement.applied + enforcement.failed === 0) return undefined;
  const held = enforcement.held ?? [];
  // a patch stored in a template that rolls nothing out is not live: "Remediated" alone would say it is
  const note = held.length > 0 ? `; ${held.length} of them applied to the template only: ${[...new Set(held)].sort().join("; ")}` : "";
  const message = `Remediated ${enforcement.applied} workload(s), ${enforcement.failed} failed${note}`;
  return { type: enforcement.failed > 0 ? "Warning" : "Normal", reason: "Enforced", message: message + failureNote(message, enforcement.failures ?? []) };
}

/** Which patches failed and the API server's answer, each clipped, within the Event's bound. */
function failureNote(head: string, failures: readonly { workload: string; error: string }[]): string {
  if (failures.length === 0) return "";
  let note = "; failed:";
  let listed = 0;
  for (const f of failures) {
    const entry = ` ${f.workload}: ${clip(f.error, MAX_FAILURE_ERROR)};`;
    if (head.length + note.length + entry.length > EVENT_LIST_BUDGET) break;
    note += entry;
    listed++;
  }
  if (listed < failures.length) note += ` … and ${failures.length - listed} more (operator log: enforcement_remediation_failed)`;
  return note.replace(/;$/, "");
}

function withoutTimestamp(status: DevOpsPolicyStatus | undefined): unknown {
  if (!status) return undefined;
  const { lastEvaluated: _ignored, ...rest } = status;
  return normalise(rest);
}

/** Key-order-independent JSON, so `{a, b}` equals `{b, a}`. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, normalise(v)]));
}

/** True when `next` differs from `previous` in anything but lastEvaluated, or the heartbeat is due. */
export function statusNeedsWrite(previous: DevOpsPolicyStatus | undefined, next: DevOpsPolicyStatus, now: Date, heartbeatMs: number): boolean {
  if (JSON.stringify(withoutTimestamp(previous)) !== JSON.stringify(withoutTimestamp(next))) return true;
  if (next.lastEvaluated === undefined) return false;
  const last = Date.parse(previous?.lastEvaluated ?? "");
  return !Number.isFinite(last) || now.getTime() - last >= heartbeatMs;
}

/**
 * A JSON merge patch for the status subresource that makes status exactly `next`:
 * fields the previous status had and `next` lacks are set to null (the reference
 * left stale remediation fields forever, W-R5).
 */
export function statusMergePatch(previous: DevOpsPolicyStatus | undefined, next: DevOpsPolicyStatus): { status: Record<string, unknown> } {
  const patch: Record<string, unknown> = { ...next };
  for (const key of Object.keys(previous ?? {})) if (!(key in next)) patch[key] = null;
  return { status: patch };
}
