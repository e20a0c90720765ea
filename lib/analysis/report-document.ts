/**
 * @module
 * The machine-readable report (`-o json|yaml`): a stable document whose
 * summary counters keep the reference's names (the violation type ids), with
 * per-namespace scores and every workload's findings.
 */
import { API_VERSION } from "../policy/schema.ts";
import type { AnalysisReport } from "./build-report.ts";

/** The report as plain data, ready for JSON.stringify or YAML. */
export function reportDocument(report: AnalysisReport) {
  const t = report.tally;
  return {
    apiVersion: API_VERSION,
    kind: "AnalysisReport",
    evaluatedAt: report.evaluatedAt,
    source: report.source,
    checks: report.checks,
    params: report.params,
    exemptionsHonoured: report.exemptionsHonoured,
    summary: {
      total_pods: t.pods,
      latest_tag: t.latest_tag,
      missing_liveness: t.missing_liveness,
      missing_readiness: t.missing_readiness,
      high_restarts: t.high_restarts,
      pending: t.pending,
      missing_requests: t.missing_requests,
      missing_limits: t.missing_limits,
      violations: t.violations,
      exempt: t.exempt,
      score: report.score,
      classification: report.classification,
    },
    skipped: report.skipped,
    ignoredObjects: report.ignoredObjects,
    ignoredKinds: report.ignoredKinds,
    incomplete: report.incomplete,
    exemptionWarnings: report.exemptionWarnings,
    representedTemplates: report.representedTemplates,
    namespaces: report.namespaces.map((n) => ({
      namespace: n.namespace,
      pods: n.tally.pods,
      violations: n.tally.violations,
      exempt: n.tally.exempt,
      score: n.score,
      classification: n.classification,
    })),
    workloads: report.workloads.map((w) => ({
      kind: w.ref.kind,
      namespace: w.ref.namespace,
      name: w.ref.name,
      units: w.units,
      violations: w.tally.violations,
      exempt: w.tally.exempt,
      score: w.score,
      gain: w.gain,
      ...(w.file === undefined ? {} : { file: w.file }),
      ...(w.line === undefined ? {} : { line: w.line }),
      findings: w.findings.map((f) => ({
        check: f.check,
        severity: f.severity,
        pod: f.pod,
        container: f.container,
        message: f.message,
        exempt: f.exempt,
        ...(f.exemptReason === undefined ? {} : { exemptReason: f.exemptReason }),
        units: f.units,
      })),
    })),
  };
}
