/**
 * Observability objects: the dashboard has every reference panel, a sane grid and a datasource
 * variable; every PromQL expression (dashboard and alerts) names only metrics lib/metrics/names.ts
 * lists; `promtool check rules` accepts the alert rules, and `promtool test rules` pins when the
 * cache-age alerts fire.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dashboardExpressions, renderDashboard, renderDashboardConfigMap } from "../../gen/observability/dashboard.ts";
import { alertRules, renderPrometheusRule, ruleGroups } from "../../gen/observability/prometheus-rules.ts";
import { renderServiceMonitors } from "../../gen/observability/service-monitors.ts";
import { resolveDeployOptions } from "../../gen/options.ts";
import { toYaml, toYamlDocument } from "../../gen/to-yaml.ts";
import { apiServerSeriesNames } from "../../lib/metrics/apiserver-admission.ts";
import { allSeriesNames } from "../../lib/metrics/names.ts";
import { apiServerAlertRules } from "../../gen/observability/apiserver-alerts.ts";
import { renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { metricNames, vectorSelectors } from "../support/promql.ts";

const options = resolveDeployOptions("1.2.3");
/** Series Prometheus itself adds to every target. */
const SYNTHETIC = new Set(["up"]);

type Panel = { id: number; type: string; title: string; gridPos: { h: number; w: number; x: number; y: number }; datasource?: { uid: string }; targets?: { expr: string; datasource: { uid: string } }[] };
const panels = renderDashboard().panels as Panel[];

describe("Grafana dashboard", () => {
  test("keeps every panel of the reference (§8), in its rows", () => {
    const reference = [
      "Overview", "Cluster Health Score", "Reconcile Cycles", "Webhook Requests",
      "Watch", "Namespace Health Scores", "Pod Events Rate", "Pods Tracked",
      "Reconcile", "Violations by Namespace", "Health Scores", "Reconcile Rate", "Reconcile Errors", "Reconcile Duration", "Pods Scanned", "Remediations Applied", "Remediations Failed", "Enforcement Mode",
      "Webhook", "Allow/Deny Rate", "Denial Breakdown", "Request Latency",
      "Severity & Audit", "Violations by Severity", "Audit Results Over Time", "Critical Violations",
    ];
    const titles = panels.map((p) => p.title);
    expect(titles.filter((t) => reference.includes(t))).toEqual(reference.filter((t) => titles.includes(t)));
    expect(reference.filter((t) => !titles.includes(t))).toEqual([]);
    expect(titles).toContain("Leader Election");
    expect(titles).toContain("Certificate Expiry");
  });

  test("ids are unique and panels never overlap on the 24-column grid", () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const key = `${x},${y}`;
          expect(cells.has(key)).toBe(false);
          cells.add(key);
        }
      }
    }
  });

  test("every data panel and query uses the ${datasource} variable", () => {
    const dashboard = renderDashboard() as { templating: { list: { name: string; type: string; query: string }[] } };
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }));
    for (const p of panels.filter((p) => p.type !== "row")) {
      expect(p.datasource?.uid).toBe("${datasource}");
      for (const t of p.targets ?? []) expect(t.datasource.uid).toBe("${datasource}");
    }
  });

  test("every expression names only metrics the components export", () => {
    const known = allSeriesNames();
    for (const expr of dashboardExpressions()) {
      const names = metricNames(expr);
      expect(names.length).toBeGreaterThan(0);
      expect(names.filter((n) => !known.has(n))).toEqual([]);
    }
  });

  test("the metric-name check would catch an unknown metric", () => {
    const known = allSeriesNames();
    expect(metricNames('sum by (le) (rate(webhook_latency_bucket{job="x"}[5m])) > 1e-9').filter((n) => !known.has(n))).toEqual(["webhook_latency_bucket"]);
  });

  test("ships in a sidecar ConfigMap as JSON (grafana_dashboard: \"1\")", () => {
    const cm = renderDashboardConfigMap(options);
    expect(cm.metadata?.labels?.grafana_dashboard).toBe("1");
    expect(JSON.parse(cm.data?.["kube-devops.json"] ?? "")).toEqual(renderDashboard());
  });

  test("snapshot: observability generate-dashboard", () => {
    expect(toYamlDocument(renderDashboardConfigMap(options))).toMatchSnapshot();
  });
});

describe("PrometheusRule", () => {
  test("covers the alerts that matter", () => {
    const names = alertRules("kube-devops").map((r) => r.alert);
    for (const n of ["KubeDevopsWebhookDown", "KubeDevopsWebhookSlow", "KubeDevopsWebhookUnreachable", "KubeDevopsApiServerFailingClosed", "KubeDevopsReconcileErrors", "KubeDevopsClusterScoreDrop", "KubeDevopsCertificateExpiringSoon", "KubeDevopsNoLeader"]) expect(names).toContain(n);
  });

  test("every alert expression names only exported metrics, the API server's admission-webhook metrics (decision 0030) or Prometheus's own `up`", () => {
    const known = new Set([...allSeriesNames(), ...apiServerSeriesNames()]);
    for (const rule of alertRules("kube-devops")) {
      const names = metricNames(rule.expr);
      expect(names.length).toBeGreaterThan(0);
      expect(names.filter((n) => !known.has(n) && !SYNTHETIC.has(n))).toEqual([]);
    }
  });

  test("the API-server alerts select our webhook by the name the generated VWC gives it, as a validating webhook", () => {
    const vwc = renderWebhookConfiguration({ caBundle: "" }) as { webhooks: { name: string }[] };
    const webhookName = vwc.webhooks[0]?.name ?? "";
    const rules = apiServerAlertRules("kube-devops");
    expect(rules.map((r) => r.alert)).toEqual(["KubeDevopsWebhookUnreachable", "KubeDevopsApiServerFailingOpen", "KubeDevopsApiServerFailingClosed", "KubeDevopsApiServerWebhookSlow"]);
    for (const rule of rules) {
      for (const selector of vectorSelectors(rule.expr)) expect(selector).toContain(`{name="${webhookName}",type="validating"`);
      expect(rule.annotations.description).toContain(webhookName);
      expect(rule.for).not.toBe("0m");
    }
    // each says where to look, and that the API server must be scraped
    for (const rule of rules.slice(0, 3)) for (const what of ["endpointslices", "NetworkPolicy", "caBundle", "x509/TLS", "kube-prometheus-stack"]) expect(rule.annotations.description).toContain(what);
    expect(alertRules("kube-devops").filter((r) => rules.some((a) => a.alert === r.alert))).toEqual(rules);
  });

  test("promtool check rules accepts the rules", () => {
    const promtool = Bun.which("promtool");
    if (!promtool) throw new Error("promtool is missing: install the Debian package `prometheus` (.ci/run does this)");
    const dir = mkdtempSync(join(tmpdir(), "kd-rules-"));
    const file = join(dir, "rules.yaml");
    writeFileSync(file, toYamlDocument({ groups: ruleGroups("kube-devops") }));
    const result = Bun.spawnSync([promtool, "check", "rules", file], { stdout: "pipe", stderr: "pipe" });
    expect(`${result.stdout.toString()}${result.stderr.toString()}`).toContain("SUCCESS");
    expect(result.exitCode).toBe(0);
  });

  test("promtool rejects a broken rule (the check can fail)", () => {
    const promtool = Bun.which("promtool");
    if (!promtool) throw new Error("promtool is missing: install the Debian package `prometheus` (.ci/run does this)");
    const file = join(mkdtempSync(join(tmpdir(), "kd-rules-")), "bad.yaml");
    writeFileSync(file, toYamlDocument({ groups: [{ name: "x", rules: [{ alert: "Broken", expr: "sum(rate(up[5m])" }] }] }));
    expect(Bun.spawnSync([promtool, "check", "rules", file], { stdout: "pipe", stderr: "pipe" }).exitCode).not.toBe(0);
  });

  test("promtool test rules: the cache-age alerts stay quiet on a healthy watch (a bookmark a minute) and fire 6 min after the last progress", () => {
    const promtool = Bun.which("promtool");
    if (!promtool) throw new Error("promtool is missing: install the Debian package `prometheus` (.ci/run does this)");
    const dir = mkdtempSync(join(tmpdir(), "kd-rules-test-"));
    writeFileSync(join(dir, "rules.yaml"), toYamlDocument({ groups: ruleGroups("kube-devops") }));
    const rules = alertRules("kube-devops");
    const cases = [
      { alert: "KubeDevopsWatchScoresStale", series: `watch_cache_age_seconds{job="kube-devops-watch",namespace="kube-devops"}` },
      { alert: "KubeDevopsWebhookPoliciesStale", series: `webhook_policy_cache_age_seconds{job="kube-devops-webhook",namespace="kube-devops"}` },
    ];
    // 15 s samples: 10 min of a healthy quiet watch (the age climbs to 60 s, a bookmark resets it),
    // then the last progress at 10m and nothing after: the age passes 300 at 15m15s
    const healthy = Array.from({ length: 8 }, () => "0+15x4").join(" ");
    const tests = cases.map(({ alert, series }) => {
      const rule = rules.find((r) => r.alert === alert)!;
      const fired = { severity: "warning" };
      const annotations = { ...rule.annotations, description: rule.annotations.description.replace("{{ $value | humanizeDuration }}", "6m 15s") };
      return {
        interval: "15s",
        input_series: [{ series, values: `${healthy} 0+15x40` }],
        alert_rule_test: [
          { eval_time: "9m45s", alertname: alert, exp_alerts: [] },
          // above 300 since 15m15s, pending for 45 s: not yet
          { eval_time: "16m", alertname: alert, exp_alerts: [] },
          { eval_time: "16m15s", alertname: alert, exp_alerts: [{ exp_labels: fired, exp_annotations: annotations }] },
        ],
      };
    });
    writeFileSync(join(dir, "test.yaml"), toYamlDocument({ rule_files: ["rules.yaml"], evaluation_interval: "15s", tests }));
    const result = Bun.spawnSync([promtool, "test", "rules", join(dir, "test.yaml")], { stdout: "pipe", stderr: "pipe" });
    expect(`${result.stdout.toString()}${result.stderr.toString()}`).toContain("SUCCESS");
    expect(result.exitCode).toBe(0);
  });

  test("promtool test rules: KubeDevopsPolicyScoreDrop says how many points the policy lost, a positive number", () => {
    const promtool = Bun.which("promtool");
    if (!promtool) throw new Error("promtool is missing: install the Debian package `prometheus` (.ci/run does this)");
    const dir = mkdtempSync(join(tmpdir(), "kd-rules-test-"));
    writeFileSync(join(dir, "rules.yaml"), toYamlDocument({ groups: ruleGroups("kube-devops") }));
    const rule = alertRules("kube-devops").find((r) => r.alert === "KubeDevopsPolicyScoreDrop")!;
    const fired = { exp_labels: { severity: "warning", namespace: "shop", policy: "strict" }, exp_annotations: { summary: rule.annotations.summary, description: "Policy strict in shop lost 15 points." } };
    const tests = [{
      interval: "1m",
      // 100 for an hour, then 85: pending from 60m, firing 10 min later; a rise never fires
      input_series: [
        { series: 'devopspolicy_health_score{namespace="shop",policy="strict",job="kube-devops-reconcile"}', values: "100x59 85x30" },
        { series: 'devopspolicy_health_score{namespace="batch",policy="audit",job="kube-devops-reconcile"}', values: "70x59 100x30" },
      ],
      alert_rule_test: [
        { eval_time: "65m", alertname: rule.alert, exp_alerts: [] },
        { eval_time: "70m", alertname: rule.alert, exp_alerts: [fired] },
      ],
    }];
    writeFileSync(join(dir, "test.yaml"), toYamlDocument({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests }));
    const result = Bun.spawnSync([promtool, "test", "rules", join(dir, "test.yaml")], { stdout: "pipe", stderr: "pipe" });
    expect(`${result.stdout.toString()}${result.stderr.toString()}`).toContain("SUCCESS");
    expect(result.exitCode).toBe(0);
  });

  test("snapshot: observability generate-rules and generate-service-monitors", () => {
    expect(toYaml([renderPrometheusRule(options), ...renderServiceMonitors(options)])).toMatchSnapshot();
  });
});

describe("ServiceMonitors (W-D5)", () => {
  test("the webhook is scraped over HTTPS and verified with its CA, never insecureSkipVerify", () => {
    const webhook = renderServiceMonitors(options).find((m) => m.metadata?.name === "kube-devops-webhook");
    const endpoint = webhook?.spec.endpoints?.[0];
    expect(endpoint?.scheme).toBe("https");
    expect(endpoint?.tlsConfig?.ca?.secret).toEqual({ name: "kube-devops-webhook-tls", key: "ca.crt" });
    expect(endpoint?.tlsConfig?.serverName).toBe("kube-devops-webhook.kube-devops.svc");
    expect(JSON.stringify(webhook)).not.toContain("insecureSkipVerify");
  });

  test("watch and reconcile skip verification only where they serve a self-signed certificate, and then always with the reader's token (decision 0029)", () => {
    for (const metricsAuth of ["kubernetes", "none"] as const) {
      const monitors = renderServiceMonitors({ ...options, metricsAuth: { watch: metricsAuth, reconcile: metricsAuth, webhook: "kubernetes" } });
      for (const name of ["kube-devops-watch", "kube-devops-reconcile"]) {
        const endpoint = monitors.find((m) => m.metadata?.name === name)?.spec.endpoints?.[0];
        expect({ name, scheme: endpoint?.scheme, skip: endpoint?.tlsConfig?.insecureSkipVerify, token: endpoint?.authorization !== undefined }).toEqual(
          metricsAuth === "kubernetes" ? { name, scheme: "https", skip: true, token: true } : { name, scheme: "http", skip: undefined, token: false },
        );
      }
    }
  });
});
