/**
 * @module
 * Offline and live analysis share this: score units (pods with status, pod
 * templates), aggregate per cluster, namespace and workload, and rank the
 * workloads by how many points fixing them would add to the cluster score.
 */
import type { CheckSet } from "../checks/check-set.ts";
import { evaluatePod, evaluatePodSpec, type Finding, type SkipReason } from "../checks/evaluate.ts";
import type { CheckId, CheckParams } from "../checks/registry.ts";
import { asRecord, type PodLike } from "../k8s-objects.ts";
import { matchesLabels, type LabelSelector } from "../label-selector.ts";
import type { SourcedObject } from "../manifests/parse-manifests.ts";
import { formatWorkload, type WorkloadRef } from "../owners.ts";
import { addTallyInto, classify, emptyTally, scoreGain, scoreTally, type Classification, type Tally } from "../score.ts";
import { KubeDevopsError } from "../errors.ts";
import { collectUnits, describeObject, formatObjectNote, type ObjectNote, type Unit } from "./collect-units.ts";
import { dedupeObjects, type DuplicateObject } from "./dedupe-objects.ts";

export interface LocatedFinding extends Finding {
  /** `deployment/shop/cart`: the owning workload. */
  workload: string;
  file: string | undefined;
  line: number | undefined;
}

export interface WorkloadResult {
  ref: WorkloadRef;
  key: string;
  /** Units scored for it: its pods, or 1 for a template. */
  units: number;
  tally: Tally;
  score: number;
  /** Points the cluster score gains when this workload's penalties are fixed. */
  gain: number;
  findings: LocatedFinding[];
  file: string | undefined;
  line: number | undefined;
}

/**
 * The pod a finding was seen on, when the report names its workload instead (a workload's
 * replicas give identical results otherwise); undefined for a bare pod and for a template scored
 * offline, whose findings carry the workload's own name as the pod.
 */
export function replicaPodOf(w: Pick<WorkloadResult, "ref">, f: Pick<Finding, "pod">): string | undefined {
  return w.ref.kind !== "Pod" && f.pod && f.pod !== w.ref.name ? f.pod : undefined;
}

export interface NamespaceResult {
  namespace: string;
  tally: Tally;
  score: number;
  classification: Classification;
}

export interface SkipCounts {
  succeeded: number;
  /** Failed pods their node evicted or rejected (replaced by their controller). */
  evicted: number;
  terminating: number;
  systemNamespace: number;
  /** Left out by -n, --exclude-namespaces or -l. */
  filtered: number;
  /** Pods and controllers with nothing to score: no pod template, no containers (fragments, kustomize patches). */
  incomplete: number;
}

export interface AnalysisReport {
  /** Evaluation time, RFC 3339. */
  evaluatedAt: string;
  /** Where the checks came from: "reference defaults", "bundle restricted", "policy prod/strict". */
  source: string;
  checks: CheckId[];
  params: CheckParams;
  tally: Tally;
  score: number;
  classification: Classification;
  namespaces: NamespaceResult[];
  /** Every workload with at least one finding (exempt included), highest gain first. */
  workloads: WorkloadResult[];
  /** Keys of the other scored workloads (no finding at all), sorted: what JUnit reports as passing. */
  passingWorkloads: string[];
  skipped: SkipCounts;
  /** Objects that are neither pods nor pod controllers. */
  ignoredObjects: number;
  /** Ignored objects per kind ("no kind" for documents without one). */
  ignoredKinds: Record<string, number>;
  /** The units counted in `skipped.incomplete`, each with what it lacks. */
  incomplete: ObjectNote[];
  /** Exemption annotations that are not honoured as written (not strings, unknown check ids). */
  exemptionWarnings: ObjectNote[];
  /** Controllers represented by their pods or owner in the same input. */
  representedTemplates: number;
  /** Objects given more than once (same identity): only the first was scored. */
  duplicates: DuplicateObject[];
  /** Namespaces of the units -n, --exclude-namespaces or -l left out, sorted. */
  filteredNamespaces: string[];
  exemptionsHonoured: boolean;
}

export interface AnalyzeOptions {
  checkSet: CheckSet;
  /** Epoch ms (pending duration). */
  now: number;
  exemptions: boolean;
  source: string;
  /** Score Deployments and friends by their pod template (offline). */
  scoreTemplates: boolean;
  namespaces?: ReadonlySet<string> | undefined;
  excludeNamespaces?: ReadonlySet<string> | undefined;
  selector?: LabelSelector | undefined;
  /**
   * Check pods and controllers structurally (offline input): a type no decoder accepts is an
   * INPUT error, a unit without containers is not scored. API objects are validated by the server.
   */
  checkShape?: boolean;
  /** Documents of the input that were no object (scalars): counted as ignored, kind "not an object". */
  nonObjectDocuments?: number;
}

/** The INPUT error for malformed pods and controllers: each named by file:line and field path. */
function malformedError(notes: readonly ObjectNote[]): KubeDevopsError {
  const shown = notes.slice(0, 5).map(formatObjectNote);
  const more = notes.length > shown.length ? `\n  … and ${notes.length - shown.length} more` : "";
  const message = notes.length === 1 ? `invalid workload: ${shown[0]}` : `${notes.length} invalid workloads:\n  ${shown.join("\n  ")}${more}`;
  return new KubeDevopsError("INPUT", message, { hint: "kubectl would refuse these objects too: fix them, or leave the files out of -f" });
}

function isFiltered(unit: Unit, options: AnalyzeOptions): boolean {
  if (options.namespaces && !options.namespaces.has(unit.namespace)) return true;
  if (options.excludeNamespaces?.has(unit.namespace)) return true;
  if (options.selector && options.selector.length > 0) {
    return !matchesLabels(options.selector, asRecord(asRecord(unit.source.object.metadata)?.labels));
  }
  return false;
}

function countSkip(skipped: SkipCounts, reason: SkipReason): void {
  if (reason === "succeeded") skipped.succeeded++;
  else if (reason === "evicted") skipped.evicted++;
  else if (reason === "terminating") skipped.terminating++;
  else skipped.systemNamespace++;
}

function evaluateUnit(unit: Unit, options: AnalyzeOptions) {
  const common = { exemptions: options.exemptions, workloadExemption: unit.workloadExemption };
  if (unit.kind === "pod") return evaluatePod(unit.source.object as PodLike, options.checkSet, { ...common, now: options.now });
  return evaluatePodSpec(unit.template?.spec, options.checkSet, {
    name: unit.workload.name,
    namespace: unit.namespace,
    annotations: unit.template?.annotations,
  }, common);
}

/** Scores parsed objects into a report. */
export function analyzeObjects(objects: readonly SourcedObject[], options: AnalyzeOptions): AnalysisReport {
  const unique = dedupeObjects(objects);
  const collected = collectUnits(unique.objects, options.scoreTemplates, options.checkShape === true);
  if (collected.malformed.length > 0) throw malformedError(collected.malformed);
  const { units, ignored, represented } = collected;
  const incomplete: ObjectNote[] = [];
  const tally = emptyTally();
  const byNamespace = new Map<string, Tally>();
  const byWorkload = new Map<string, WorkloadResult>();
  const skipped: SkipCounts = { succeeded: 0, evicted: 0, terminating: 0, systemNamespace: 0, filtered: 0, incomplete: 0 };
  const filteredNamespaces = new Set<string>();
  /** Workloads with a unit without findings. */
  const clean = new Set<string>();

  for (const unit of units) {
    if (isFiltered(unit, options)) {
      skipped.filtered++;
      filteredNamespaces.add(unit.namespace);
      continue;
    }
    if (unit.incomplete) {
      // Scored, a unit without containers would be a perfect 100: say it was not scored instead.
      skipped.incomplete++;
      incomplete.push({ object: describeObject(unit.source.object), file: unit.source.file, line: unit.source.line, message: unit.incomplete.message });
      continue;
    }
    const result = evaluateUnit(unit, options);
    if (result.skipped) {
      countSkip(skipped, result.skipped);
      continue;
    }
    addTallyInto(tally, result.tally);
    let ns = byNamespace.get(unit.namespace);
    if (!ns) byNamespace.set(unit.namespace, (ns = emptyTally()));
    addTallyInto(ns, result.tally);
    const key = formatWorkload(unit.workload);
    if (result.findings.length === 0) {
      clean.add(key);
      continue;
    }
    let w = byWorkload.get(key);
    if (!w) {
      w = { ref: unit.workload, key, units: 0, tally: emptyTally(), score: 100, gain: 0, findings: [], file: unit.source.file, line: unit.source.line };
      byWorkload.set(key, w);
    }
    w.units++;
    addTallyInto(w.tally, result.tally);
    for (const f of result.findings) {
      // Locate in place: the findings are ours, and a copy per finding doubles the allocation.
      const located = f as LocatedFinding;
      located.workload = key;
      located.file = unit.source.file;
      located.line = unit.source.line;
      w.findings.push(located);
    }
  }

  const workloads = [...byWorkload.values()];
  for (const w of workloads) {
    w.score = scoreTally(w.tally);
    w.gain = scoreGain(tally, w.tally);
  }
  workloads.sort((a, b) => b.gain - a.gain || b.tally.violations - a.tally.violations || a.key.localeCompare(b.key));
  const score = scoreTally(tally);
  return {
    evaluatedAt: new Date(options.now).toISOString(),
    source: options.source,
    checks: [...options.checkSet.ids],
    params: { ...options.checkSet.params },
    tally,
    score,
    classification: classify(score),
    namespaces: [...byNamespace.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([namespace, t]) => ({ namespace, tally: t, score: scoreTally(t), classification: classify(scoreTally(t)) })),
    workloads,
    passingWorkloads: [...clean].filter((key) => !byWorkload.has(key)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    skipped,
    ignoredObjects: ignored + (options.nonObjectDocuments ?? 0),
    ignoredKinds: options.nonObjectDocuments ? { ...collected.ignoredKinds, "not an object": options.nonObjectDocuments } : collected.ignoredKinds,
    incomplete,
    exemptionWarnings: collected.exemptionWarnings,
    representedTemplates: represented,
    duplicates: unique.duplicates,
    filteredNamespaces: [...filteredNamespaces].sort(),
    exemptionsHonoured: options.exemptions,
  };
}
