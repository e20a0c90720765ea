/**
 * The dashboard and the alert rules against what the compiled components really export: a real
 * Prometheus scrapes watch, reconcile and webhook (emulator, every kind of finding, an enforce
 * and an audit policy, admission reviews) with the generated rules loaded; every panel query
 * must return data carrying the labels its legend names, and every alert must evaluate, stay
 * quiet in the healthy install, select existing series, and fire when its condition happens.
 * The emulator is scraped as kube-prometheus-stack scrapes the API server: its admission-webhook
 * metrics show the calls the webhook never sees (decision 0030).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dashboardRows, renderDashboard } from "../../gen/observability/dashboard.ts";
import { alertRules, renderPrometheusRule } from "../../gen/observability/prometheus-rules.ts";
import { componentName, resolveDeployOptions } from "../../gen/options.ts";
import { APISERVER_ADMISSION_METRICS, CALLING_WEBHOOK_ERROR } from "../../lib/metrics/apiserver-admission.ts";
import { WEBHOOK_NAME } from "../../lib/webhook/constants.ts";
import { call } from "../kube/test-client.ts";
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
  // not Denial Breakdown, Warnings, Exemptions: their series exist at 0 for every namespace with a policy (decision 0033)
  "Request Latency": "no request yet: the quantile of no observations is NaN",
};
const BUSY_WITHOUT_DATA: Record<string, string> = {};

/** Alerts whose condition this install meets on purpose, and why. */
const ACTIVE_BY_DESIGN: Record<string, string> = {
  KubeDevopsCriticalViolations: "the fixtures include a restart storm (high_restarts is critical by default)",
};

/**
 * Selectors of series the API server only creates on the first failure (its CounterVecs start
 * empty): absent from a healthy install, proven by the unreachable-webhook test instead.
 */
const ON_FIRST_FAILURE = [APISERVER_ADMISSION_METRICS.failOpen.name, `error_type="${CALLING_WEBHOOK_ERROR}"`];
const createdOnFailure = (selector: string) => ON_FIRST_FAILURE.some((s) => selector.includes(s));

let install: LiveInstall;
let prom: Prometheus;

/** Creates a pod in `shop` through the emulator's API, as a user would: admission included. */
function createPod(pod: Record<string, unknown>) {
  return call(install.emu, "/api/v1/namespaces/shop/pods", { method: "POST", body: pod });
}

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
  test("Prometheus scrapes all three components under their Service's job, as the generated ServiceMonitors say: HTTPS with the reader's token; and the API server as kube-prometheus-stack does", async () => {
    const jobs = [...["watch", "reconcile", "webhook"].map((c) => componentName(c as never)), "apiserver"];
    const config = scrapeConfig(install).scrape_configs as { job_name: string; scheme: string; authorization?: unknown; tls_config?: { insecure_skip_verify?: boolean } }[];
    expect(config.map((j) => [j.job_name, j.scheme, j.authorization !== undefined, j.tls_config?.insecure_skip_verify === true])).toEqual([
      ["kube-devops-watch", "https", true, true],
      ["kube-devops-reconcile", "https", true, true],
      ["kube-devops-webhook", "https", true, false],
      ["apiserver", "https", true, false],
    ]);
    const down = await settle(async () => {
      const up = await prom.query("up == 1");
      return jobs.filter((j) => !up.some((s) => s.metric.job === j));
    });
    expect(down).toEqual([]);
  });

  test("before any admission review, every panel shows data but the listed ones", async () => {
    expect(Object.keys(IDLE_WITHOUT_DATA).every((title) => panelTargets().some((t) => t.panel === title))).toBe(true);
    expect(await checkPanels(IDLE_WITHOUT_DATA)).toEqual({ failing: [], listedWithData: [] });
  });

  test("reviews: allowed, denied (:latest under enforce), warned (no probes; :latest under audit), exempted (:latest waived)", async () => {
    const expected = [
      { allowed: true, warned: false },
      { allowed: false, warned: false },
      { allowed: true, warned: true },
      { allowed: true, warned: true },
      { allowed: true, warned: false },
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

  test("the API server calls the webhook for pods written through it, and Prometheus has its view of those calls", async () => {
    const pod = (name: string, image: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "app", image, livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 } } }] } });
    expect((await createPod(pod("api-ok", "nginx:1.27"))).status).toBe(201);
    const denied = await createPod(pod("api-latest", "nginx:latest"));
    expect([denied.status, String(denied.body.message)]).toEqual([403, expect.stringContaining(`admission webhook "${WEBHOOK_NAME}" denied the request`)]);
    const ours = `name="${WEBHOOK_NAME}",type="validating",job="apiserver",namespace="default"`;
    const missing = await settle(async () => {
      const left: string[] = [];
      for (const q of [`${APISERVER_ADMISSION_METRICS.request.name}{${ours},operation="CREATE",code="200",rejected="false"}`, `${APISERVER_ADMISSION_METRICS.rejection.name}{${ours},error_type="no_error",rejection_code="403"}`]) {
        if ((await prom.query(q)).length === 0) left.push(q);
      }
      return left;
    });
    expect(missing).toEqual([]);
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

  test("every series an alert selects exists (those the API server creates on the first failure: once one happened, below)", async () => {
    const selectors = [...new Set(alertRules(INSTALL_NAMESPACE).flatMap((r) => vectorSelectors(r.expr)))];
    expect(selectors).toContain(`up{job="${componentName("webhook")}",namespace="${INSTALL_NAMESPACE}"}`);
    expect(selectors.filter(createdOnFailure).length).toBe(2);
    const missing = await settle(async () => {
      const left: string[] = [];
      for (const s of selectors.filter((s) => !createdOnFailure(s))) if ((await prom.query(s)).length === 0) left.push(s);
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
  test("the API server cannot call the webhook: refused calls admit a forbidden pod unchecked and trip Unreachable and FailingOpen, under Fail they block pods and trip FailingClosed, timeouts trip ApiServerWebhookSlow", async () => {
    const rule = (name: string) => alertRules(INSTALL_NAMESPACE).find((r) => r.alert === name)!.expr;
    const fires = (name: string) => settle(async () => ((await prom.query(rule(name))).length ? [] : [`${name} not firing yet`]));
    const scraped = (selector: string) => settle(async () => ((await prom.query(selector)).length ? [] : [`${selector} not scraped yet`]));
    const ours = `name="${WEBHOOK_NAME}",type="validating",job="apiserver"`;
    let n = 0;
    // :latest in shop, whose enforce policy denies it when the webhook is asked
    const latestPod = () => createPod({ apiVersion: "v1", kind: "Pod", metadata: { name: `unchecked-${++n}` }, spec: { containers: [{ name: "app", image: "nginx:latest" }] } });
    for (const name of ["KubeDevopsWebhookUnreachable", "KubeDevopsApiServerFailingOpen", "KubeDevopsApiServerFailingClosed", "KubeDevopsApiServerWebhookSlow"]) expect(await prom.query(rule(name))).toEqual([]);

    // the Service routes nowhere (no endpoints, a NetworkPolicy, ...): connection refused, under Ignore
    install.routeWebhookService("127.0.0.1:1");
    expect((await latestPod()).status).toBe(201);
    // a first scrape of the new counter, then more failures for rate() to see
    expect(await scraped(`${APISERVER_ADMISSION_METRICS.failOpen.name}{${ours}}`)).toEqual([]);
    for (let i = 0; i < 4; i++) expect((await latestPod()).status).toBe(201);
    expect(await fires("KubeDevopsWebhookUnreachable")).toEqual([]);
    expect(await fires("KubeDevopsApiServerFailingOpen")).toEqual([]);
    // the gap this closes: the webhook itself is up and scraped the whole time
    expect(await prom.query(rule("KubeDevopsWebhookDown"))).toEqual([]);

    // failurePolicy Fail: the same broken route now blocks the pods
    const vwcs = "validatingwebhookconfigurations.admissionregistration.k8s.io";
    const setFailurePolicy = async (policy: string) => {
      const vwc = install.emu.store.get(vwcs, undefined, componentName("webhook")) as unknown as { webhooks: { failurePolicy: string }[] };
      await install.emu.store.update(vwcs, { ...vwc, webhooks: vwc.webhooks.map((w) => ({ ...w, failurePolicy: policy })) } as never);
    };
    await setFailurePolicy("Fail");
    const blocked = await latestPod();
    expect([blocked.status, String(blocked.body.message)]).toEqual([500, expect.stringContaining(`failed calling webhook "${WEBHOOK_NAME}"`)]);
    expect(await scraped(`${APISERVER_ADMISSION_METRICS.rejection.name}{${ours},error_type="${CALLING_WEBHOOK_ERROR}"}`)).toEqual([]);
    for (let i = 0; i < 2; i++) expect((await latestPod()).status).toBe(500);
    expect(await fires("KubeDevopsApiServerFailingClosed")).toEqual([]);

    // a route that accepts and never answers: each call waits out the VWC's 3 s timeout
    await setFailurePolicy("Ignore");
    const blackHole = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      install.routeWebhookService(`127.0.0.1:${blackHole.port}`);
      expect((await Promise.all([latestPod(), latestPod()])).map((r) => r.status)).toEqual([201, 201]);
      expect(await fires("KubeDevopsApiServerWebhookSlow")).toEqual([]);
    } finally {
      install.routeWebhookService();
      blackHole.stop(true);
    }

    // the selectors the healthy install could not prove now select series
    const selectors = [...new Set(alertRules(INSTALL_NAMESPACE).flatMap((r) => vectorSelectors(r.expr)))].filter(createdOnFailure);
    for (const selector of selectors) expect({ selector, series: (await prom.query(selector)).length > 0 }).toEqual({ selector, series: true });
  }, 60_000);
});
