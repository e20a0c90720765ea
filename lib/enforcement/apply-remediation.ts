/**
 * @module
 * Applies enforcement plans to the workloads of one namespace: list the
 * Deployments, StatefulSets and DaemonSets, plan each from its own template,
 * and patch at most `maxPatches` of them with their guarded JSON Patch. A
 * conflict or a failed `test` (someone edited the workload meanwhile) re-reads,
 * re-plans and retries a bounded number of times — a concurrent edit is never
 * overwritten. Dry runs: `client` plans only, `server` asks the API server.
 */
import type { KubeClient } from "../kube/client.ts";
import { isConflict, isNotFound, InvalidError, mayHaveCommitted } from "../kube/api-errors.ts";
import { buildEvent } from "../event-object.ts";
import { DAEMONSETS, DEPLOYMENTS, EVENTS, STATEFULSETS, type ResourceType } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { DevOpsPolicySpec } from "../policy/schema.ts";
import { planWorkloadRemediation, type PlanOptions, type WorkloadObject, type WorkloadPlan } from "./plan-workload.ts";
import { patchLanded } from "./patch-landed.ts";
import { describeRemediation } from "./remediation-message.ts";

export const ENFORCEMENT_FIELD_MANAGER = "kube-devops-operator";
const MAX_ATTEMPTS = 3;

const TYPES: Record<string, ResourceType> = { Deployment: DEPLOYMENTS, StatefulSet: STATEFULSETS, DaemonSet: DAEMONSETS };

export type DryRun = "none" | "client" | "server";

export interface WorkloadResult {
  plan: WorkloadPlan;
  /**
   * applied: patched; failed: patch kept failing; deferred: over the per-cycle budget; planned: dry
   * run; compliant / unresolved / skipped: the plan's outcome (nothing to patch). Any status but
   * skipped can come with `plan.unresolved` items: violations the patch leaves.
   */
  status: "applied" | "failed" | "deferred" | "planned" | "compliant" | "unresolved" | "skipped";
  error?: string;
}

export interface EnforcementReport {
  applied: number;
  failed: number;
  /** Keys (`deployment/ns/name`) of patched workloads. */
  workloads: string[];
  results: WorkloadResult[];
  /** Why patching stopped early (`beforePatch` threw): this workload and the rest were deferred. */
  halted?: unknown;
}

export interface EnforceOptions extends PlanOptions {
  namespace: string;
  spec: DevOpsPolicySpec;
  /** At most this many workloads patched per call (the rest wait for the next cycle). */
  maxPatches: number;
  dryRun?: DryRun;
  /** Why the patch happened, for the Event on each patched workload. */
  reason?: string;
  now?: () => Date;
  /**
   * Once aborted (shutdown, or the operator lost its lease), no further patch is started: the
   * rest are deferred to whoever leads next. A patch in flight completes (each is atomic), and so
   * does one whose `beforePatch` record was already on the wire (it is stored: decision 0038); one
   * that meets a concurrent edit is not re-planned and sent again, but deferred too.
   */
  signal?: AbortSignal;
  /**
   * Called before each workload patch with this call's totals as they will be once it lands (the
   * operator records them in status: decision 0038). The patch is sent only after it resolves;
   * when it throws, no further patch is sent and the error is the report's `halted`.
   */
  beforePatch?: (intent: { applied: number; workloads: string[] }) => Promise<void>;
}

type Enforceable = WorkloadObject & KubeObject;

async function listWorkloads(client: KubeClient, namespace: string): Promise<Enforceable[]> {
  const out: Enforceable[] = [];
  for (const [kind, type] of Object.entries(TYPES)) {
    const { items } = await client.listAll<Enforceable>(type, { namespace });
    for (const item of items) out.push({ ...item, kind });
  }
  return out.sort((a, b) => `${a.kind}/${a.metadata?.name}`.localeCompare(`${b.kind}/${b.metadata?.name}`));
}

function isStale(err: unknown): boolean {
  return isConflict(err) || err instanceof InvalidError;
}

async function patchWithRetry(client: KubeClient, first: WorkloadPlan, options: EnforceOptions): Promise<{ plan: WorkloadPlan; applied: boolean; deferred?: boolean }> {
  let plan = first;
  const type = TYPES[plan.kind] as ResourceType;
  // Patches sent whose outcome is unknown (a 5xx, an answer lost once sent): any of them may have landed.
  const uncertain: WorkloadPlan[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      // Never repeated by the client once it may have committed (as the status writer's): whether
      // it landed is judged below from the workload itself.
      await client.patch(type, plan.name, { type: "json", ops: plan.patch }, { namespace: plan.namespace, fieldManager: ENFORCEMENT_FIELD_MANAGER, dryRun: options.dryRun === "server", idempotent: false });
      return { plan, applied: true };
    } catch (err) {
      const unknown = options.dryRun !== "server" && mayHaveCommitted(err);
      if (!unknown && !isStale(err)) throw err;
      if (unknown) uncertain.push(plan);
      if (uncertain.length === 0 && attempt >= MAX_ATTEMPTS) throw err;
      // Plan again from what the workload is now; after an unknown outcome, that also says whether it landed.
      const fresh = await client.get<Enforceable>(type, plan.name, { namespace: plan.namespace }).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw uncertain.length > 0 ? err : e;
      });
      if (!fresh) return { plan: { ...plan, outcome: "skipped", skipReason: "deleted meanwhile" }, applied: false };
      const landed = uncertain.find((sent) => patchLanded(fresh, sent.patch));
      if (landed) return { plan: landed, applied: true };
      if (attempt >= MAX_ATTEMPTS) throw err;
      // A re-planned patch is a new patch: none starts once the leader term has ended.
      if (options.signal?.aborted) return { plan, applied: false, deferred: true };
      // Sent again only from the fresh copy: its `test` guards fail if the first one lands meanwhile.
      plan = planWorkloadRemediation({ ...fresh, kind: plan.kind }, options.spec, options);
      if (plan.outcome !== "planned") return { plan, applied: false };
    }
  }
}

async function emitWorkloadEvent(client: KubeClient, workload: WorkloadPlan, message: string, now: Date): Promise<void> {
  const event = buildEvent({ involvedObject: { apiVersion: "apps/v1", kind: workload.kind, name: workload.name, namespace: workload.namespace }, type: "Normal", reason: "Remediated", message, now });
  await client.create(EVENTS, event).catch(() => undefined); // best effort: an Event never fails enforcement
}

/** Plans every workload of the namespace and applies what the budget allows. */
export async function enforceNamespace(client: KubeClient, options: EnforceOptions): Promise<EnforcementReport> {
  const report: EnforcementReport = { applied: 0, failed: 0, workloads: [], results: [] };
  const now = options.now ?? (() => new Date());
  let budget = options.maxPatches;
  for (const workload of await listWorkloads(client, options.namespace)) {
    const plan = planWorkloadRemediation(workload, options.spec, options);
    if (plan.outcome !== "planned") {
      report.results.push({ plan, status: plan.outcome });
      continue;
    }
    // The budget comes first so that a client dry run shows what a real run would do (and what it would defer).
    if (budget <= 0 || options.signal?.aborted || report.halted !== undefined) {
      report.results.push({ plan, status: "deferred" });
      continue;
    }
    budget--;
    if (options.dryRun === "client") {
      report.results.push({ plan, status: "planned" });
      continue;
    }
    if (options.beforePatch && (options.dryRun ?? "none") === "none") {
      try {
        await options.beforePatch({ applied: report.applied + 1, workloads: [...report.workloads, plan.key] });
      } catch (err) {
        report.halted = err;
        report.results.push({ plan, status: "deferred" });
        continue;
      }
    }
    try {
      const result = await patchWithRetry(client, plan, options);
      if (result.deferred) {
        report.results.push({ plan, status: "deferred" });
        continue;
      }
      if (!result.applied) {
        report.results.push({ plan: result.plan, status: result.plan.outcome === "planned" ? "failed" : (result.plan.outcome as "compliant" | "unresolved" | "skipped") });
        continue;
      }
      if (options.dryRun === "server") {
        report.results.push({ plan: result.plan, status: "planned" });
        continue;
      }
      report.applied++;
      report.workloads.push(result.plan.key);
      report.results.push({ plan: result.plan, status: "applied" });
      await emitWorkloadEvent(client, result.plan, describeRemediation(result.plan, options.reason ?? "kube-devops enforcement"), now());
    } catch (err) {
      report.failed++;
      report.results.push({ plan, status: "failed", error: (err as Error).message });
    }
  }
  return report;
}
