/**
 * @module
 * One leader term of the watch controller: a DevOpsPolicy list+watch (per-namespace
 * check sets, strictest wins), a cluster-wide pod list+watch feeding the aggregator,
 * re-evaluation of a namespace's pods when its policies change (a paginated re-list:
 * pods are not kept), pending deadlines, and readiness from the loops' health.
 */
import { checkSetFromPolicies } from "../checks/check-set.ts";
import { NotFoundError } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Clock, Random } from "../kube/clock.ts";
import { KeyedBackoff } from "../kube/keyed-backoff.ts";
import { listWatch, type ListWatch, type ListWatchEvent } from "../kube/list-watch.ts";
import { DEVOPS_POLICIES, PODS } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import { keyOf } from "../kube/watch-store.ts";
import type { PodLike } from "../k8s-objects.ts";
import { readStoredSpec } from "../policy/read-stored-spec.ts";
import type { DevOpsPolicySpec } from "../policy/schema.ts";
import { LogGate } from "../log-gate.ts";
import type { Readiness } from "../server/probe-app.ts";
import { HealthAggregator, IGNORED, type ViolationChange } from "./health-aggregator.ts";
import type { PodContribution } from "./pod-contribution.ts";
import { AggregatorPodStore } from "./pod-store.ts";
import type { WatchMetrics } from "./watch-metrics.ts";

export interface WatchLogger {
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  debug(message: string, ...rest: unknown[]): void;
}

export interface WatchControllerOptions {
  client: KubeClient;
  clock: Clock;
  logger: WatchLogger;
  metrics: WatchMetrics;
  /** Ready only while the pod watch was active within this long, ms (default 120 s). */
  maxStalenessMs?: number;
  /** How long to wait for the first policy list before scoring pods with the default checks, ms. */
  policyWaitMs?: number;
  pageSize?: number;
  /** Coalesce policy changes of a namespace over this window before re-evaluating, ms. */
  policyDebounceMs?: number;
  /**
   * A full garbage collection (`Bun.gc(true)` in the command), run after each complete list,
   * after every 10k events and once a burst of events is over: the runtime otherwise keeps
   * the parsed list pages' and events' memory.
   */
  collectGarbage?: () => void;
  /** Honour exemption annotations (default true; `--no-exemptions` scores everything). */
  exemptions?: boolean;
  /** Jitter of the re-evaluation retries (default Math.random). */
  random?: Random;
}

/** A namespace whose re-evaluation fails retries after 1-2 s, then ever later, at most every 5 min. */
const REEVALUATION_BACKOFF = { minMs: 1_000, baseMs: 2_000, maxMs: 300_000 };

const EVENTS_PER_COLLECTION = 10_000;
/** After a burst of at least this many events, collect once the stream has been quiet for IDLE_COLLECTION_MS. */
const BURST_EVENTS = 1_000;
const IDLE_COLLECTION_MS = 2_000;

type PolicySpecOrInvalid = DevOpsPolicySpec | undefined;

export class WatchController {
  aggregator: HealthAggregator | undefined;
  private pods: ListWatch<PodContribution, AggregatorPodStore> | undefined;
  private policies: ListWatch<PolicySpecOrInvalid> | undefined;
  private policiesAbsent = false;
  private readonly policySpecs = new Map<string, Map<string, DevOpsPolicySpec>>();
  private readonly dirty = new Set<string>();
  private wake: (() => void) | undefined;

  constructor(private readonly options: WatchControllerOptions) {}

  /** Ready: the pod loop has synced and is watching (or was active recently), and policies are readable. */
  readiness(): Readiness {
    const reasons: string[] = [];
    const pods = this.pods;
    if (!pods) return { ready: false, reasons: ["pod watch not started"] };
    const health = pods.health();
    if (!health.synced) reasons.push("pods: initial list in progress");
    else if (!pods.isReady(this.options.maxStalenessMs ?? 120_000)) reasons.push(`pods: watch unhealthy (${describeStale(pods)})`);
    const policies = this.policies;
    if (policies && !this.policiesAbsent && !policies.isReady(this.options.maxStalenessMs ?? 120_000)) {
      reasons.push(`devopspolicies: ${policies.health().synced ? "watch unhealthy" : "not listed yet"} (${describeStale(policies)})`);
    }
    return { ready: reasons.length === 0, reasons };
  }

  /**
   * Seconds since the pod loop last made progress (a list page, event or bookmark): under ~60 on a
   * healthy quiet cluster (a bookmark a minute), growing while the watch fails or silently stalls.
   */
  podCacheAgeSeconds(): number {
    return this.pods?.ageSeconds() ?? 0;
  }

  /** Runs one leader term until `signal` aborts; stops exporting scores when it ends. */
  async run(signal: AbortSignal): Promise<void> {
    const { client, clock, logger, metrics } = this.options;
    const aggregator = new HealthAggregator({ onViolationChange: (c) => logViolationChange(logger, c), exemptions: this.options.exemptions !== false });
    this.aggregator = aggregator;
    // A new leader term starts from fresh lists: nothing of an earlier term's loops or policies is trusted.
    this.pods = undefined;
    this.policies = undefined;
    this.policiesAbsent = false;
    this.policySpecs.clear();
    this.dirty.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timerAt = Number.POSITIVE_INFINITY;
    const armDeadline = (): void => {
      const at = aggregator.nextDeadline();
      if (at === undefined || at >= timerAt || signal.aborted) return;
      clearTimeout(timer);
      timerAt = at;
      timer = setTimeout(() => {
        timerAt = Number.POSITIVE_INFINITY;
        aggregator.advance(clock.now());
        armDeadline();
      }, Math.min(Math.max(0, at - clock.now()), 2_147_000_000));
    };

    let policiesSettled: () => void = () => {};
    const policiesReady = new Promise<void>((resolve) => (policiesSettled = resolve));
    this.policies = listWatch<PolicySpecOrInvalid>({
      client,
      type: DEVOPS_POLICIES,
      clock,
      pageSize: this.options.pageSize,
      project: (obj) => this.parsePolicy(obj),
      onEvent: (e) => this.onPolicyEvent(e, policiesSettled),
    });
    const policyLoop = this.policies.start(signal);
    await Promise.race([policiesReady, clock.sleep(this.options.policyWaitMs ?? 10_000, signal).catch(() => {})]);
    for (const ns of this.dirty) aggregator.setCheckSet(ns, this.checkSetFor(ns));
    this.dirty.clear();

    this.pods = listWatch<PodContribution, AggregatorPodStore>({
      client,
      type: PODS,
      clock,
      pageSize: this.options.pageSize,
      store: new AggregatorPodStore(aggregator, () => clock.now()),
      onEvent: (e) => {
        this.onPodEvent(aggregator, e);
        if (e.type === "added" || e.type === "modified" || e.type === "synced") armDeadline();
      },
    });
    const podLoop = this.pods.start(signal);
    const reevaluation = this.reevaluateLoop(aggregator, signal, armDeadline);
    await Promise.all([policyLoop, podLoop, reevaluation]);
    clearTimeout(timer);
    clearTimeout(this.idleCollection);
    this.idleCollection = undefined;
    metrics.exportScores(undefined);
    aggregator.clear();
    this.pods = undefined;
    this.policies = undefined;
    logger.info("watcher_shutdown");
  }

  private parsePolicy(obj: KubeObject): PolicySpecOrInvalid {
    const result = readStoredSpec((obj as { spec?: unknown }).spec);
    if (!result.ok) {
      this.options.logger.warn("policy_invalid_ignored", { policy: keyOf(obj), issues: result.issues.map((i) => `${i.path}: ${i.message}`) });
      return undefined;
    }
    // a field a newer rule refuses is left out, not the policy (lib/policy/read-stored-spec.ts)
    if (result.ignored.length > 0) this.options.logger.warn("policy_fields_ignored", { policy: keyOf(obj), issues: result.ignored.map((i) => `${i.path}: ${i.message}`) });
    return result.spec;
  }

  private onPolicyEvent(e: ListWatchEvent<PolicySpecOrInvalid>, settled: () => void): void {
    const { logger } = this.options;
    switch (e.type) {
      case "added":
      case "modified":
      case "deleted": {
        const ns = e.key.slice(0, e.key.indexOf("/"));
        let specs = this.policySpecs.get(ns);
        if (e.type !== "deleted" && e.value) {
          if (!specs) this.policySpecs.set(ns, (specs = new Map()));
          specs.set(e.key, e.value);
        } else {
          specs?.delete(e.key);
          if (specs?.size === 0) this.policySpecs.delete(ns);
        }
        this.dirty.add(ns);
        this.wake?.();
        return;
      }
      case "synced":
        this.policiesAbsent = false;
        logger.info("policies_synced", { policies: e.size, namespaces: this.policySpecs.size });
        settled();
        return;
      case "full-list":
        logger.info("policy_list_fallback", { reason: e.reason });
        return;
      case "relisted":
        // A list succeeded: a CRD deleted meanwhile is back (readiness watches the policies again,
        // and a later deletion is reported again).
        if (this.policiesAbsent) logger.info("policies_crd_restored", { policies: e.keys.size });
        this.policiesAbsent = false;
        return;
      case "error":
        if (e.error instanceof NotFoundError) {
          if (!this.policiesAbsent) logger.warn("policies_crd_absent", { hint: "DevOpsPolicy CRD not installed: every namespace uses the default checks" });
          this.policiesAbsent = true;
          settled();
        } else logger.warn("policy_watch_error", { phase: e.phase, retry_in_ms: e.retryInMs, failures: e.failures, error: describe(e.error) });
        return;
    }
  }

  private checkSetFor(namespace: string) {
    const specs = this.policySpecs.get(namespace);
    return specs && specs.size > 0 ? checkSetFromPolicies([...specs.values()]) : undefined;
  }

  private eventsSinceCollection = 0;
  private lastEventAt = 0;
  private idleCollection: ReturnType<typeof setTimeout> | undefined;

  /** Full collections after every 10k events and once a burst has passed, so RSS settles back. */
  private countEvent(): void {
    const collect = this.options.collectGarbage;
    if (!collect) return;
    this.lastEventAt = performance.now();
    if (++this.eventsSinceCollection >= EVENTS_PER_COLLECTION) {
      this.eventsSinceCollection = 0;
      collect();
    } else if (this.eventsSinceCollection >= BURST_EVENTS && !this.idleCollection) {
      this.armIdleCollection(IDLE_COLLECTION_MS);
    }
  }

  private armIdleCollection(ms: number): void {
    this.idleCollection = setTimeout(() => {
      this.idleCollection = undefined;
      const quietFor = performance.now() - this.lastEventAt;
      if (quietFor < IDLE_COLLECTION_MS) return this.armIdleCollection(IDLE_COLLECTION_MS - quietFor);
      this.eventsSinceCollection = 0;
      this.options.collectGarbage?.();
    }, ms);
    this.idleCollection.unref?.();
  }

  private onPodEvent(aggregator: HealthAggregator, e: ListWatchEvent<PodContribution>): void {
    const { clock, logger, metrics } = this.options;
    // The initial list counts as one event (the reference's Restarted), not one per pod: a term
    // that starts again in this process would otherwise add the whole cluster to the counter.
    // A relist's changes are events the watch missed, and count.
    switch (e.type) {
      case "added":
      case "modified":
        if (aggregator.reporting) metrics.podEvents.inc();
        aggregator.apply(e.key, e.value, clock.now());
        this.countEvent();
        return;
      case "deleted":
        if (aggregator.reporting) metrics.podEvents.inc();
        aggregator.remove(e.key);
        this.countEvent();
        return;
      case "synced": {
        metrics.podEvents.inc();
        aggregator.reporting = true;
        const total = aggregator.clusterTally();
        logger.info("initial_sync_complete", {
          pods: aggregator.podsTracked,
          namespaces: [...aggregator.namespaceHealth()].length,
          cluster_health_score: aggregator.clusterScore(),
          violations: total.violations,
        });
        metrics.exportScores(aggregator, () => this.podCacheAgeSeconds());
        this.options.collectGarbage?.();
        return;
      }
      case "full-list":
        logger.info("pod_list_fallback", { reason: e.reason });
        return;
      case "relisted":
        aggregator.retain(e.keys);
        this.options.collectGarbage?.();
        logger.info("pods_relisted", { reason: e.reason, pods: aggregator.podsTracked, cluster_health_score: aggregator.clusterScore() });
        return;
      case "error":
        logger.warn("pod_watch_error", { phase: e.phase, retry_in_ms: e.retryInMs, failures: e.failures, error: describe(e.error) });
        return;
    }
  }

  /** Applies policy changes: new check sets, then a re-list of each changed namespace's pods. */
  private async reevaluateLoop(aggregator: HealthAggregator, signal: AbortSignal, armDeadline: () => void): Promise<void> {
    const { clock, logger } = this.options;
    const retries = new Map<string, number>();
    const failing = new KeyedBackoff(REEVALUATION_BACKOFF, this.options.random);
    const failureLog = new LogGate(60_000);
    while (!signal.aborted) {
      if (this.dirty.size === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        this.wake = undefined;
        continue;
      }
      await clock.sleep(this.options.policyDebounceMs ?? 200, signal).catch(() => {});
      if (signal.aborted) break;
      const namespaces = [...this.dirty];
      this.dirty.clear();
      for (const ns of namespaces) {
        const changed = aggregator.setCheckSet(ns, this.checkSetFor(ns));
        if (!changed && !retries.has(ns)) continue;
        try {
          const stale = await this.reevaluate(aggregator, ns, signal);
          armDeadline();
          const streak = failing.forget(ns);
          if (streak > 0) logger.info("namespace_reevaluation_recovered", { namespace: ns, failures: streak });
          if (stale === 0) retries.delete(ns);
          else if ((retries.get(ns) ?? 0) < 10) {
            retries.set(ns, (retries.get(ns) ?? 0) + 1);
            this.retryLater(ns, 1_000, signal);
          } else retries.delete(ns);
          if (changed) logger.info("namespace_checks_changed", { namespace: ns, checks: aggregator.checkSetOf(ns).set.ids, pods_pending_update: stale });
        } catch (err) {
          if (signal.aborted) break;
          // While the API fails, each namespace retries later and later (not every 2 s), and the
          // warnings of all namespaces together stay at about one a minute.
          const { delayMs, failures } = failing.fail(ns);
          const gate = failureLog.pass(clock.now());
          if (gate.pass) logger.warn("namespace_reevaluation_failed", { namespace: ns, error: describe(err), failures, retry_in_ms: delayMs, namespaces_failing: failing.size, repeats_not_logged: gate.suppressed });
          retries.set(ns, (retries.get(ns) ?? 0) + 1);
          this.retryLater(ns, delayMs, signal);
        }
      }
    }
  }

  /** Marks `namespace` dirty again after `delayMs` on the injected clock (not at all once `signal` aborts). */
  private retryLater(namespace: string, delayMs: number, signal: AbortSignal): void {
    void this.options.clock.sleep(delayMs, signal).then(() => {
      if (signal.aborted) return;
      this.dirty.add(namespace);
      this.wake?.();
    });
  }

  /** Re-scores the pods of `namespace` computed with an older check set; returns how many remain stale. */
  private async reevaluate(aggregator: HealthAggregator, namespace: string, signal: AbortSignal): Promise<number> {
    const { client, clock } = this.options;
    if (aggregator.staleKeys(namespace).length === 0) return 0;
    for await (const page of client.listPages<KubeObject>(PODS, { namespace, limit: this.options.pageSize ?? 500, signal })) {
      for (const pod of page.items) {
        const key = keyOf(pod);
        const current = aggregator.get(key);
        const { generation } = aggregator.checkSetOf(namespace);
        // Only the version the watch delivered: an older or newer one arrives through the watch, scored with the new checks.
        if (!current || current === IGNORED || current.generation === generation || current.resourceVersion !== pod.metadata?.resourceVersion) continue;
        aggregator.apply(key, aggregator.project(pod as PodLike, clock.now()), clock.now(), "policy-changed");
      }
    }
    return aggregator.staleKeys(namespace).length;
  }
}

function describe(error: unknown): string {
  if (error === undefined) return "no error";
  return error instanceof Error ? error.message : String(error);
}

/** Why a loop is not ready: its last error, else how long it has been silent (a watch that stalled). */
function describeStale(loop: { health(): { lastError: unknown }; ageSeconds(): number | undefined }): string {
  const { lastError } = loop.health();
  if (lastError !== undefined) return describe(lastError);
  const age = loop.ageSeconds();
  return age === undefined ? "nothing received yet" : `no event or bookmark for ${Math.round(age)} s`;
}

/** Appendix A's `policy_violation_detected`, once per appearance, and its counterpart when resolved. */
function logViolationChange(logger: WatchLogger, c: ViolationChange): void {
  const pod = c.key.slice(c.key.indexOf("/") + 1);
  if (c.appeared.length > 0) {
    const messages = c.findings?.filter((f) => !f.exempt && c.appeared.includes(f.check)).map((f) => f.message);
    logger.warn("policy_violation_detected", {
      event: "policy_violation",
      namespace: c.namespace,
      pod,
      ...(c.owner ? { owner: c.owner } : {}), // bare pods have none
      violations: c.appeared,
      ...(messages && messages.length > 0 ? { details: messages } : {}),
      reason: c.reason,
    });
  }
  if (c.resolved.length > 0) {
    logger.info("policy_violation_resolved", { event: "policy_violation_resolved", namespace: c.namespace, pod, ...(c.owner ? { owner: c.owner } : {}), violations: c.resolved, reason: c.reason });
  }
}
