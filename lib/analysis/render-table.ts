/**
 * @module
 * The human report of `analyze`: the reference's summary block byte for byte,
 * then what the reference never showed — the extra checks, exemptions, skipped
 * pods, per-namespace scores and the workloads whose fixes gain the most points.
 */
import { CHECK_BY_ID, type CheckId } from "../checks/registry.ts";
import type { AnalysisReport, LocatedFinding, WorkloadResult } from "./build-report.ts";
import { describeIgnoredKinds } from "./describe-empty-scope.ts";
import { visibleLine } from "./visible-text.ts";

/** The reference's block (§1.4), followed by its blank line. */
export function renderSummaryBlock(report: AnalysisReport): string {
  const t = report.tally;
  return [
    "===== DevOps Governance Summary =====",
    `Workload Pods Analyzed     : ${t.pods}`,
    `Images using :latest       : ${t.latest_tag}`,
    `Missing liveness probes    : ${t.missing_liveness}`,
    `Missing readiness probes   : ${t.missing_readiness}`,
    `Restart severity score     : ${t.high_restarts}`,
    `Pending pods               : ${t.pending}`,
    "--------------------------------------",
    `Cluster Health Score       : ${report.score}/100`,
    `Cluster Status             : ${report.classification}`,
    "======================================",
    "",
  ].join("\n");
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

function padStart(text: string, width: number): string {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

/** "add a livenessProbe (api, sidecar); pin the image ... (api)": what to change, per check. */
export function describeFixes(findings: readonly LocatedFinding[]): string {
  const byCheck = new Map<CheckId, Set<string>>();
  for (const f of findings) {
    if (f.exempt) continue;
    let set = byCheck.get(f.check);
    if (!set) byCheck.set(f.check, (set = new Set()));
    if (f.container !== "") set.add(f.container);
  }
  return [...byCheck.entries()]
    .map(([id, containers]) => (containers.size > 0 ? `${CHECK_BY_ID[id].fix} (${[...containers].map(visibleLine).join(", ")})` : CHECK_BY_ID[id].fix))
    .join("; ");
}

function renderDetails(report: AnalysisReport): string[] {
  const t = report.tally;
  const lines: string[] = [];
  if (report.checks.includes("missing_requests")) lines.push(`Missing resource requests  : ${t.missing_requests}`);
  if (report.checks.includes("missing_limits")) lines.push(`Missing resource limits    : ${t.missing_limits}`);
  lines.push(`Violations                 : ${t.violations}`);
  if (t.exempt > 0) lines.push(`Exempt findings            : ${t.exempt} (reported, not scored; --no-exemptions scores them)`);
  const s = report.skipped;
  const skipped = [
    s.succeeded ? `${s.succeeded} Succeeded` : "",
    s.evicted ? `${s.evicted} evicted or rejected by their node` : "",
    s.terminating ? `${s.terminating} terminating` : "",
    s.systemNamespace ? `${s.systemNamespace} in system namespaces` : "",
    s.filtered ? `${s.filtered} filtered out` : "",
    s.incomplete ? `${s.incomplete} without containers` : "",
  ].filter((x) => x !== "");
  if (skipped.length) lines.push(`Not scored                 : ${skipped.join(", ")}`);
  // Kinds analyze does not read (an Argo Rollout, a PodTemplate) must not vanish without a word.
  if (report.ignoredObjects > 0) lines.push(`Ignored                    : ${report.ignoredObjects} objects (${visibleLine(describeIgnoredKinds(report.ignoredKinds))}): not pods or pod controllers`);
  lines.push(`Checks                     : ${report.checks.join(", ") || "none"} (${visibleLine(report.source)})`);
  return lines;
}

function renderNamespaces(report: AnalysisReport): string[] {
  if (report.namespaces.length === 0) return [];
  const names = new Map(report.namespaces.map((n) => [n.namespace, visibleLine(n.namespace)]));
  const width = Math.max(9, ...[...names.values()].map((n) => n.length)) + 2;
  const lines = [`${pad("NAMESPACE", width)}${padStart("PODS", 6)}${padStart("VIOLATIONS", 12)}${padStart("SCORE", 7)}  STATUS`];
  // Worst first: the namespaces that need attention lead.
  const sorted = [...report.namespaces].sort((a, b) => a.score - b.score || a.namespace.localeCompare(b.namespace));
  for (const n of sorted) {
    lines.push(`${pad(names.get(n.namespace) as string, width)}${padStart(String(n.tally.pods), 6)}${padStart(String(n.tally.violations), 12)}${padStart(String(n.score), 7)}  ${n.classification}`);
  }
  return lines;
}

function renderTopFixes(workloads: readonly WorkloadResult[], limit: number): string[] {
  const withViolations = workloads.filter((w) => w.tally.violations > 0);
  if (withViolations.length === 0) return ["No violations to fix."];
  if (limit === 0) return [`TOP FIXES off (--top 0): ${withViolations.length} workload(s) with violations not listed (-o json lists them all)`];
  const top = withViolations.slice(0, limit);
  const keys = top.map((w) => visibleLine(w.key));
  const width = Math.max(8, ...keys.map((k) => k.length)) + 2;
  const lines = [`TOP FIXES (points the cluster score gains when the workload is fixed)`, `${padStart("GAIN", 6)}  ${pad("WORKLOAD", width)}FIX`];
  top.forEach((w, i) => lines.push(`${padStart(`+${w.gain.toFixed(1)}`, 6)}  ${pad(keys[i] as string, width)}${describeFixes(w.findings)}`));
  const rest = withViolations.length - top.length;
  if (rest > 0) lines.push(`… and ${rest} more workload(s) with violations (-o json lists them all)`);
  return lines;
}

/** The whole table output. */
export function renderTable(report: AnalysisReport, topFixes = 10): string {
  return [
    renderSummaryBlock(report),
    ...renderDetails(report),
    "",
    ...renderNamespaces(report),
    ...(report.namespaces.length ? [""] : []),
    ...renderTopFixes(report.workloads, topFixes),
    "",
  ].join("\n");
}
