/**
 * The dashboard and the alert rules against what the compiled components really export: a real
 * Prometheus scrapes watch, reconcile and webhook (emulator, every kind of finding, an enforce
 * and an audit policy, admission reviews) with the generated rules loaded; every panel query
 * must return data carrying the labels its legend names, and every alert must evaluate, stay
 * quiet in the healthy install, select existing series, and fire when its condition happens.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dashboardRows, renderDashboard } from "../../gen/observability/dashboard.ts";
import { alertRules, renderPrometheusRule } from "../../gen/observability/prometheus-rules.ts";
import { componentName, resolveDeployOptions } from "../../gen/options.ts";
import { expandVariables, parseLabelValues, variablesOf } from "../support/grafana.ts";
import { startPrometheus, type Prometheus, type Sample } from "../support/prometheus.ts";
import { vectorSelectors } from "../support/promql.ts";
import { INSTALL_NAMESPACE, NAMESPACES, POLICY_ONLY_NAMESPACE, scrapeConfig, sendReviews, startLiveInstall, type LiveInstall } from "./live-install.ts";

/**
 * Panels without data in this install, and why: before any admission review (IDLE) and after
 * (BUSY). Keep both minimal and honest: the test fails when a listed panel does show data, so an
 * entry cannot outlive its reason.
 */
const IDLE_WITHOUT_DATA: Record<string, string> = {
  "Denial Breakdown": "no denial yet: its series are per namespace and violation, known only once one happens",
  Warnings: "no warning yet: per namespace and violation, like the denials",
  "Request Latency": "no request yet: the quantile of no observations is NaN",
};
const BUSY_WITHOUT_DATA: Record<string, string> = {};

/** Alerts whose condition this install meets on purpose, and why. */
const ACTIVE_BY_DESIGN: Record<string, string> = {
  KubeDevopsCriticalViolations: "the fixtures include a restart storm (high_restarts is critical by default)",
};

let install: LiveInstall;
let prom: Prometheus;

/** Polls `probe` until it returns [] (nothing left to wait for) or the deadline passes; returns what is left. */
async function settle<T>(probe: () => Promise<T[]>, timeoutMs = 20_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await probe();
    if (left.length === 0 || Date.now() > deadline) return left;
    await Bun.sleep(250);
  }
}

/** Why a panel query's result would leave the panel without data (or mislabelled); undefined when it is fine. */
function judge(samples: Sample[], legend?: string): string | undefined {
  if (samples.length === 0) return "no series";
  if (!samples.some((s) => Number.isFinite(Number(s.value[1])))) return `only NaN/Inf (${samples.map((s) => s.value[1]).join(",")})`;
  for (const label of [...(legend ?? "").matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? "")) {
    const without = samples.filter((s) => !s.metric[label]);
    if (without.length) return `legend {{${label}}} but ${without.length} series lack the label: ${JSON.stringify(without[0]?.metric)}`;
  }
  return undefined;
}

/** The dashboard's variables as Grafana would resolve them here (the datasource one never reaches PromQL). */
function variableValues(): Record<string, string> {
  const dashboard = renderDashboard() as { templating?: { list?: { name: string; type: string; includeAll?: boolean; multi?: boolean }[] } };
  const values: Record<string, string> = {};
  for (const v of dashboard.templating?.list ?? []) values[v.name] = v.type === "datasource" ? "prometheus" : v.includeAll || v.multi ? ".*" : NAMESPACES[0];
  return values;
}

/** Every panel target, its variables expanded as Grafana would. */
function panelTargets(): { panel: string; expr: string; legend?: string }[] {
  const vars = variableValues();
  return dashboardRows().flatMap((row) => row.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: expandVariables(t.expr, vars), ...(t.legend ? { legend: t.legend } : {}) }))));
}

/** Waits until every panel but those in `without` shows data (returns what never did), then checks that those do not. */
async function checkPanels(without: Record<string, string>): Promise<{ failing: unknown[]; listedWithData: string[] }> {
  const targets = panelTargets();
  const failing = await settle(async () => {
    const problems: { panel: string; expr: string; problem: string }[] = [];
    for (const t of targets.filter((t) => !(t.panel in without))) {
      const problem = judge(await prom.query(t.expr), t.legend);
      if (problem) problems.push({ panel: t.panel, expr: t.expr, problem });
    }
    return problems;
  });
  const listedWithData: string[] = [];
  for (const t of targets.filter((t) => t.panel in without)) if (judge(await prom.query(t.expr), t.legend) === undefined) listedWithData.push(t.panel);
  return { failing, listedWithData };
}

beforeAll(async () => {
  install = await startLiveInstall();
  const rules = renderPrometheusRule(resolveDeployOptions("1.0.0", { namespace: INSTALL_NAMESPACE })).spec.groups;
  prom = await startPrometheus(scrapeConfig(install), { groups: rules ?? [] });
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  await install?.stop();
});

describe("observability against a live install (compiled components, real Prometheus)", () => {
  test("Prometheus scrapes all three components under their Service's job, as the generated ServiceMonitors say: HTTPS with the reader's token", async () => {
    const jobs = ["watch", "reconcile", "webhook"].map((c) => componentName(c as never));
    const config = scrapeConfig(install).scrape_configs as { job_name: string; scheme: string; authorization?: unknown; tls_config?: { insecure_skip_verify?: boolean } }[];
    expect(config.map((j) => [j.job_name, j.scheme, j.authorization !== undefined, j.tls_config?.insecure_skip_verify === true])).toEqual([
      ["kube-devops-watch", "https", true, true],
      ["kube-devops-reconcile", "https", true, true],
      ["kube-devops-webhook", "https", true, false],
    ]);
    const down = await settle(async () => {
      const up = await prom.query(`up{namespace="${INSTALL_NAMESPACE}"} == 1`);
      return jobs.filter((j) => !up.some((s) => s.metric.job === j));
    });
    expect(down).toEqual([]);
  });

  test("before any admission review, every panel shows data but the listed ones", async () => {
    expect(Object.keys(IDLE_WITHOUT_DATA).every((title) => panelTargets().some((t) => t.panel === title))).toBe(true);
    expect(await checkPanels(IDLE_WITHOUT_DATA)).toEqual({ failing: [], listedWithData: [] });
  });

  test("reviews: allowed, denied (:latest under enforce), warned (no probes; :latest under audit)", async () => {
    const expected = [
      { allowed: true, warned: false },
      { allowed: false, warned: false },
      { allowed: true, warned: true },
      { allowed: true, warned: true },
    ];
    expect(await sendReviews(install, 1)).toEqual(expected);
    // a scrape between two rounds: every per-violation counter has an increase for rate() to see
    expect(await settle(async () => ((await prom.query('webhook_denials_total{namespace="shop",violation="latest_tag"}')).length ? [] : ["not scraped yet"]))).toEqual([]);
    expect(await sendReviews(install, 2)).toEqual(expected);
  });

  test("after the reviews, every panel query returns data carrying the labels its legend names", async () => {
    expect(panelTargets().length).toBeGreaterThan(20);
    expect(await checkPanels(BUSY_WITHOUT_DATA)).toEqual({ failing: [], listedWithData: [] });
  });

  test("every variable a query uses is defined; label_values variables list the test namespaces", async () => {
    const dashboard = renderDashboard() as { templating: { list: { name: string; type: string; query?: unknown }[] } };
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    const used = dashboardRows().flatMap((r) => r.panels.flatMap((p) => p.targets.flatMap((t) => variablesOf(t.expr))));
    expect(used.filter((name) => !defined.has(name) && !name.startsWith("__"))).toEqual([]);
    for (const v of dashboard.templating.list.filter((v) => v.type === "query")) {
      const query = typeof v.query === "string" ? v.query : (v.query as { query?: string } | undefined)?.query ?? "";
      const parsed = parseLabelValues(query);
      expect({ variable: v.name, parsed: parsed !== undefined }).toEqual({ variable: v.name, parsed: true });
      const values = await prom.labelValues(parsed!.label, parsed!.match);
      expect(values).toEqual(expect.arrayContaining([...NAMESPACES, POLICY_ONLY_NAMESPACE]));
      // workload namespaces only: the install's own comes from the scrape target of every other series
      expect(values).not.toContain(INSTALL_NAMESPACE);
    }
    // what the watch's gauge alone would list: not the namespace with a policy and no pod
    const scored = parseLabelValues("label_values(namespace_health_score, namespace)")!;
    const listed = await prom.labelValues(scored.label, scored.match);
    expect(listed).toEqual(expect.arrayContaining([...NAMESPACES]));
    expect(listed).not.toContain(POLICY_ONLY_NAMESPACE);
  });

  test("the checks can fail: a misspelled label, a missing _bucket, a wrong `by` and an unknown variable", async () => {
    expect(judge(await prom.query('namespace_health_score{namspace="shop"}'))).toBe("no series");
    expect(judge(await prom.query("histogram_quantile(0.99, sum by (le) (rate(devopspolicy_health_score_bucket[5m])))"))).toBe("no series");
    // `by (check)` where the series say `violation`: data, but every legend would read "{{violation}}"
    expect(judge(await prom.query("sum by (check) (rate(webhook_denials_total[5m]))"), "{{violation}}")).toContain("lack the label");
    expect(judge(await prom.query("sum by (violation) (rate(webhook_denials_total[5m]))"), "{{violation}}")).toBeUndefined();
    expect(() => expandVariables("namespace_health_score{cluster=~\"$cluster\"}", variableValues())).toThrow("$cluster");
    expect(await prom.labelValues("namspace", "namespace_health_score")).toEqual([]);
    // the alert-selector check: selectors as written, and a wrong job matches nothing
    expect(vectorSelectors('sum(rate(a_total{x="1",y=~"b.*"}[5m])) / clamp_min(max by (le) (b offset 1h), 1e-9) > bool 0')).toEqual(['a_total{x="1",y=~"b.*"}', "b"]);
    expect(await prom.query(`up{job="${componentName("watch")}er"}`)).toEqual([]);
  });

  test("Prometheus evaluates every alert rule without error; the healthy install fires none but the expected", async () => {
    const names = alertRules(INSTALL_NAMESPACE).map((r) => r.alert);
    const unevaluated = await settle(async () => (await prom.rules()).filter((r) => r.health !== "ok").map((r) => `${r.name}: ${r.health} ${r.lastError ?? ""}`));
    expect(unevaluated).toEqual([]);
    expect((await prom.rules()).map((r) => r.name).sort()).toEqual([...names].sort());
    const active: string[] = [];
    for (const rule of alertRules(INSTALL_NAMESPACE)) if ((await prom.query(rule.expr)).length) active.push(rule.alert);
    expect(active.sort()).toEqual(Object.keys(ACTIVE_BY_DESIGN).sort());
  });

  test("every series an alert selects exists", async () => {
    const selectors = [...new Set(alertRules(INSTALL_NAMESPACE).flatMap((r) => vectorSelectors(r.expr)))];
    expect(selectors).toContain(`up{job="${componentName("webhook")}",namespace="${INSTALL_NAMESPACE}"}`);
    const missing = await settle(async () => {
      const left: string[] = [];
      for (const s of selectors) if ((await prom.query(s)).length === 0) left.push(s);
      return left;
    });
    expect(missing).toEqual([]);
  });

  test("alerts can fire: a malformed review trips FailingOpen, a dead watch trips WatchDown", async () => {
    const rule = (name: string) => alertRules(INSTALL_NAMESPACE).find((r) => r.alert === name)!.expr;
    expect(await prom.query(rule("KubeDevopsWebhookFailingOpen"))).toEqual([]);
    expect((await install.post("{not json")).status).toBe(400);
    expect(await settle(async () => ((await prom.query(rule("KubeDevopsWebhookFailingOpen"))).length ? [] : ["not yet"]))).toEqual([]);

    expect(await prom.query(rule("KubeDevopsWatchDown"))).toEqual([]);
    install.watch.proc.kill("SIGKILL");
    expect(await settle(async () => ((await prom.query(rule("KubeDevopsWatchDown"))).length ? [] : ["not yet"]))).toEqual([]);
    expect(await prom.query(rule("KubeDevopsReconcileDown"))).toEqual([]);
  });
});
