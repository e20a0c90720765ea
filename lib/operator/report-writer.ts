/**
 * @module
 * `reconcile --reports`: one PolicyReport (wgpolicyk8s) or Report (OpenReports) per
 * DevOpsPolicy in its namespace, owned by the policy (GC removes it), written only
 * when its content changed. Never fails a reconcile: reports are a side channel.
 */
import { createHash } from "node:crypto";
import { isAlreadyExists, isConflict, isNotFound, KubeApiError } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { OPEN_REPORTS, WG_POLICY_REPORTS, type ResourceType } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { PodLike } from "../k8s-objects.ts";
import type { Logger } from "../log.ts";
import { API_GROUP } from "../policy/schema.ts";
import { buildPolicyReports, REPORT_NAME, type ReportFinding, type ReportFormat } from "../reports/policy-report.ts";
import type { PolicyEvaluation } from "./evaluate-policy.ts";
import type { OperatorMetrics } from "./metrics.ts";

export const POLICY_NAME_LABEL = "devops.stochastic.io/policy";
const FIELD_MANAGER = "kube-devops-operator";
const MAX_NAME = 253;

export function reportResource(format: ReportFormat): ResourceType {
  return format === "wgpolicyk8s" ? WG_POLICY_REPORTS : OPEN_REPORTS;
}

/** `kube-devops-<policy>`, hash-suffixed to stay a valid object name (≤ 253). */
export function reportName(policy: string): string {
  const name = `${REPORT_NAME}-${policy}`;
  if (name.length <= MAX_NAME) return name;
  const hash = createHash("sha256").update(policy).digest("hex").slice(0, 10);
  return `${name.slice(0, MAX_NAME - hash.length - 1).replace(/[-.]+$/, "")}-${hash}`;
}

/** A label value: ≤ 63 characters, alphanumeric at both ends. */
function labelValue(value: string): string {
  return value.length <= 63 ? value : value.slice(0, 63).replace(/[^A-Za-z0-9]+$/, "");
}

type ReportObject = KubeObject & { summary?: unknown; results?: unknown[] };

/** The report of one policy's evaluation (pure): an empty result set gives a zero summary. */
export function buildOperatorReport(policy: { name: string; namespace: string; uid: string }, pods: readonly PodLike[], evaluation: PolicyEvaluation, format: ReportFormat, now: number): ReportObject {
  const uids = new Map(pods.map((p) => [p.metadata?.name ?? "", (p.metadata as { uid?: string } | undefined)?.uid]));
  const findings: ReportFinding[] = evaluation.findings.map((f) => ({
    check: f.check,
    severity: f.severity,
    namespace: policy.namespace,
    container: f.container,
    message: f.message,
    exempt: f.exempt,
    exemptReason: f.exemptReason,
    resource: { apiVersion: "v1", kind: "Pod", name: f.pod, namespace: f.namespace, uid: uids.get(f.pod) },
  }));
  const [built] = buildPolicyReports(findings, { format, policy: policy.name, now });
  const head = format === "wgpolicyk8s" ? { apiVersion: "wgpolicyk8s.io/v1alpha2", kind: "PolicyReport" } : { apiVersion: "openreports.io/v1alpha1", kind: "Report", source: REPORT_NAME };
  const report = (built ?? { ...head, summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 }, results: [] }) as ReportObject;
  const annotations = (report.metadata?.annotations ?? undefined) as Record<string, string> | undefined;
  report.metadata = {
    name: reportName(policy.name),
    namespace: policy.namespace,
    labels: { "app.kubernetes.io/managed-by": "kube-devops", [POLICY_NAME_LABEL]: labelValue(policy.name) },
    ...(annotations ? { annotations } : {}),
    ownerReferences: [{ apiVersion: `${API_GROUP}/v1`, kind: "DevOpsPolicy", name: policy.name, uid: policy.uid, controller: true, blockOwnerDeletion: false }],
  };
  return report;
}

/** What decides a write: everything but timestamps and server-set metadata. */
export function reportFingerprint(report: ReportObject): string {
  const results = (report.results ?? []).map((r) => ({ ...(r as Record<string, unknown>), timestamp: undefined }));
  const m = report.metadata ?? {};
  return JSON.stringify([report.summary ?? null, results, m.labels ?? {}, m.annotations ?? {}, (m.ownerReferences ?? []).map((o) => o.uid)]);
}

/** 404 for the resource type itself (CRD not installed), not for one object. */
function isMissingResource(err: unknown): boolean {
  return isNotFound(err) && !(err instanceof KubeApiError && err.status?.details?.name);
}

export interface ReportWriterDeps {
  client: KubeClient;
  logger: Logger;
  metrics: OperatorMetrics;
  format: ReportFormat;
  /** Re-read an unchanged report at most this often (ms), so one deleted by hand comes back. */
  recheckMs: number;
}

/** Upserts the report of each reconciled policy; remembers what it last wrote per policy. */
export class ReportWriter {
  private readonly written = new Map<string, { fingerprint: string; at: number }>();
  /** The last failure logged per policy: the same one again on every requeue is not news. */
  private readonly failing = new Map<string, string>();
  private warnedMissing = false;
  private readonly type: ResourceType;

  constructor(private readonly deps: ReportWriterDeps) {
    this.type = reportResource(deps.format);
  }

  forget(key: string): void {
    this.written.delete(key);
    this.failing.delete(key);
  }

  /** Writes the policy's report when its content changed; logs and counts failures, never throws. */
  async write(policy: KubeObject, pods: readonly PodLike[], evaluation: PolicyEvaluation, now: Date): Promise<void> {
    const { namespace = "", name = "", uid } = policy.metadata ?? {};
    if (!uid) return;
    const key = `${namespace}/${name}`;
    const desired = buildOperatorReport({ name, namespace, uid }, pods, evaluation, this.deps.format, now.getTime());
    const fingerprint = reportFingerprint(desired);
    const last = this.written.get(key);
    if (last?.fingerprint === fingerprint && now.getTime() - last.at < this.deps.recheckMs) return;
    try {
      const outcome = await this.upsert(desired, fingerprint, 1);
      this.written.set(key, { fingerprint, at: now.getTime() });
      if (outcome !== "unchanged") {
        this.deps.metrics.reportWrites.inc({ result: outcome });
        this.deps.logger.debug("report_written", { namespace, policy: name, report: desired.metadata?.name, outcome });
      }
      if (this.failing.delete(key)) this.deps.logger.info("report_write_recovered", { namespace, policy: name, report: desired.metadata?.name });
    } catch (err) {
      this.written.delete(key);
      if (isMissingResource(err)) {
        if (!this.warnedMissing) this.deps.logger.warn("report_crd_missing", { resource: `${this.type.plural}.${this.type.group}`, hint: `install the ${this.deps.format} report CRD, or run with --reports none` });
        this.warnedMissing = true;
        return;
      }
      this.deps.metrics.reportWrites.inc({ result: "error" });
      const message = (err as Error).message;
      const repeated = this.failing.get(key) === message;
      this.failing.set(key, message);
      // Logged when it starts or changes; devopspolicy_report_writes_total{result="error"} counts every one.
      if (repeated) this.deps.logger.debug("report_write_failed", { namespace, policy: name, error: message });
      else this.deps.logger.warn("report_write_failed", { namespace, policy: name, error: message });
    }
  }

  /** GET, then create or update with its resourceVersion; one retry on a lost race. */
  private async upsert(desired: ReportObject, fingerprint: string, retries: number): Promise<"created" | "updated" | "unchanged"> {
    const { name = "", namespace } = desired.metadata ?? {};
    const current = await this.deps.client.get<ReportObject>(this.type, name, { namespace }).catch((err: unknown) => {
      if (isNotFound(err) && !isMissingResource(err)) return undefined;
      throw err;
    });
    try {
      if (!current) {
        await this.deps.client.create(this.type, desired, { namespace, fieldManager: FIELD_MANAGER });
        return "created";
      }
      if (reportFingerprint(current) === fingerprint) return "unchanged";
      const metadata = { ...current.metadata, ...desired.metadata, resourceVersion: current.metadata?.resourceVersion };
      await this.deps.client.update(this.type, { ...desired, metadata }, { namespace, fieldManager: FIELD_MANAGER });
      return "updated";
    } catch (err) {
      if (retries > 0 && (isConflict(err) || isAlreadyExists(err))) return this.upsert(desired, fingerprint, retries - 1);
      throw err;
    }
  }
}
