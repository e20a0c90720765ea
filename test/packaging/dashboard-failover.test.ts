/**
 * The dashboard across a leader change, as every rollout makes one: two replicas each of the
 * compiled watch and reconcile, scraped by a real Prometheus per pod (as prometheus-operator's
 * ServiceMonitor does: `pod` and `instance` are the target's), the leaders SIGKILLed, the standbys
 * taking over. Over the hour a panel shows, the old leader's series and the new one's are both
 * there; a panel must still draw one line (or one stat tile) per legend it names, not one per pod.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { dashboardRows } from "../../gen/observability/dashboard.ts";
import { componentName } from "../../gen/options.ts";
import { METRICS, type MetricName } from "../../lib/metrics/names.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, testPolicy } from "../operator/support.ts";
import { LEASE_COMPONENTS } from "../reliability/components.ts";
import { LEASE_FLAGS, leaderGauge, startReplica, until, type Replica } from "../reliability/replicas.ts";
import { expandVariables } from "../support/grafana.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";
import { metricNames } from "../support/promql.ts";
import { makePod } from "../watch/support.ts";

const NAMESPACE = "shop";
const ELECTED = ["watch", "reconcile"] as const;

let emu: Emulator;
let prom: Prometheus;
const replicas: Record<(typeof ELECTED)[number], Replica[]> = { watch: [], reconcile: [] };

beforeAll(async () => {
  emu = await startEmulator();
  const cluster = await prepareCluster(emu, [NAMESPACE]);
  for (let i = 0; i < 6; i++) emu.store.load(makePod(NAMESPACE, `${NAMESPACE}-${i}`, i) as never);
  await emu.store.create("devopspolicies.devops.stochastic.io", testPolicy("strict", NAMESPACE, { forbidLatestTag: true, requireLivenessProbe: true }) as never, { namespace: NAMESPACE });
  for (const name of ELECTED) {
    const spec = LEASE_COMPONENTS.find((c) => c.name === name)!.spec;
    for (const i of [0, 1]) replicas[name].push(await startReplica(spec, cluster.kubeconfigPath, `${name}-${i}`, LEASE_FLAGS));
  }
  // one job per Service, one target per pod, labelled as prometheus-operator labels them
  const scrape_configs = ELECTED.map((name) => ({
    job_name: componentName(name),
    honor_labels: true,
    scrape_interval: "1s",
    static_configs: replicas[name].map((r) => ({ targets: [new URL(r.url).host], labels: { namespace: "kube-devops", pod: `${componentName(name)}-${r.identity}` } })),
  }));
  prom = await startPrometheus({ global: { scrape_interval: "1s", evaluation_interval: "1s" }, scrape_configs });
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  for (const r of [...replicas.watch, ...replicas.reconcile]) r.proc.kill("SIGKILL");
  await emu?.stop();
});

/** The replica of `name` that leads (its gauge says 1), once one does. */
const leaderOf = (name: (typeof ELECTED)[number]) => until(`a ${name} leader`, async () => {
  for (const r of replicas[name]) if (r.proc.exitCode === null && (await leaderGauge(r)) === 1) return r;
  return undefined;
});

/** Polls until `expr` selects a series scraped from `pod`. */
const scrapedFrom = (expr: string, pod: string) => until(`${expr} from ${pod}`, async () => ((await prom.query(expr)).some((s) => s.metric.pod === pod) ? true : undefined), 30_000);

/** Series of a range query over the last `seconds`, with their labels. */
async function rangeSeries(expr: string, seconds: number): Promise<Record<string, string>[]> {
  const end = Date.now() / 1000;
  const url = `${prom.url}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - seconds}&end=${end}&step=1`;
  const body = (await (await fetch(url)).json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string> }[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return (body.data?.result ?? []).map((s) => s.metric);
}

/** What Grafana names a series: the legend with its labels filled in; a target without one is a single stat value. */
const legendOf = (legend: string | undefined, labels: Record<string, string>) => (legend ?? "").replace(/\{\{\s*(\w+)\s*\}\}/g, (_, l: string) => labels[l] ?? "");

test("after a leader change, every watch and reconcile panel draws one series per legend, not one per pod that led", async () => {
  const started = Date.now();
  const before = { watch: await leaderOf("watch"), reconcile: await leaderOf("reconcile") };
  const pod = (name: (typeof ELECTED)[number], r: Replica) => `${componentName(name)}-${r.identity}`;
  // both leaders' scores and policy gauges are in Prometheus, then the leaders die
  await scrapedFrom("namespace_health_score", pod("watch", before.watch));
  await scrapedFrom("devopspolicy_health_score", pod("reconcile", before.reconcile));
  for (const name of ELECTED) before[name].proc.kill("SIGKILL");
  for (const name of ELECTED) {
    const after = await leaderOf(name);
    expect(after.identity).not.toBe(before[name].identity);
  }
  const standby = (name: (typeof ELECTED)[number]) => replicas[name].find((r) => r !== before[name])!;
  await scrapedFrom("namespace_health_score", pod("watch", standby("watch")));
  await scrapedFrom("devopspolicy_health_score", pod("reconcile", standby("reconcile")));

  // a few more scrapes of the new leaders: a range query's last step may fall before a lone sample
  await Bun.sleep(3_000);
  const window = (Date.now() - started) / 1000 + 5;
  const ours = (expr: string) => metricNames(expr).some((n) => METRICS[n as MetricName]?.components.some((c) => c === "watch" || c === "reconcile"));
  const checked: string[] = [];
  const ambiguous: { panel: string; expr: string; legend: string; series: number }[] = [];
  for (const row of dashboardRows()) {
    for (const panel of row.panels) {
      for (const target of panel.targets) {
        const expr = expandVariables(target.expr, { namespace: ".*", datasource: "prometheus" });
        if (!ours(expr)) continue;
        const series = await rangeSeries(expr, window);
        // counters and histograms that moved may have no data yet; the gauges of a leader always do
        if (series.length === 0) continue;
        checked.push(panel.title);
        const byLegend = new Map<string, number>();
        for (const labels of series) {
          const name = legendOf(target.legend, labels);
          byLegend.set(name, (byLegend.get(name) ?? 0) + 1);
        }
        for (const [legend, count] of byLegend) if (count > 1) ambiguous.push({ panel: panel.title, expr, legend, series: count });
      }
    }
  }
  expect(checked).toEqual(expect.arrayContaining(["Cluster Health Score", "Namespace Health Scores", "Pods Tracked", "Violations by Namespace", "Health Scores", "Enforcement Mode", "Leaders", "Leader by Pod"]));
  expect(ambiguous).toEqual([]);
}, 90_000);
