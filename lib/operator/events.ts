/**
 * @module
 * Kubernetes Events on a DevOpsPolicy (class changes, enforcement). Best effort:
 * a failed Event is logged, never fails the reconcile.
 */
import type { KubeClient } from "../kube/client.ts";
import { buildEvent, type EventObject } from "../event-object.ts";
import { EVENTS } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { Logger } from "../log.ts";
import { API_VERSION } from "../policy/schema.ts";

export interface PolicyEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  now: Date;
}

/** The core/v1 Event object for `policy` (pure, for tests). */
export function buildPolicyEvent(policy: KubeObject, event: PolicyEvent): EventObject {
  const meta = policy.metadata ?? {};
  return buildEvent({ ...event, involvedObject: { apiVersion: API_VERSION, kind: "DevOpsPolicy", name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion } });
}

/** Creates the Event; logs and swallows any failure. */
export async function emitPolicyEvent(deps: { client: KubeClient; logger: Logger }, policy: KubeObject, event: PolicyEvent): Promise<void> {
  try {
    await deps.client.create(EVENTS, buildPolicyEvent(policy, event), { namespace: policy.metadata?.namespace });
  } catch (err) {
    deps.logger.warn("event_create_failed", { reason: event.reason, error: (err as Error).message });
  }
}
