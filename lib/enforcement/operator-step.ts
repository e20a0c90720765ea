/**
 * @module
 * The operator's enforcement step (issue 8): in enforce mode, remediate the
 * policy's namespace within a per-cycle budget, count and log what happened,
 * and turn it into the status fields. `remediationsApplied` (`totalApplied`) and
 * `remediatedWorkloads` accumulate across cycles (a continuous operator would
 * otherwise reset them to 0 one cycle after fixing everything);
 * `remediationsFailed` is the current cycle's count, so it clears once fixed.
 * `applied`/`failed` are this cycle's, for the `Enforced` Event, which also names each failed
 * workload with the API server's answer (`failures`).
 * `unresolved` is what this cycle's plans leave violating the policy, with why
 * (lib/operator/status.ts bounds it and turns a change into one Event). `held` says which patches
 * the running pods will not pick up by themselves (OnDelete, paused), for the `Enforced` Event.
 */
import type { KubeClient } from "../kube/client.ts";
import type { Logger } from "../log.ts";
import type { EnforceStep } from "../operator/reconcile-policy.ts";
import type { OperatorMetrics } from "../operator/metrics.ts";
import { boundWorkloadKeys } from "../operator/status.ts";
import { enforceNamespace } from "./apply-remediation.ts";
import { describeRolloutHold } from "./rollout-hold.ts";

export interface EnforceStepOptions {
  client: KubeClient;
  logger: Logger;
  metrics: Pick<OperatorMetrics, "remediationsApplied" | "remediationsFailed">;
  maxPatchesPerCycle: number;
  isProtectedNamespace: (namespace: string) => boolean;
  /** Honour exemption annotations: nothing planned or reported unresolved for an exempt check (`reconcile --no-exemptions`: false). */
  exemptions?: boolean;
}

/** Builds the step the operator calls for a policy in enforce mode. */
export function createEnforceStep(options: EnforceStepOptions): EnforceStep {
  return async (policy, _pods, _evaluation, signal, beforePatch) => {
    const namespace = policy.metadata?.namespace ?? "default";
    const name = policy.metadata?.name ?? "";
    const report = await enforceNamespace(options.client, {
      namespace,
      spec: policy.spec,
      maxPatches: options.maxPatchesPerCycle,
      isProtectedNamespace: options.isProtectedNamespace,
      exemptions: options.exemptions,
      reason: `DevOpsPolicy ${namespace}/${name}`,
      signal,
      beforePatch,
    });
    if (report.applied > 0) options.metrics.remediationsApplied.inc(report.applied);
    if (report.failed > 0) options.metrics.remediationsFailed.inc(report.failed);
    for (const r of report.results) {
      if (r.status === "applied") {
        const held = r.plan.rolloutHold ? { held: describeRolloutHold(r.plan.rolloutHold) } : {};
        options.logger.info("enforcement_remediation_applied", { policy: `${namespace}/${name}`, workload: r.plan.key, actions: r.plan.diff.filter((l) => l.trim().startsWith("+")).length, ...held });
      }
      if (r.status === "failed") options.logger.warn("enforcement_remediation_failed", { policy: `${namespace}/${name}`, workload: r.plan.key, error: r.error ?? "kept changing" });
      if (r.status === "deferred") options.logger.debug("enforcement_deferred", { workload: r.plan.key });
    }
    // Counted and logged above, each patch made was recorded in status before it was sent. A record
    // refused because the leader term ended is the interruption the operator reports, not an error;
    // any other is returned, so that status is written first (a failed patch's record is taken back).
    const halted = report.halted !== undefined && !signal?.aborted ? { halted: report.halted } : {};
    const previous = policy.status;
    const workloads = boundWorkloadKeys(previous?.remediatedWorkloads ?? [], report.workloads);
    const unresolved = report.results
      .filter((r) => r.status !== "skipped")
      .flatMap((r) => r.plan.unresolved.map((u) => ({ workload: r.plan.key, container: u.container, reason: u.reason })));
    const held = report.results.flatMap((r) => (r.status === "applied" && r.plan.rolloutHold ? [describeRolloutHold(r.plan.rolloutHold)] : []));
    const failures = report.results.flatMap((r) => (r.status === "failed" ? [{ workload: r.plan.key, error: r.error ?? "kept changing" }] : []));
    return { applied: report.applied, failed: report.failed, totalApplied: (previous?.remediationsApplied ?? 0) + report.applied, workloads, patched: report.workloads, unresolved, ...(held.length > 0 ? { held } : {}), ...(failures.length > 0 ? { failures } : {}), ...halted };
  };
}
