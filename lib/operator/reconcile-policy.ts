/**
 * @module
 * One level-based reconcile of one DevOpsPolicy: the reference's finalizer released
 * where found (finalizer.ts), full evaluation of
 * its namespace's pods (never "skip because the generation is unchanged"), the
 * enforcement seam, status (only when changed), metrics, a class-change Event
 * and audit history. The spec is read field by field as admission and watch read it, and
 * a policy in a system namespace is reported inert instead of scored (conditions.ts,
 * decision 0034). Returns when to run again.
 */
import { ConflictError, InvalidError, isNotFound } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Clock } from "../kube/clock.ts";
import { DEVOPS_POLICIES } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { PodLike } from "../k8s-objects.ts";
import type { Logger } from "../log.ts";
import type { DevOpsPolicySpec, DevOpsPolicyStatus } from "../policy/schema.ts";
import { recordAudit, type AuditState } from "./audit-writer.ts";
import { conditionEvents, inertNamespaceMessage, readOperatorSpec } from "./conditions.ts";
import { evaluatePolicy, type PolicyEvaluation } from "./evaluate-policy.ts";
import { emitPolicyEvent, type PolicyEvents } from "./events.ts";
import { planFinalizer, removeFinalizerPatch, type JsonPatchOp } from "./finalizer.ts";
import type { OperatorMetrics } from "./metrics.ts";
import type { PrunedStatusFields } from "./pruned-status.ts";
import { desiredStatus, enforcedEvent, unresolvedEvent, type EnforcementOutcome } from "./status.ts";
import { PolicyStatusWriter, type PatchIntent } from "./status-writer.ts";

export const FIELD_MANAGER = "kube-devops-operator";

/** A DevOpsPolicy as the operator reads it (spec validated before use). */
export type PolicyObject = KubeObject & { spec?: unknown; status?: DevOpsPolicyStatus };

/** The enforcement seam (issue 8): called in enforce mode with the evaluated pods. */
export type EnforceStep = (
  policy: PolicyObject & { spec: DevOpsPolicySpec },
  pods: readonly PodLike[],
  evaluation: PolicyEvaluation,
  signal?: AbortSignal,
  /** Records each workload patch in status before it is sent (lib/operator/status-writer.ts); a patch is sent only once it resolves. */
  beforePatch?: (intent: PatchIntent) => Promise<void>,
) => Promise<EnforcementOutcome>;

export interface ReconcileOptions {
  requeueMs: number;
  auditIntervalMs: number;
  auditRetention: number;
  statusHeartbeatMs: number;
  /** Honour exemption annotations (default true; `reconcile --no-exemptions` scores everything). */
  exemptions?: boolean;
}

export interface ReconcileDeps {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  metrics: OperatorMetrics;
  options: ReconcileOptions;
  /** The latest known policy for `namespace/name` (watch cache), undefined when gone. */
  policy: (key: string) => PolicyObject | undefined;
  podsIn: (namespace: string) => PodLike[];
  audit: AuditState;
  enforce?: EnforceStep | undefined;
  /** `--reports`: writes the policy's PolicyReport/Report after each evaluation; never throws. */
  reports?: ReportStep | undefined;
  /** Status fields an older installed CRD prunes (shared across policies; lib/operator/pruned-status.ts). */
  prunedStatus?: PrunedStatusFields | undefined;
  /** Writes Events with repeats folded into one (lib/operator/events.ts); plain creates without it. */
  events?: PolicyEvents | undefined;
  /** The leader term: once aborted, enforcement starts no further patch and nothing more is written. */
  signal?: AbortSignal | undefined;
  /** Why the pod cache is stale (its watch keeps failing), or undefined: then status says so instead of a fresh evaluation. */
  podsStale?: (() => string | undefined) | undefined;
}

/** The reports seam (lib/operator/report-writer.ts `ReportWriter`). */
export interface ReportStep {
  write(policy: PolicyObject, pods: readonly PodLike[], evaluation: PolicyEvaluation, now: Date): Promise<void>;
  forget(key: string): void;
}

/**
 * The object moved on between our read and our guarded write (a JSON Patch `test` failed or the
 * resourceVersion was stale): not a failure — the watch brings the new object and we run again.
 */
export class StaleObjectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StaleObjectError";
  }
}

/** `{ requeueAfterMs }` to run again, or `{ done: true }` when the policy is gone. */
export type ReconcileResult = { requeueAfterMs: number } | { done: true };

function identity(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Reconciles the policy at `key`; throws on API errors (the caller's error policy retries). */
export async function reconcilePolicy(key: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { namespace, name } = identity(key);
  let policy = deps.policy(key);
  const plan = policy ? planFinalizer(policy.metadata ?? {}) : "cleanup";
  if (!policy || plan === "cleanup" || plan === "cleanupThenRelease") {
    // Gone, or going: nothing of ours may hold it up (other controllers' finalizers may).
    deps.metrics.removePolicy(namespace, name);
    deps.audit.forget(key);
    deps.reports?.forget(key);
    if (policy && plan === "cleanupThenRelease") {
      await patchMetadata(deps, namespace, name, removeFinalizerPatch(policy.metadata ?? {}));
      deps.logger.info("finalizer_released", { namespace, policy: name });
    }
    return { done: true };
  }
  deps.metrics.reconcileTotal.inc();
  const stopTimer = deps.metrics.reconcileDuration.startTimer();
  try {
    if (plan === "releaseThenReconcile") {
      policy = await patchMetadata(deps, namespace, name, removeFinalizerPatch(policy.metadata ?? {}));
      deps.logger.info("finalizer_released", { namespace, policy: name, reason: "no longer used: deleting a policy must not wait for the operator" });
    }
    return await evaluateAndWrite(policy, namespace, name, deps);
  } finally {
    stopTimer();
  }
}

async function patchMetadata(deps: ReconcileDeps, namespace: string, name: string, ops: JsonPatchOp[]): Promise<PolicyObject> {
  try {
    return await deps.client.patch<PolicyObject>(DEVOPS_POLICIES, name, { type: "json", ops }, { namespace, fieldManager: FIELD_MANAGER });
  } catch (err) {
    // Already gone: nothing left to release.
    if (isNotFound(err)) return { metadata: { name, namespace } };
    // Our patches are valid by construction; a 409/422 here is the `test` guard failing.
    if (err instanceof ConflictError || err instanceof InvalidError) throw new StaleObjectError(`${namespace}/${name} changed during the finalizer patch`, { cause: err });
    throw err;
  }
}

async function evaluateAndWrite(policy: PolicyObject, namespace: string, name: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const now = new Date(deps.clock.now());
  // Status is computed from the stored status the write is guarded by, read again after a conflict.
  const status = new PolicyStatusWriter(deps, policy, namespace, name);
  const generation = policy.metadata?.generation;
  // Read field by field, as the webhook and the watch controller do (decision 0034): a field the
  // schema refuses is left out and named in SpecValid, the rest applies.
  const read = readOperatorSpec(policy.spec, generation);
  if (!read.ok) {
    const written = await status.write((previous) => desiredStatus(previous, { generation, now, result: { error: read.error, reason: "InvalidSpec" }, specCondition: read.specCondition }), now);
    await emitConditionEvents(deps, policy, written.previous, written.next, now);
    return { requeueAfterMs: deps.options.requeueMs };
  }
  const { spec, specCondition } = read;
  const enforceMode = spec.enforcementMode === "enforce";
  const mode = enforceMode ? "enforce" : "audit";
  const inert = inertNamespaceMessage(namespace);
  if (inert) {
    // Its pods are never evaluated: no score series (a 100 there reads as "governed"), no audit, no report.
    deps.metrics.removePolicy(namespace, name);
    const written = await status.write((previous) => desiredStatus(previous, { generation, now, result: { inert }, mode, specCondition }), now);
    await emitConditionEvents(deps, policy, written.previous, written.next, now);
    return { requeueAfterMs: deps.options.requeueMs };
  }
  const stale = deps.podsStale?.();
  if (stale) {
    // Evaluating a cache the watch no longer refreshes would stamp old numbers with a new lastEvaluated.
    await status.write((previous) => desiredStatus(previous, { generation, now, result: { error: stale, reason: "PodsUnavailable" }, mode, specCondition }), now);
    return { requeueAfterMs: deps.options.requeueMs };
  }
  const pods = deps.podsIn(namespace);
  deps.metrics.podsScanned.inc(pods.length);
  const evaluation = evaluatePolicy(spec, pods, now.getTime(), deps.options.exemptions !== false);
  deps.metrics.recordEvaluation(namespace, name, evaluation, enforceMode);
  deps.logger.debug("reconcile_evaluated", { namespace, policy: name, health_score: evaluation.score, violations: evaluation.violations, pods: evaluation.totalPods, classification: evaluation.classification, mode });

  const enforcement = !enforceMode || !deps.enforce ? undefined : read.holdEnforcement ? heldEnforcement(policy.status) : await deps.enforce({ ...policy, spec }, pods, evaluation, deps.signal, (intent) => status.recordIntent(intent));
  if (deps.signal?.aborted) {
    // Shutting down or no longer leading: each patch made was recorded in status before it was sent;
    // the next leader re-evaluates and writes the rest. Two writers never (decision 0038).
    deps.logger.info("reconcile_interrupted", { namespace, policy: name, remediations_applied: enforcement?.applied ?? 0 });
    return { requeueAfterMs: 0 };
  }
  const written = await status.write((stored) => desiredStatus(stored, { generation, now, result: { evaluation }, mode, enforcement: enforcement && status.rebase(enforcement, stored), specCondition }), now).catch(async (err: unknown) => {
    await emitEnforcedEvent(deps, policy, enforcement, now);
    throw err;
  });
  // A cycle whose records could not be written is an error, reported once status is corrected.
  if (enforcement?.halted !== undefined) {
    await emitEnforcedEvent(deps, policy, enforcement, now);
    throw enforcement.halted;
  }
  const { previous, next } = written;
  await emitConditionEvents(deps, policy, previous, next, now);

  if (previous?.classification && previous.classification !== evaluation.classification) {
    const worse = (previous.healthScore ?? 100) > evaluation.score;
    deps.logger.info("class_changed", { namespace, policy: name, from: previous.classification, to: evaluation.classification, health_score: evaluation.score });
    await emitPolicyEvent(deps, policy, { type: worse ? "Warning" : "Normal", reason: "ClassChanged", message: `Class changed from ${previous.classification} to ${evaluation.classification}: ${evaluation.message}`, now });
  }
  await emitEnforcedEvent(deps, policy, enforcement, now);
  const unresolved = unresolvedEvent(previous, next);
  if (unresolved) await emitPolicyEvent(deps, policy, { ...unresolved, now });
  await deps.reports?.write(policy, pods, evaluation, now);
  await recordAudit(deps, policy, evaluation, now);
  return { requeueAfterMs: deps.options.requeueMs };
}

/**
 * Enforcement while a field it builds patches from is ignored: nothing patched (a probe or resources
 * injected from defaults in place of the refused values is a write nobody asked for); the totals so
 * far stay, and what it cannot fix is not computed (SpecValid says why).
 */
function heldEnforcement(previous: DevOpsPolicyStatus | undefined): EnforcementOutcome {
  return { applied: 0, failed: 0, totalApplied: previous?.remediationsApplied ?? 0, workloads: previous?.remediatedWorkloads ?? [], unresolved: [] };
}

/**
 * The `Enforced` Event of this cycle's patches, also when its status cannot be written: the patches
 * are made, and the next cycle finds nothing to patch, so an Event left to it would be lost. Not
 * once the leader term has ended: then nothing more is written (decision 0038).
 */
async function emitEnforcedEvent(deps: ReconcileDeps, policy: PolicyObject, enforcement: EnforcementOutcome | undefined, now: Date): Promise<void> {
  const enforced = enforcedEvent(enforcement);
  if (enforced && !deps.signal?.aborted) await emitPolicyEvent(deps, policy, { ...enforced, now });
}

/** The Warning Events of conditions that appeared or changed, each logged once as well. */
async function emitConditionEvents(deps: ReconcileDeps, policy: PolicyObject, previous: DevOpsPolicyStatus | undefined, next: DevOpsPolicyStatus, now: Date): Promise<void> {
  for (const event of conditionEvents(previous, next)) {
    deps.logger.warn("policy_condition", { namespace: policy.metadata?.namespace, policy: policy.metadata?.name, reason: event.reason, message: event.message });
    await emitPolicyEvent(deps, policy, { ...event, now });
  }
}
