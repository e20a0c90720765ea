/**
 * The watch metrics: scores only while exporting (leader and synced), computed at
 * scrape time so a namespace's series goes with its last pod and nothing is stale.
 */
import { expect, test } from "bun:test";
import { Registry } from "prom-client";
import type { PodLike } from "../../lib/k8s-objects.ts";
import { HealthAggregator } from "../../lib/watch/health-aggregator.ts";
import { createWatchMetrics } from "../../lib/watch/watch-metrics.ts";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const pod = (ns: string, name: string, image: string): PodLike =>
  ({ metadata: { namespace: ns, name }, spec: { containers: [{ name: "c", image, livenessProbe: {}, readinessProbe: {} }] }, status: { phase: "Running" } }) as PodLike;

test("a standby exports its role only; the leader exports live scores without stale series", async () => {
  const registry = new Registry();
  const metrics = createWatchMetrics(registry);
  let text = await registry.metrics();
  expect(text).toContain('kube_devops_leader_status{component="watch"} 0');
  expect(text).not.toContain("cluster_health_score");

  const agg = new HealthAggregator();
  metrics.exportScores(agg, () => 42);
  text = await registry.metrics();
  expect(text).toContain("cluster_health_score 100");
  expect(text).toContain("watch_cache_age_seconds 42");
  expect(text).toContain("pods_tracked_total 0");

  agg.apply("a/1", agg.project(pod("a", "1", "x:latest"), NOW), NOW);
  agg.apply("b/1", agg.project(pod("b", "1", "x:1"), NOW), NOW);
  text = await registry.metrics();
  expect(text).toContain('namespace_health_score{namespace="a"} 95');
  expect(text).toContain('namespace_health_score{namespace="b"} 100');
  expect(text).toContain("cluster_health_score 98");
  expect(text).toContain('namespace_violations{namespace="a",check="latest_tag",severity="high"} 1');

  agg.remove("a/1");
  text = await registry.metrics();
  expect(text).not.toContain('namespace="a"');
  expect(text).toContain("cluster_health_score 100");

  metrics.exportScores(undefined);
  text = await registry.metrics();
  expect(text).not.toContain("cluster_health_score");
  expect(text).not.toContain("namespace_health_score");
  expect(text).not.toContain("watch_cache_age_seconds");
});
