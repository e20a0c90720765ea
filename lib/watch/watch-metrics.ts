/**
 * @module
 * The watch controller's Prometheus metrics (reference §7.1 names, labels and help
 * from lib/metrics/names.ts). Score gauges are computed from the aggregator at
 * scrape time, so they are never stale and a namespace's series disappear with its
 * last pod; they are registered only while this replica leads and has synced.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { METRICS, type MetricName } from "../metrics/names.ts";
import { scoreTally } from "../score.ts";
import { COMMIT, VERSION } from "../version.ts";
import type { HealthAggregator } from "./health-aggregator.ts";

type Labels = "namespace" | "check" | "severity" | "component" | "version" | "commit";

function gauge(name: MetricName, registers: Registry[], collect?: (this: Gauge<Labels>) => void): Gauge<Labels> {
  const def = METRICS[name];
  return new Gauge({ name, help: def.help, labelNames: def.labels as Labels[], registers, ...(collect ? { collect } : {}) });
}

export interface WatchMetrics {
  podEvents: Counter<Labels>;
  leader: Gauge<Labels>;
  leaderTransitions: Counter<Labels>;
  /**
   * Starts exporting the scores of `source` (leader and synced), or stops (undefined); `ageSeconds`
   * says how far they may lag the API server (watch_cache_age_seconds).
   */
  exportScores(source: HealthAggregator | undefined, ageSeconds?: () => number): void;
  readonly exporting: boolean;
}

/** Registers the watch controller's metrics on `registry`. */
export function createWatchMetrics(registry: Registry): WatchMetrics {
  let source: HealthAggregator | undefined;
  const cluster = gauge("cluster_health_score", [], function () {
    if (source) this.set(source.clusterScore());
  });
  const namespaces = gauge("namespace_health_score", [], function () {
    this.reset();
    if (!source) return;
    for (const ns of source.namespaceHealth()) this.set({ namespace: ns.name }, scoreTally(ns.tally));
  });
  const tracked = gauge("pods_tracked_total", [], function () {
    if (source) this.set(source.podsTracked);
  });
  const violations = gauge("namespace_violations", [], function () {
    this.reset();
    if (!source) return;
    for (const v of source.violations()) this.set({ namespace: v.namespace, check: v.check, severity: v.severity }, v.count);
  });
  // Scores outlive an outage of the pod watch (they are its last known state): this says so.
  let age: (() => number) | undefined;
  const cacheAge = gauge("watch_cache_age_seconds", [], function () {
    this.set(source && age ? age() : 0);
  });
  const podEvents = new Counter<Labels>({ name: "pod_events_total", help: METRICS.pod_events_total.help, registers: [] });
  const scoreMetrics = [cluster, namespaces, tracked, violations, cacheAge, podEvents];
  const scoreNames: MetricName[] = ["cluster_health_score", "namespace_health_score", "pods_tracked_total", "namespace_violations", "watch_cache_age_seconds", "pod_events_total"];
  const leader = gauge("kube_devops_leader_status", [registry]);
  leader.set({ component: "watch" }, 0);
  const leaderTransitions = new Counter<Labels>({
    name: "kube_devops_leader_transitions_total",
    help: METRICS.kube_devops_leader_transitions_total.help,
    labelNames: ["component"],
    registers: [registry],
  });
  leaderTransitions.inc({ component: "watch" }, 0);
  gauge("kube_devops_build_info", [registry]).set({ component: "watch", version: VERSION, commit: COMMIT }, 1);
  return {
    podEvents,
    leader,
    leaderTransitions,
    get exporting() {
      return source !== undefined;
    },
    exportScores(next, ageSeconds) {
      if (next && !source) for (const m of scoreMetrics) registry.registerMetric(m);
      if (!next && source) for (const name of scoreNames) registry.removeSingleMetric(name);
      source = next;
      age = next ? ageSeconds : undefined;
    },
  };
}
