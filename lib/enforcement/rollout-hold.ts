/**
 * @module
 * Whether a patched pod template reaches the running pods by itself. A StatefulSet or
 * DaemonSet with `updateStrategy.type: OnDelete` keeps every pod on the old template until
 * someone deletes it, a paused Deployment rolls nothing out until it is resumed, and a
 * StatefulSet's `rollingUpdate.partition` N keeps its pods with an ordinal below N: the patch is
 * stored, not live (for those pods), and `enforce`, the Events and the logs say so (decision 0010).
 */

export interface RolloutHold {
  /** Which pods keep the old spec (default: every running pod). */
  pods?: string;
  /** What replaces the running pods: `deleted`, `the rollout is resumed`. */
  until: string;
  /** The workload field that holds them: `updateStrategy OnDelete`, `spec.paused`. */
  cause: string;
}

/** The part of a workload that decides whether its pods follow a template change. */
export interface RolloutFields {
  kind?: string;
  spec?: { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } }; paused?: boolean };
}

/** Why the running pods will not pick up a template change on their own; undefined when they will. */
export function findRolloutHold(workload: RolloutFields): RolloutHold | undefined {
  const kind = workload.kind;
  if ((kind === "StatefulSet" || kind === "DaemonSet") && workload.spec?.updateStrategy?.type === "OnDelete") {
    return { until: "deleted", cause: "updateStrategy OnDelete" };
  }
  if (kind === "Deployment" && workload.spec?.paused === true) return { until: "the rollout is resumed", cause: "spec.paused" };
  const partition = workload.spec?.updateStrategy?.rollingUpdate?.partition;
  if (kind === "StatefulSet" && workload.spec?.updateStrategy?.type !== "OnDelete" && typeof partition === "number" && partition > 0) {
    // replicas defaults to 1: at or above it, no pod is updated at all
    const all = partition >= (workload.spec?.replicas ?? 1);
    return { ...(all ? {} : { pods: `running pods with an ordinal below ${partition}` }), until: "the partition is lowered", cause: `rollingUpdate.partition ${partition}` };
  }
  return undefined;
}

/** `running pods keep the old spec until deleted (updateStrategy OnDelete)`; `would keep` for a plan not yet applied. */
export function describeRolloutHold(hold: RolloutHold, tense: "applied" | "planned" = "applied"): string {
  return `${hold.pods ?? "running pods"} ${tense === "applied" ? "keep" : "would keep"} the old spec until ${hold.until} (${hold.cause})`;
}

/** The verdict of a patched workload: `applied`, or `applied to the template; running pods keep …`. */
export function appliedVerdict(hold: RolloutHold | undefined): string {
  return hold ? `applied to the template; ${describeRolloutHold(hold)}` : "applied";
}
