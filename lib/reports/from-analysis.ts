/**
 * @module
 * An `analyze` report as PolicyReport / OpenReports objects: every finding of
 * every workload, attributed to the workload (or bare pod) it belongs to.
 */
import { replicaPodOf, type AnalysisReport } from "../analysis/build-report.ts";
import { buildPolicyReports, type ReportFinding, type ReportFormat } from "./policy-report.ts";

const API_VERSIONS: Readonly<Record<string, string>> = {
  Pod: "v1",
  ReplicationController: "v1",
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  ReplicaSet: "apps/v1",
  Job: "batch/v1",
  CronJob: "batch/v1",
};

/** The findings of `report` in report form (exempt ones included, as `skip`). */
export function reportFindingsOf(report: AnalysisReport): ReportFinding[] {
  const out: ReportFinding[] = [];
  for (const w of report.workloads) {
    const resource = { apiVersion: API_VERSIONS[w.ref.kind] ?? "v1", kind: w.ref.kind, name: w.ref.name, namespace: w.ref.namespace };
    for (const f of w.findings) {
      const pod = replicaPodOf(w, f);
      out.push({ check: f.check, severity: f.severity, namespace: f.namespace, container: f.container, message: f.message, exempt: f.exempt, exemptReason: f.exemptReason, ...(pod ? { pod } : {}), resource });
    }
  }
  return out;
}

/** One report per namespace for `analyze -o policyreport|openreports`. */
export function renderAnalysisReports(report: AnalysisReport, format: ReportFormat, options: { includeSkipped?: boolean; maxResults?: number } = {}): Record<string, unknown>[] {
  return buildPolicyReports(reportFindingsOf(report), { format, policy: report.source === "reference defaults" ? "kube-devops-defaults" : report.source.replace(/\s+/g, "-"), now: Date.parse(report.evaluatedAt), ...options });
}
