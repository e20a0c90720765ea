/**
 * @module
 * Kubernetes Events on a DevOpsPolicy (class changes, enforcement). Best effort:
 * a failed Event is logged, never fails the reconcile.
 */
import { isNotFound } from "../kube/api-errors.ts";
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
export async function emitPolicyEvent(deps: { client: KubeClient; logger: Logger; events?: PolicyEvents | undefined }, policy: KubeObject, event: PolicyEvent): Promise<void> {
  if (deps.events) return deps.events.emit(policy, event);
  try {
    await deps.client.create(EVENTS, buildPolicyEvent(policy, event), { namespace: policy.metadata?.namespace });
  } catch (err) {
    deps.logger.warn("event_create_failed", { reason: event.reason, error: (err as Error).message });
  }
}

/** How long an identical Event counts as a repeat (client-go's EventCorrelator: 10 minutes). */
export const EVENT_REPEAT_WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 4096;

interface Remembered {
  name: string;
  namespace: string | undefined;
  count: number;
  lastMs: number;
}

/**
 * The operator's Events, as client-go's recorder writes them: the same type, reason and message
 * about the same policy within EVENT_REPEAT_WINDOW_MS of the last one bumps that Event's `count`
 * and `lastTimestamp` instead of creating another (a patch that keeps failing would otherwise
 * add a Warning every requeue). Best effort: a failed write is logged, never thrown.
 */
export class PolicyEvents {
  readonly #recent = new Map<string, Remembered>();

  constructor(private readonly deps: { client: KubeClient; logger: Logger }) {}

  async emit(policy: KubeObject, event: PolicyEvent): Promise<void> {
    const meta = policy.metadata ?? {};
    const key = [meta.namespace, meta.name, meta.uid, event.type, event.reason, event.message].join("\u0000");
    const nowMs = event.now.getTime();
    const seen = this.#recent.get(key);
    try {
      if (seen && nowMs - seen.lastMs < EVENT_REPEAT_WINDOW_MS) {
        const count = seen.count + 1;
        try {
          await this.deps.client.patch(EVENTS, seen.name, { type: "merge", patch: { count, lastTimestamp: event.now.toISOString() } }, { namespace: seen.namespace });
          this.remember(key, { ...seen, count, lastMs: nowMs });
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err; // gone (Event TTL, deleted): a new one below
        }
      }
      const created = await this.deps.client.create<EventObject & { metadata: { name?: string } }>(EVENTS, buildPolicyEvent(policy, event), { namespace: meta.namespace });
      if (created.metadata?.name) this.remember(key, { name: created.metadata.name, namespace: meta.namespace, count: 1, lastMs: nowMs });
    } catch (err) {
      this.deps.logger.warn("event_create_failed", { reason: event.reason, error: (err as Error).message });
    }
  }

  private remember(key: string, value: Remembered): void {
    this.#recent.delete(key);
    this.#recent.set(key, value);
    // a Map iterates in insertion order: the first keys are the least recently used
    for (const oldest of this.#recent.keys()) {
      if (this.#recent.size <= MAX_REMEMBERED) break;
      this.#recent.delete(oldest);
    }
  }
}
