/**
 * @module
 * What live `analyze` says when the server listed no pods, and whether a gate may pass over it
 * (decision 0014): a missing namespace, or a selector that left out every pod in scope, is the
 * live form of "the filter left nothing" and refuses; an existing namespace without pods is an
 * empty input and only warns, as an empty List in a `-f` file does (`kubectl get pods -o yaml` of
 * it). A `-f` input without a single document is refused under a gate (describeNothingScored).
 */
import { NAMED_SYSTEM_NAMESPACES } from "../namespaces.ts";
import { visibleLine } from "./visible-text.ts";

/** What the server says about a live scope that listed no pods. */
export type EmptyLiveScope =
  /** The scope has pods, but `-l` selected none of them. */
  | { kind: "unselected"; namespace: string | undefined }
  /** `-n` names a namespace that does not exist. */
  | { kind: "missing"; namespace: string }
  /** `-n` found no pods and the identity may not get the namespace: it may or may not exist. */
  | { kind: "unknown"; namespace: string; reason: string }
  /** The namespace (or, without `-n`, the cluster) exists and has no pods. */
  | { kind: "empty"; namespace: string | undefined };

export interface EmptyScopeVerdict {
  /** True when a gate must not pass: the flags, not the cluster, made the selection empty (or may have). */
  refuse: boolean;
  message: string;
  /** What to do about it, when the flags' usual hint does not fit. */
  hint?: string;
}

/** `-n shopp left nothing to score: namespace "shopp" not found`; `filters` as describeFilters gives them, "" when none. */
export function describeEmptyScope(scope: EmptyLiveScope, filters: string): EmptyScopeVerdict {
  const by = filters ? `${filters} ` : "";
  const where = scope.namespace === undefined ? "the cluster" : `namespace "${scope.namespace}"`;
  switch (scope.kind) {
    case "missing":
      return { refuse: true, message: visibleLine(`${by}left nothing to score: namespace "${scope.namespace}" not found`) };
    case "unknown":
      return { refuse: true, message: visibleLine(`${by}left nothing to score: no pods in namespace "${scope.namespace}", which may not exist (cannot get it: ${scope.reason})`) };
    case "unselected":
      return { refuse: true, message: visibleLine(`${by}left nothing to score: ${where} has pods, none of them selected`) };
    case "empty":
      return { refuse: false, message: visibleLine(`${by}found nothing to score: ${where} has no pods`) };
  }
}

/** The parts of a report that say why nothing was scored. */
export interface ScoredNothing {
  tally: { pods: number };
  skipped: { succeeded: number; evicted: number; terminating: number; systemNamespace: number; filtered: number; incomplete: number };
  ignoredObjects: number;
  ignoredKinds: Record<string, number>;
}

/** `Rollout 3, PodTemplate 1, no kind 1`: most first, at most `limit` kinds. */
export function describeIgnoredKinds(kinds: Record<string, number>, limit = 6): string {
  const sorted = Object.entries(kinds).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const shown = sorted.slice(0, limit).map(([k, n]) => `${k} ${n}`);
  if (sorted.length > limit) shown.push(`${sorted.length - limit} more kinds`);
  return shown.join(", ");
}

/**
 * When a report scored nothing although its input held something — pods only in system
 * namespaces, workloads without containers, objects analyze does not read — a gate has nothing
 * to judge and must not pass (decision 0014: exit 2). `filters` as describeFilters gives them,
 * "" when none; `input` names the files read (offline); undefined when something was scored or
 * there was nothing at all to miss — except offline, where an input without a single document
 * (`noDocuments`: empty, or comments and `---` only) is refused too: a gate fed an empty file is most
 * often behind a step that failed. An empty List is a listing of nothing, and passes as 0014 says. `wholeCluster` (live, no filter): a cluster whose only pods
 * are the system's is a cluster without workloads yet, which 0014 lets a gate judge (a pipeline
 * that gates before its first deploy): a warning, not a refusal.
 */
export function describeNothingScored(report: ScoredNothing, filters: string, input?: string, options: { wholeCluster?: boolean; noDocuments?: boolean } = {}): EmptyScopeVerdict | undefined {
  if (report.tally.pods > 0) return undefined;
  const s = report.skipped;
  const system = `${s.systemNamespace} pod(s) in system namespaces (kube-*, *-system, ${NAMED_SYSTEM_NAMESPACES.join(", ")}), which analyze never scores`;
  const reasons: string[] = [];
  if (s.systemNamespace > 0) reasons.push(system);
  if (s.incomplete > 0) reasons.push(`${s.incomplete} pod(s) or controller(s) without containers`);
  if (report.ignoredObjects > 0) reasons.push(`${report.ignoredObjects} object(s) that are no pod or pod controller (${describeIgnoredKinds(report.ignoredKinds)})`);
  if (reasons.length === 0) {
    // Offline input with nothing in it at all: most often the step that was to write it failed
    // (`helm template … > out.yaml` erroring into an empty file) — a gate must not pass it as 100.
    // not an empty List (`kubectl get pods -o yaml` of a namespace without pods): that is decision 0014's empty selection
    const nothingAtAll = input !== undefined && options.noDocuments === true && Object.values(s).every((n) => n === 0);
    return nothingAtAll
      ? { refuse: true, hint: "an empty input is most often a step that failed to write it: check the step that produced the files, or leave the gate out where an empty input is expected", message: visibleLine(`nothing to score${filters ? ` (${filters})` : ""} in ${input}: no pods, pod controllers or other objects, only empty documents or comments`) }
      : undefined;
  }
  if (options.wholeCluster && reasons.length === 1 && s.systemNamespace > 0) {
    return { refuse: false, message: visibleLine(`found nothing to score: the cluster's only pods are ${system}`) };
  }
  const hint = s.systemNamespace > 0
    ? "analyze judges application namespaces: choose one with -n, or leave -n out"
    : "give -f the pods and pod controllers (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController, DeploymentConfig) to judge";
  return { refuse: true, hint, message: visibleLine(`${filters ? `${filters} left nothing` : "nothing"} to score${input ? ` in ${input}` : ""}: ${reasons.join("; ")}`) };
}
