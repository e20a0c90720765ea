/**
 * @module
 * Runs a check set over one pod (spec and status) or one pod template (spec
 * only). `tallyPod` is the allocation-light path for the watch controller (no
 * findings, no message strings); `evaluatePod` also returns detailed findings in
 * the reference's order: spec checks per container (main, init, then ephemeral
 * containers: pod-containers.ts), restarts, then pending.
 */
import { isSystemNamespace } from "../namespaces.ts";
import type { Severity } from "../policy/schema.ts";
import { asRecord, type ContainerStatusLike, type PodLike, type PodSpecLike } from "../k8s-objects.ts";
import { emptyTally, type Tally } from "../score.ts";
import type { CheckSet } from "./check-set.ts";
import { isExempt, resolveExemption, type Exemption } from "./exemptions.ts";
import { appliesTo, forEachContainer, runsToCompletion, SUBJECT } from "./pod-containers.ts";
import { containerViolates, type CheckId } from "./registry.ts";

export interface Finding {
  check: CheckId;
  severity: Severity;
  pod: string;
  namespace: string;
  /** Empty for pod-level checks (pending). */
  container: string;
  message: string;
  /** Covered by an exemption annotation: reported, not scored. */
  exempt: boolean;
  /** `devops.stochastic.io/exempt-reason`, when exempt and given. */
  exemptReason?: string;
  /** Penalty units (1, or the restart magnitude min(restartCount, 5)). */
  units: number;
}

/**
 * Why a pod contributes nothing: Succeeded and terminating pods (docs/decisions/0002), and Failed
 * pods their node evicted or rejected (docs/decisions/0027) are not scored.
 */
export type SkipReason = "succeeded" | "evicted" | "terminating" | "system-namespace";

/**
 * `status.reason` of a pod the node failed, not the workload: the kubelet's eviction manager
 * (`Evicted`), critical-pod preemption (`Preempting`), graceful node shutdown (`Terminated`,
 * `Shutdown`, `NodeShutdown`), a lost node (`NodeLost`) and kubelet admission rejections
 * (`UnexpectedAdmissionError`, `NodeAffinity`, `OutOf<resource>`). Its controller has replaced it;
 * the leftover stays until pod garbage collection and would count its workload twice.
 */
const NODE_FAILURE_REASONS: ReadonlySet<string> = new Set(["Evicted", "Preempting", "Terminated", "Shutdown", "NodeShutdown", "NodeLost", "UnexpectedAdmissionError", "NodeAffinity"]);

/** True when a Failed pod's `status.reason` says its node failed it (see NODE_FAILURE_REASONS). */
function isNodeFailure(reason: unknown): boolean {
  return typeof reason === "string" && (NODE_FAILURE_REASONS.has(reason) || reason.startsWith("OutOf"));
}

export interface EvaluateOptions {
  /** The current time, epoch milliseconds (for forbidPendingDuration). */
  now: number;
  /** Honour exemption annotations (default true; `--no-exemptions` sets false). */
  exemptions?: boolean;
  /** The exemption of the owning workload chain, parsed once by the caller. */
  workloadExemption?: Exemption | undefined;
  /** Score pods in system namespaces too (default false, as the reference). */
  includeSystemNamespaces?: boolean;
}

export interface PodEvaluation {
  tally: Tally;
  findings: Finding[];
  skipped: SkipReason | undefined;
}

const UNKNOWN = "unknown";

function nameOf(value: unknown, fallback: string): string {
  return typeof value === "string" && value !== "" ? value : fallback;
}

/** Why `pod` is not scored, or undefined when it is. */
export function podSkipReason(pod: PodLike, includeSystemNamespaces = false): SkipReason | undefined {
  const meta = asRecord(pod.metadata);
  if (!includeSystemNamespaces && isSystemNamespace(nameOf(meta?.namespace, "default"))) return "system-namespace";
  if (meta?.deletionTimestamp !== undefined && meta.deletionTimestamp !== null) return "terminating";
  const status = asRecord(pod.status);
  if (status?.phase === "Succeeded") return "succeeded";
  if (status?.phase === "Failed" && isNodeFailure(status.reason)) return "evicted";
  return undefined;
}

interface Context {
  tally: Tally;
  findings: Finding[] | undefined;
  exemption: Exemption | undefined;
  set: CheckSet;
  pod: string;
  namespace: string;
}

/** Counts one finding; returns true when the caller should also push its detail (findings wanted). */
function count(ctx: Context, check: CheckId, units: number): boolean {
  if (isExempt(ctx.exemption, check)) ctx.tally.exempt += 1;
  else {
    ctx.tally[check] += units;
    ctx.tally.violations += 1;
  }
  return ctx.findings !== undefined;
}

/** The detailed finding; only built when findings are collected (the hot path skips it). */
function push(ctx: Context, check: CheckId, units: number, container: string, message: string): void {
  const exempt = isExempt(ctx.exemption, check);
  ctx.findings?.push({
    check,
    severity: ctx.set.severity[check],
    pod: ctx.pod,
    namespace: ctx.namespace,
    container,
    message,
    exempt,
    units,
    ...(exempt && ctx.exemption?.reason !== undefined ? { exemptReason: ctx.exemption.reason } : {}),
  });
}

function checkContainers(ctx: Context, spec: PodSpecLike | undefined): void {
  if (ctx.set.container.length === 0) return;
  const finishes = runsToCompletion(spec);
  forEachContainer(spec, (c, role) => {
    const name = nameOf(c.name, UNKNOWN);
    for (const check of ctx.set.container) {
      if (appliesTo(check.id, role, finishes) && containerViolates(check.id, c) && count(ctx, check.id, 1)) push(ctx, check.id, 1, name, check.message(name, c, SUBJECT[role]));
    }
  });
}

function checkStatusList(ctx: Context, statuses: unknown, subjectOf: (name: string) => string): void {
  if (!Array.isArray(statuses)) return;
  const params = ctx.set.params;
  for (const raw of statuses) {
    const s = asRecord(raw) as ContainerStatusLike | undefined;
    if (!s) continue;
    const name = nameOf(s.name, UNKNOWN);
    for (const check of ctx.set.status) {
      if (!check.violates(s, params)) continue;
      const units = check.units(s);
      if (count(ctx, check.id, units)) push(ctx, check.id, units, name, check.message(name, s, params, subjectOf(name)));
    }
  }
}

const mainSubject = (): string => SUBJECT.container;

/** Restarts of the main containers, then of init containers (sidecars and crash-looping init steps). */
function checkStatuses(ctx: Context, pod: PodLike): void {
  if (ctx.set.status.length === 0) return;
  const status = asRecord(pod.status);
  if (!status) return;
  checkStatusList(ctx, status.containerStatuses, mainSubject);
  // a status carries no restartPolicy: the spec says whether that init container is a sidecar
  checkStatusList(ctx, status.initContainerStatuses, (name) => {
    let subject = SUBJECT.init;
    forEachContainer(pod.spec, (c, role) => {
      if (role === "sidecar" && c.name === name) subject = SUBJECT.sidecar;
    });
    return subject;
  });
}

function run(pod: PodLike, set: CheckSet, options: EvaluateOptions, findings: Finding[] | undefined): { tally: Tally; skipped: SkipReason | undefined } {
  const tally = emptyTally();
  const skipped = podSkipReason(pod, options.includeSystemNamespaces);
  if (skipped) return { tally, skipped };
  const meta = asRecord(pod.metadata);
  tally.pods = 1;
  const ctx: Context = {
    tally,
    findings,
    exemption: resolveExemption(meta?.annotations, options),
    set,
    pod: nameOf(meta?.name, UNKNOWN),
    namespace: nameOf(meta?.namespace, "default"),
  };
  checkContainers(ctx, asRecord(pod.spec) as PodSpecLike | undefined);
  checkStatuses(ctx, pod);
  for (const check of set.pod) {
    if (check.violates(pod, set.params, options.now) && count(ctx, check.id, 1)) push(ctx, check.id, 1, "", check.message(pod, set.params));
  }
  return { tally, skipped };
}

/** Scores one pod: the tally and every finding (exempt ones included, flagged). */
export function evaluatePod(pod: PodLike, set: CheckSet, options: EvaluateOptions): PodEvaluation {
  const findings: Finding[] = [];
  const { tally, skipped } = run(pod, set, options, findings);
  return { tally, findings, skipped };
}

/** Scores one pod without building findings: the hot path for per-event scoring. */
export function tallyPod(pod: PodLike, set: CheckSet, options: EvaluateOptions): Tally {
  return run(pod, set, options, undefined).tally;
}

export interface PodSpecTarget {
  /** The unit's name in findings (workload name for templates). */
  name: string;
  namespace: string;
  /** Annotations on the pod template (exemptions). */
  annotations?: unknown;
}

/**
 * Scores a pod template (Deployment, StatefulSet, ... `spec.template.spec`) as
 * one unit: only the container checks apply, since a template has no status.
 */
export function evaluatePodSpec(
  spec: PodSpecLike | undefined,
  set: CheckSet,
  target: PodSpecTarget,
  options: Omit<EvaluateOptions, "now"> = {},
): PodEvaluation {
  const tally = emptyTally();
  if (!options.includeSystemNamespaces && isSystemNamespace(target.namespace)) {
    return { tally, findings: [], skipped: "system-namespace" };
  }
  tally.pods = 1;
  const findings: Finding[] = [];
  const ctx: Context = {
    tally,
    findings,
    exemption: resolveExemption(target.annotations, options),
    set,
    pod: target.name,
    namespace: target.namespace,
  };
  checkContainers(ctx, spec);
  return { tally, findings, skipped: undefined };
}
