/**
 * @module
 * Findings as the ecosystem's report objects, one per namespace: a
 * `wgpolicyk8s.io/v1alpha2` PolicyReport (what Policy Reporter, Kyverno and
 * Trivy read) or an `openreports.io/v1alpha1` Report. Failures only by default,
 * results bounded per report (the etcd lesson of anchors §4B), stable order.
 */
import type { Severity } from "../policy/schema.ts";

export const REPORT_FORMATS = ["wgpolicyk8s", "openreports"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
/** `reconcile --reports` / `deploy --reports`: a format, or none. */
export const REPORTS_SETTINGS = ["none", ...REPORT_FORMATS] as const;
export type ReportsSetting = (typeof REPORTS_SETTINGS)[number];

/** What a report result is made from (a scored or exempt finding). */
export interface ReportFinding {
  check: string;
  severity: Severity;
  namespace: string;
  container: string;
  message: string;
  exempt: boolean;
  exemptReason?: string | undefined;
  /** The pod the finding was seen on, when `resource` is its workload (replicas give identical results otherwise). */
  pod?: string | undefined;
  /** The workload (or pod) the finding is about. */
  resource: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string | undefined };
}

export interface ReportOptions {
  format: ReportFormat;
  /** `policy` of every result: the DevOpsPolicy or bundle the checks came from. */
  policy: string;
  /** Epoch ms of the evaluation. */
  now: number;
  /** Include exempt findings as `skip` results (default: failures only). */
  includeSkipped?: boolean;
  /** Results kept per report; the rest are counted in the summary and an annotation. */
  maxResults?: number;
}

export const REPORT_NAME = "kube-devops";
export const SOURCE = "kube-devops";
export const TRUNCATED_ANNOTATION = "devops.stochastic.io/results-truncated";
const DEFAULT_MAX_RESULTS = 500;

type Summary = { pass: number; fail: number; warn: number; error: number; skip: number };

/** The wgpolicyk8s prototype enum is high|medium|low: critical rides in properties. */
function reportSeverity(severity: Severity, format: ReportFormat): string {
  return format === "wgpolicyk8s" && severity === "critical" ? "high" : severity;
}

function toResult(f: ReportFinding, options: ReportOptions): Record<string, unknown> {
  const seconds = Math.floor(options.now / 1000);
  const properties: Record<string, string> = { severity: f.severity, ...(f.container ? { container: f.container } : {}), ...(f.pod ? { pod: f.pod } : {}) };
  if (f.exemptReason) properties.exemptReason = f.exemptReason;
  return {
    source: SOURCE,
    policy: options.policy,
    rule: f.check,
    category: "DevOps best practice",
    severity: reportSeverity(f.severity, options.format),
    timestamp: { seconds, nanos: 0 },
    result: f.exempt ? "skip" : "fail",
    scored: !f.exempt,
    message: f.message,
    resources: [{ apiVersion: f.resource.apiVersion, kind: f.resource.kind, name: f.resource.name, namespace: f.resource.namespace, ...(f.resource.uid ? { uid: f.resource.uid } : {}) }],
    properties,
  };
}

function sortKey(f: ReportFinding): string {
  return `${f.resource.kind}/${f.resource.name}/${f.pod ?? ""}/${f.container}/${f.check}`;
}

/** One report per namespace that has findings, sorted by namespace. */
export function buildPolicyReports(findings: readonly ReportFinding[], options: ReportOptions): Record<string, unknown>[] {
  const byNamespace = new Map<string, ReportFinding[]>();
  for (const f of findings) {
    if (f.exempt && !options.includeSkipped) continue;
    const list = byNamespace.get(f.namespace) ?? [];
    list.push(f);
    byNamespace.set(f.namespace, list);
  }
  const max = options.maxResults ?? DEFAULT_MAX_RESULTS;
  return [...byNamespace.keys()].sort().map((namespace) => {
    const list = (byNamespace.get(namespace) ?? []).sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    const summary: Summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
    for (const f of list) summary[f.exempt ? "skip" : "fail"]++;
    const kept = list.slice(0, max);
    const annotations = list.length > max ? { [TRUNCATED_ANNOTATION]: String(list.length - max) } : undefined;
    const head = options.format === "wgpolicyk8s" ? { apiVersion: "wgpolicyk8s.io/v1alpha2", kind: "PolicyReport" } : { apiVersion: "openreports.io/v1alpha1", kind: "Report" };
    return {
      ...head,
      metadata: { name: REPORT_NAME, namespace, labels: { "app.kubernetes.io/managed-by": "kube-devops" }, ...(annotations ? { annotations } : {}) },
      ...(options.format === "openreports" ? { source: SOURCE } : {}),
      summary,
      results: kept.map((f) => toResult(f, options)),
    };
  });
}
