/**
 * @module
 * The message of the `Remediated` Event on a patched workload: every added field
 * under the container it went to (two containers given the same probe used to
 * read as one field listed twice), then the containers left with violations.
 * Bounded to what an Event message holds, cut between containers, never inside one. A patch
 * the running pods will not pick up by themselves (OnDelete, paused) ends by saying so, always.
 */
import { EVENT_MESSAGE_LIMIT } from "../event-object.ts";
import type { WorkloadPlan } from "./plan-workload.ts";
import { describeRolloutHold } from "./rollout-hold.ts";


function containerSegment(container: string, added: ReadonlyArray<{ field: string; value: string }>): string {
  return `container ${container}: ${added.map((a) => `${a.field} ${a.value}`).join(", ")}`;
}

/** The containers with unresolved items and the checks they still fail, as one segment each. */
function unresolvedSegments(plan: WorkloadPlan): string[] {
  const byContainer = new Map<string, Set<string>>();
  for (const item of plan.unresolved) {
    const checks = byContainer.get(item.container) ?? new Set<string>();
    for (const check of item.checks) checks.add(check);
    byContainer.set(item.container, checks);
  }
  return [...byContainer].map(([container, checks]) => `container ${container || "(unnamed)"} (${[...checks].join(", ")})`);
}

/** Joins `segments` after `head`, dropping whole segments from the end (and saying how many) to fit `limit`. */
function fit(head: string, segments: readonly string[], separator: string, limit: number): { text: string; complete: boolean } {
  let text = head;
  for (let i = 0; i < segments.length; i++) {
    const next = `${text}${i === 0 ? "" : separator}${segments[i]}`;
    const rest = segments.length - i - 1;
    // keep room to say how many were left out
    if (next.length + (rest > 0 ? ` … and ${rest} more`.length : 0) > limit) return { text: `${text} … and ${segments.length - i} more`, complete: false };
    text = next;
  }
  return { text, complete: true };
}

/**
 * `<reason>: container app: readinessProbe tcpSocket :8080, …; container proxy: …[; not remediated: container w (missing_readiness)]`,
 * then `; applied to the template; running pods keep the old spec until deleted (updateStrategy OnDelete)` when held.
 */
export function describeRemediation(plan: WorkloadPlan, reason: string, limit = EVENT_MESSAGE_LIMIT): string {
  const held = plan.rolloutHold ? `; applied to the template; ${describeRolloutHold(plan.rolloutHold)}` : "";
  return `${describeChanges(plan, reason, limit - held.length)}${held}`;
}

function describeChanges(plan: WorkloadPlan, reason: string, limit: number): string {
  const added = plan.containers.filter((c) => c.added.length > 0).map((c) => containerSegment(c.container, c.added));
  const left = unresolvedSegments(plan);
  const message = `${reason}: ${added.join("; ")}${left.length > 0 ? `; not remediated: ${left.join(", ")}` : ""}`;
  if (message.length <= limit) return message;
  // too long: the additions first (what changed), then as many unresolved containers as fit
  const main = fit(`${reason}: `, added, "; ", limit);
  if (left.length === 0 || !main.complete) return main.text;
  return fit(`${main.text}; not remediated: `, left, ", ", limit).text;
}
