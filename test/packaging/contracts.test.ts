/**
 * The shared contracts gen/, `check` and the components build on: the per-component RBAC grants
 * and the metric catalogue.
 */
import { describe, expect, test } from "bun:test";
import { allSeriesNames, METRICS, metricsOf } from "../../lib/metrics/names.ts";
import { accessChecks, COMPONENTS, componentPermissions, DEFAULT_OBJECT_NAMES } from "../../lib/rbac/permissions.ts";

describe("lib/rbac/permissions", () => {
  test("no component may write Secrets or webhook configurations cluster-wide", () => {
    for (const c of COMPONENTS) {
      for (const p of componentPermissions(c)) {
        if (p.resources.includes("secrets")) expect(p.scope).toBe("namespace");
        if (p.resources.includes("validatingwebhookconfigurations")) expect(p.resourceNames).toEqual([DEFAULT_OBJECT_NAMES.webhookConfiguration]);
      }
    }
  });

  test("create is never pinned by resourceNames (RBAC cannot enforce it)", () => {
    for (const c of COMPONENTS) {
      for (const p of componentPermissions(c)) {
        if (p.verbs.includes("create")) expect(p.resourceNames).toBeUndefined();
      }
    }
  });

  test("only the reconciler may patch workloads; the webhook never reads pods through the API", () => {
    const patchesWorkloads = (c: (typeof COMPONENTS)[number]) =>
      componentPermissions(c).some((p) => p.group === "apps" && p.resources.includes("deployments") && p.verbs.includes("patch"));
    expect(COMPONENTS.filter(patchesWorkloads)).toEqual(["reconcile"]);
    expect(componentPermissions("webhook").some((p) => p.resources.includes("pods"))).toBe(false);
  });

  test("each grant's reason, which `check` prints after \"needed by\", names its component and no tracker id", () => {
    for (const c of COMPONENTS) {
      for (const p of componentPermissions(c, DEFAULT_OBJECT_NAMES, { reports: "wgpolicyk8s" })) {
        expect(p.usedBy.startsWith(`${c}:`) || p.usedBy.startsWith(`${c} --`)).toBe(true);
        expect(p.usedBy).not.toMatch(/\bW-[A-Z]+\d+\b/);
      }
    }
  });

  test("access checks split subresources, pin names and scope namespaced grants", () => {
    const checks = accessChecks("reconcile", "ops", { ...DEFAULT_OBJECT_NAMES, reconcileLease: "my-lease" });
    expect(checks).toContainEqual(expect.objectContaining({ verb: "patch", group: "devops.stochastic.io", resource: "devopspolicies", subresource: "status" }));
    expect(checks).toContainEqual(expect.objectContaining({ verb: "update", resource: "leases", namespace: "ops", name: "my-lease" }));
    const podList = checks.find((c) => c.resource === "pods" && c.verb === "list");
    expect(podList?.namespace).toBeUndefined();
  });
});

describe("lib/metrics/names", () => {
  test("keeps every reference metric name with its labels (reference §7)", () => {
    expect(METRICS.devopspolicy_violations_by_severity.labels).toEqual(["severity", "namespace", "policy"]);
    expect(METRICS.webhook_requests_total.labels).toEqual(["operation", "allowed"]);
    expect(METRICS.pods_tracked_total.type).toBe("gauge");
    expect(Object.values(METRICS).filter((m) => m.origin === "reference")).toHaveLength(18);
  });

  test("histograms expose _bucket/_sum/_count series", () => {
    const series = allSeriesNames();
    expect(series.has("webhook_request_duration_seconds_bucket")).toBe(true);
    expect(series.has("webhook_request_duration_seconds")).toBe(false);
  });

  test("leader metrics belong to the leader-elected components only", () => {
    expect(metricsOf("webhook").map((m) => m.name)).not.toContain("kube_devops_leader_status");
    expect(metricsOf("watch").map((m) => m.name)).toContain("kube_devops_leader_status");
    expect(metricsOf("watch").map((m) => m.name)).toContain("kube_devops_build_info");
  });

  test("names follow Prometheus conventions: counters end in _total, units are base units", () => {
    for (const m of Object.values(METRICS)) {
      expect(m.name).toMatch(/^[a-z_][a-z0-9_]*$/);
      if (m.type === "counter") expect(m.name).toMatch(/_total$/);
      if (m.type === "histogram") expect(m.name).toMatch(/_seconds$/);
    }
  });
});
