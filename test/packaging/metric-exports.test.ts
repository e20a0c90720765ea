/**
 * The metric catalogue (lib/metrics/names.ts) is what the components really export: each
 * component's registry holds exactly its catalogue entries, with the catalogue's type, labels and
 * help — so the dashboard and alerts, tested against the catalogue, query real series.
 */
import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { type MetricDef, metricsOf } from "../../lib/metrics/names.ts";
import { createOperatorMetrics } from "../../lib/operator/metrics.ts";
import type { Component } from "../../lib/rbac/permissions.ts";
import { HealthAggregator } from "../../lib/watch/health-aggregator.ts";
import { createWatchMetrics } from "../../lib/watch/watch-metrics.ts";
import { createWebhookMetrics } from "../../lib/webhook/metrics.ts";

async function exported(registry: Registry): Promise<{ name: string; type: string; help: string }[]> {
  return (await registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type), help: m.help })).sort((a, b) => a.name.localeCompare(b.name));
}

function catalogue(component: Component): { name: string; type: string; help: string }[] {
  return metricsOf(component)
    .map((m: MetricDef) => ({ name: m.name, type: m.type, help: m.help }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe("components export exactly their catalogue metrics", () => {
  test("reconcile (lib/operator/metrics.ts)", async () => {
    const registry = new Registry();
    createOperatorMetrics(registry);
    expect(await exported(registry)).toEqual(catalogue("reconcile"));
  });

  test("watch (lib/watch/watch-metrics.ts), while leading and synced", async () => {
    const registry = new Registry();
    createWatchMetrics(registry).exportScores(new HealthAggregator());
    expect(await exported(registry)).toEqual(catalogue("watch"));
  });

  test("webhook (lib/webhook/metrics.ts)", async () => {
    const registry = new Registry();
    createWebhookMetrics(registry, { policyCacheAgeSeconds: () => 0 }); // as webhook serve wires it
    expect(await exported(registry)).toEqual(catalogue("webhook"));
  });
});

/** The samples of counters in `registry`'s exposition, as `name{labels} value` lines. */
async function counterSamples(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics()).split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe("counters that alerts and rate() panels read exist at 0 before their first increment", () => {
  // a series that is born at 1 gives rate()/increase() nothing to compare: the first error or
  // transition never shows on the dashboard, and `rate(...) > 0` alerts miss it
  test("webhook_errors_total, one series per reason", async () => {
    const registry = new Registry();
    createWebhookMetrics(registry);
    expect(await counterSamples(registry, "webhook_errors_total")).toEqual(['webhook_errors_total{reason="malformed"} 0', 'webhook_errors_total{reason="internal"} 0']);
  });

  test("webhook_requests_total, for the operations the webhook configuration sends", async () => {
    const registry = new Registry();
    createWebhookMetrics(registry);
    expect(await counterSamples(registry, "webhook_requests_total")).toEqual([
      'webhook_requests_total{operation="CREATE",allowed="true"} 0',
      'webhook_requests_total{operation="CREATE",allowed="false"} 0',
      'webhook_requests_total{operation="UPDATE",allowed="true"} 0',
      'webhook_requests_total{operation="UPDATE",allowed="false"} 0',
    ]);
  });

  test("webhook_dry_run_requests_total, for the same operations", async () => {
    const registry = new Registry();
    createWebhookMetrics(registry);
    expect(await counterSamples(registry, "webhook_dry_run_requests_total")).toEqual([
      'webhook_dry_run_requests_total{operation="CREATE",allowed="true"} 0',
      'webhook_dry_run_requests_total{operation="CREATE",allowed="false"} 0',
      'webhook_dry_run_requests_total{operation="UPDATE",allowed="true"} 0',
      'webhook_dry_run_requests_total{operation="UPDATE",allowed="false"} 0',
    ]);
  });

  test("kube_devops_leader_transitions_total of watch and reconcile", async () => {
    const [operator, watch] = [new Registry(), new Registry()];
    createOperatorMetrics(operator);
    createWatchMetrics(watch);
    expect(await counterSamples(operator, "kube_devops_leader_transitions_total")).toEqual(['kube_devops_leader_transitions_total{component="reconcile"} 0']);
    expect(await counterSamples(watch, "kube_devops_leader_transitions_total")).toEqual(['kube_devops_leader_transitions_total{component="watch"} 0']);
  });
});
