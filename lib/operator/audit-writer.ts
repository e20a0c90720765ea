/**
 * @module
 * Writes audit history: a PolicyAuditResult when the result changed or the audit
 * interval passed, then retention by label (never a LIST of every result in the
 * namespace). The last recorded result per policy is remembered, and recovered
 * from the newest stored one after a restart.
 */
import { isAlreadyExists, isNotFound, KubeApiError } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { POLICY_AUDIT_RESULTS, resourceName } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { Logger } from "../log.ts";
import { buildAuditResult, lastAuditOf, planRetention, POLICY_LABEL, resultFingerprint, shouldRecordAudit, type LastAudit, type StoredAuditResult } from "./audit.ts";
import type { PolicyEvaluation } from "./evaluate-policy.ts";
import type { OperatorMetrics } from "./metrics.ts";

/** The last audit per policy key; only the reconcile of that key touches its entry. */
export class AuditState {
  private readonly last = new Map<string, LastAudit>();
  /** The PolicyAuditResult CRD was found missing (and said so once); cleared when a write works again. */
  crdAbsent = false;
  get(key: string): LastAudit | undefined {
    return this.last.get(key);
  }
  set(key: string, value: LastAudit): void {
    this.last.set(key, value);
  }
  forget(key: string): void {
    this.last.delete(key);
  }
}

export interface AuditDeps {
  client: KubeClient;
  logger: Logger;
  metrics: OperatorMetrics;
  audit: AuditState;
  options: { auditIntervalMs: number; auditRetention: number };
}

async function listResults(deps: AuditDeps, namespace: string, name: string, uid: string | undefined): Promise<(StoredAuditResult & KubeObject)[]> {
  const label = name.length <= 63 ? name : name.slice(0, 63).replace(/[-.]+$/, "");
  const { items } = await deps.client.listAll<StoredAuditResult & KubeObject>(POLICY_AUDIT_RESULTS, { namespace, labelSelector: `${POLICY_LABEL}=${label}` });
  return items.filter((i) => i.spec?.policyName === name && (uid === undefined || (i.metadata?.ownerReferences ?? []).some((o) => o.uid === uid)));
}

const AUDIT_RESOURCE = resourceName(POLICY_AUDIT_RESULTS);

/**
 * Records a result if due and applies retention; errors propagate (the reconcile retries), except
 * a missing PolicyAuditResult CRD: warned about once, history waits for `crd install`, and the
 * policy's status, Events and reports go on (it used to fail every reconcile as a stale read).
 */
export async function recordAudit(deps: AuditDeps, policy: KubeObject, evaluation: PolicyEvaluation, now: Date): Promise<void> {
  try {
    await recordAuditOrThrow(deps, policy, evaluation, now);
  } catch (err) {
    if (!(isNotFound(err) && err instanceof KubeApiError && err.request.resource === AUDIT_RESOURCE)) throw err;
    if (!deps.audit.crdAbsent) deps.logger.warn("audit_crd_absent", { hint: "the PolicyAuditResult CRD is not installed: run kube-devops crd install; audit history is not recorded until it is" });
    deps.audit.crdAbsent = true;
  }
}

async function recordAuditOrThrow(deps: AuditDeps, policy: KubeObject, evaluation: PolicyEvaluation, now: Date): Promise<void> {
  const { namespace = "", name = "", uid } = policy.metadata ?? {};
  if (!uid || deps.options.auditRetention <= 0) return;
  const key = `${namespace}/${name}`;
  const hash = resultFingerprint(evaluation);
  let last = deps.audit.get(key);
  if (!last) {
    last = lastAuditOf(await listResults(deps, namespace, name, uid));
    if (last) deps.audit.set(key, last);
  }
  if (!shouldRecordAudit(last, hash, now.getTime(), deps.options.auditIntervalMs)) return;
  const object = buildAuditResult({ name, namespace, uid }, evaluation, now, hash);
  const create = () => deps.client.create(POLICY_AUDIT_RESULTS, object, { namespace, fieldManager: "kube-devops-operator" });
  // generateName can collide (the server answers 409 then); a second name is drawn on retry.
  const created = await create().catch((err: unknown) => (isAlreadyExists(err) ? create() : Promise.reject(err)));
  deps.audit.set(key, { hash, at: now.getTime() });
  deps.metrics.auditResults.inc();
  if (deps.audit.crdAbsent) deps.logger.info("audit_crd_restored", { namespace, policy: name });
  deps.audit.crdAbsent = false;
  deps.logger.debug("audit_result_created", { namespace, policy: name, name: created.metadata?.name });
  for (const old of planRetention(await listResults(deps, namespace, name, uid), deps.options.auditRetention)) {
    try {
      await deps.client.delete(POLICY_AUDIT_RESULTS, old, { namespace });
    } catch (err) {
      if (!isNotFound(err)) deps.logger.warn("audit_result_delete_failed", { namespace, name: old, error: (err as Error).message });
    }
  }
}
