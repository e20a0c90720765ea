/**
 * @module
 * The reconcile operator's runtime while it leads: one policy watch and ONE
 * cluster-wide pod watch (trimmed pods, indexed by namespace) feed a keyed work
 * queue — policy changes at once, pod changes debounced per policy, and every
 * policy again after `requeueMs` — and workers run `reconcilePolicy`.
 */
import type { KubeClient } from "../kube/client.ts";
import type { Clock } from "../kube/clock.ts";
import { DEVOPS_POLICIES, PODS, resourceName, type ResourceType } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { PodLike } from "../k8s-objects.ts";
import type { Logger } from "../log.ts";
import { PolicyEvents } from "./events.ts";
import { PrunedStatusFields } from "./pruned-status.ts";
import { AuditState } from "./audit-writer.ts";
import type { OperatorMetrics } from "./metrics.ts";
import { PodIndex, trimPod } from "./pod-index.ts";
import { isNotFound, KubeApiError } from "../kube/api-errors.ts";
import { reconcilePolicy, StaleObjectError, type EnforceStep, type PolicyObject, type ReportStep, type ReconcileOptions } from "./reconcile-policy.ts";
import { WorkQueue } from "./work-queue.ts";

/** The events a list+watch loop delivers (lib/kube/list-watch.ts). */
export type WatchEvent<P> =
  | { type: "added"; key: string; value: P }
  | { type: "modified"; key: string; value: P; previous: P }
  | { type: "deleted"; key: string; previous: P }
  | { type: "synced"; size: number }
  | { type: "relisted"; keys: ReadonlySet<string>; reason: string }
  | { type: "full-list"; reason: string }
  | { type: "error"; error: unknown; phase: string; retryInMs: number; failures: number };

export interface WatchLoop {
  start(signal?: AbortSignal): Promise<void>;
  isReady(maxStalenessMs?: number): boolean;
  health?(): { lastError: unknown };
  /** Seconds since the loop's last list page, event or bookmark. */
  ageSeconds?(): number | undefined;
}

/** Builds a list+watch loop (lib/kube's `listWatch` in production). */
export type WatchFactory = <P>(options: { type: ResourceType; project: (obj: KubeObject) => P; onEvent: (event: WatchEvent<P>) => void }) => WatchLoop;

export interface OperatorOptions extends ReconcileOptions {
  podDebounceMs: number;
  workers: number;
  /** The pod watch may be silent this long before readiness fails and statuses say so, ms (default 120 s). */
  podStalenessMs?: number;
}

export interface OperatorDeps {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  metrics: OperatorMetrics;
  options: OperatorOptions;
  watch: WatchFactory;
  enforce?: EnforceStep | undefined;
  reports?: ReportStep | undefined;
}

function projectPolicy(obj: KubeObject): PolicyObject {
  const { managedFields: _dropped, ...metadata } = (obj.metadata ?? {}) as Record<string, unknown>;
  return { ...obj, metadata } as PolicyObject;
}

/** What makes a policy event worth a reconcile: not our own status writes. */
function triggerOf(p: PolicyObject): string {
  const m = p.metadata ?? {};
  return JSON.stringify([m.uid, m.generation, m.deletionTimestamp, m.finalizers, m.labels]);
}

export class PolicyOperator {
  private readonly policies = new Map<string, PolicyObject>();
  private readonly policiesByNamespace = new Map<string, Set<string>>();
  private readonly pods = new PodIndex();
  private readonly failures = new Map<string, number>();
  /** Events with repeats folded (one per policy and message, count bumped). */
  private readonly events: PolicyEvents;
  /** The missing CRD was reported since the policy watch last synced. */
  private crdAbsentReported = false;
  private readonly audit = new AuditState();
  private readonly prunedStatus = new PrunedStatusFields();
  private queue: WorkQueue;
  private loops: { policies?: WatchLoop; pods?: WatchLoop; queueRunning: boolean } = { queueRunning: false };

  constructor(private readonly deps: OperatorDeps) {
    this.queue = new WorkQueue(deps.clock);
    this.events = new PolicyEvents(deps);
  }

  /** Ready while leading: both watches synced and healthy, and the queue running. */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.loops.policies?.isReady()) reasons.push("policy watch not synced or unhealthy");
    if (!this.loops.pods?.isReady(this.deps.options.podStalenessMs)) reasons.push("pod watch not synced or unhealthy");
    if (!this.loops.queueRunning) reasons.push("work queue not running");
    return { ready: reasons.length === 0, reasons };
  }

  get trackedPods(): number {
    return this.pods.size;
  }

  /** Runs until `signal` aborts (leadership lost or shutdown); then drops every per-policy series. */
  async run(signal: AbortSignal): Promise<void> {
    this.queue = new WorkQueue(this.deps.clock);
    // No reconcile before both caches hold a full list: a policy evaluated against a
    // half-listed namespace would flap its status, its class (Events) and its audit history.
    const synced = { policies: false, pods: false };
    let markSynced: () => void = () => undefined;
    const bothSynced = new Promise<void>((resolve) => (markSynced = resolve));
    const onSynced = (which: keyof typeof synced): void => {
      synced[which] = true;
      if (synced.policies && synced.pods) markSynced();
    };
    const policies = this.deps.watch<PolicyObject>({ type: DEVOPS_POLICIES, project: projectPolicy, onEvent: (e) => {
      if (e.type !== "synced") return this.onPolicyEvent(e);
      this.crdAbsentReported = false;
      onSynced("policies");
    } });
    const pods = this.deps.watch<PodLike>({ type: PODS, project: (obj) => trimPod(obj), onEvent: (e) => (e.type === "synced" ? onSynced("pods") : this.onPodEvent(e)) });
    this.loops = { policies, pods, queueRunning: false };
    const runQueue = async (): Promise<void> => {
      await Promise.race([bothSynced, new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }))]);
      if (signal.aborted) return;
      this.loops.queueRunning = true;
      await this.queue.run((key) => this.work(key, signal), { concurrency: this.deps.options.workers, signal });
    };
    await Promise.allSettled([policies.start(signal), pods.start(signal), runQueue()]);
    this.loops = { queueRunning: false };
    for (const key of this.policies.keys()) {
      const [namespace = "", name = ""] = key.split("/");
      this.deps.metrics.removePolicy(namespace, name);
    }
    this.policies.clear();
    this.policiesByNamespace.clear();
  }

  private onPolicyEvent(event: WatchEvent<PolicyObject>): void {
    if (event.type === "added" || event.type === "modified") {
      this.policies.set(event.key, event.value);
      const ns = event.value.metadata?.namespace ?? "";
      let keys = this.policiesByNamespace.get(ns);
      if (!keys) this.policiesByNamespace.set(ns, (keys = new Set()));
      keys.add(event.key);
      if (event.type === "added" || triggerOf(event.value) !== triggerOf(event.previous)) this.queue.schedule(event.key, 0);
    } else if (event.type === "deleted") {
      this.policies.delete(event.key);
      this.policiesByNamespace.get(event.previous.metadata?.namespace ?? "")?.delete(event.key);
      this.queue.schedule(event.key, 0);
    } else if (event.type === "relisted") {
      // A list succeeded again: a CRD deleted meanwhile is back, and a later deletion is reported again.
      if (this.crdAbsentReported) this.deps.logger.info("policies_crd_restored", { policies: event.keys.size });
      this.crdAbsentReported = false;
    } else if (event.type === "full-list") {
      this.deps.logger.info("policy_list_fallback", { reason: event.reason });
    } else if (event.type === "error") {
      if (isNotFound(event.error)) {
        // a missing CRD fails every retry the same way: say what to do once, not one bare line per retry
        if (!this.crdAbsentReported) this.deps.logger.warn("policies_crd_absent", { hint: "the DevOpsPolicy CRD is not installed: run kube-devops crd install; the operator waits and retries" });
        this.crdAbsentReported = true;
        return;
      }
      this.deps.logger.warn("policy_watch_error", { error: String((event.error as Error)?.message ?? event.error), retry_in_ms: event.retryInMs });
    }
  }

  private onPodEvent(event: WatchEvent<PodLike>): void {
    let ns: string | undefined;
    if (event.type === "added") ns = this.pods.upsert(event.key, event.value);
    else if (event.type === "modified") {
      ns = this.pods.upsert(event.key, event.value);
      // Status-only churn (conditions, IPs) that no check reads changes nothing.
      if (JSON.stringify(event.value) === JSON.stringify(event.previous)) ns = undefined;
    } else if (event.type === "deleted") ns = this.pods.delete(event.key);
    else if (event.type === "full-list") this.deps.logger.info("pod_list_fallback", { reason: event.reason });
    else if (event.type === "error") this.deps.logger.warn("pod_watch_error", { error: String((event.error as Error)?.message ?? event.error), retry_in_ms: event.retryInMs });
    if (ns === undefined) return;
    for (const key of this.policiesByNamespace.get(ns) ?? []) this.queue.schedule(key, this.deps.options.podDebounceMs);
  }

  /** Why the pod cache cannot be trusted (its watch has failed for longer than the staleness), or undefined. */
  private podsStale(): string | undefined {
    const pods = this.loops.pods;
    if (!pods || pods.isReady(this.deps.options.podStalenessMs)) return undefined;
    const error = pods.health?.().lastError;
    const age = pods.ageSeconds?.();
    // no error but stale: the watch is open and silent (no event, not even the bookmark a minute), so it may have stalled
    const why = error !== undefined ? (error instanceof Error ? error.message : String(error)) : age !== undefined ? `no event or bookmark for ${Math.round(age)} s` : "no answer";
    return `the operator's pod watch is failing (${why}): the last evaluation stands until it recovers`;
  }

  private async work(key: string, signal: AbortSignal): Promise<void> {
    const { logger, metrics, options } = this.deps;
    try {
      const result = await reconcilePolicy(key, {
        ...this.deps,
        signal,
        podsStale: () => this.podsStale(),
        policy: (k) => this.policies.get(k),
        podsIn: (ns) => this.pods.podsIn(ns),
        audit: this.audit,
        prunedStatus: this.prunedStatus,
        events: this.events,
      });
      this.failures.delete(key);
      if ("requeueAfterMs" in result) this.queue.schedule(key, result.requeueAfterMs);
    } catch (err) {
      // Only a 404 about the policy itself means it went: any other (a CRD we write to is gone) is an error with backoff, not a 200 ms loop.
      if (err instanceof StaleObjectError || (isNotFound(err) && err instanceof KubeApiError && err.request.resource.startsWith(resourceName(DEVOPS_POLICIES)))) {
        // Optimistic concurrency at work, or the policy was deleted under us: the watch event follows.
        logger.debug("reconcile_stale", { policy: key, error: (err as Error).message });
        this.queue.schedule(key, 200);
        return;
      }
      metrics.reconcileErrors.inc();
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const delay = Math.min(60_000, 500 * 2 ** Math.min(failures - 1, 7));
      logger.warn("reconcile_error", { policy: key, error: (err as Error).message, retry_in_ms: delay });
      this.queue.schedule(key, Math.min(delay, options.requeueMs));
    }
  }
}
