/**
 * The compiled operator with `--reports` against the emulator: a PolicyReport per
 * policy that the CRD accepts, updated on pod changes, untouched while nothing
 * changes, collected with its policy; without the CRD the operator keeps working
 * and warns once. OpenReports too.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { DEVOPS_POLICIES, NAMESPACES, OPEN_REPORTS, PODS, WG_POLICY_REPORTS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { OPEN_REPORT_CRD } from "../reports/openreports-crd.ts";
import { POLICY_REPORT_CRD } from "../reports/wgpolicyk8s-crd.ts";
import { ensureBinary } from "../support/binary.ts";
import { eventually, prepareCluster, testPod, testPolicy, type Cluster } from "./support.ts";

type Report = KubeObject & { summary: Record<string, number>; results: { policy: string; rule: string; result: string; severity: string; resources: { kind: string; name: string; uid?: string }[] }[]; source?: string };
type Operator = { proc: Subprocess<"ignore", "ignore", "pipe">; url: string; stderr: () => string };

let emu: Emulator;
let cluster: Cluster;
const running: Subprocess[] = [];

beforeAll(async () => {
  ensureBinary();
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["shop", "clean"]);
});

afterAll(async () => {
  for (const p of running) p.kill("SIGKILL");
  await emu.stop();
});

/** Starts `reconcile --reports <format>`; keeps all of its stderr for assertions. */
async function startOperator(format: string): Promise<Operator> {
  const proc = Bun.spawn(
    [ensureBinary(), "reconcile", "--kubeconfig", cluster.kubeconfigPath, "--log-format", "json", "--metrics-addr", "127.0.0.1:0", "--no-leader-elect", "--reports", format, "--requeue-interval", "1s", "--pod-debounce", "50ms", "--audit-retention", "0", "--status-heartbeat", "1s"],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" } },
  );
  running.push(proc);
  let buffer = "";
  void (async () => {
    for await (const chunk of proc.stderr) buffer += new TextDecoder().decode(chunk);
  })();
  const line = await eventually(async () => buffer.split("\n").find((l) => l.includes('"operator_started"')), "operator start");
  return { proc, url: JSON.parse(line).metrics as string, stderr: () => buffer };
}

async function metric(op: Operator, series: string): Promise<number> {
  const text = await (await fetch(`${op.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

/** Waits until at least `n` more reconciles ran. */
async function cycles(op: Operator, n: number): Promise<void> {
  const start = await metric(op, "devopspolicy_reconcile_total");
  await eventually(async () => ((await metric(op, "devopspolicy_reconcile_total")) >= start + n ? true : undefined), `${n} reconciles`, 15_000);
}

const getReport = (type: typeof WG_POLICY_REPORTS, ns: string, name: string) => cluster.client.get<Report>(type, name, { namespace: ns }).catch(() => undefined);

describe("reconcile --reports wgpolicyk8s", () => {
  let op: Operator;

  test("without the CRD: status is still written, one warning, and the report follows once the CRD appears", async () => {
    op = await startOperator("wgpolicyk8s");
    await cluster.client.create(PODS, testPod("web-1", "shop", true));
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "shop", { forbidLatestTag: true }));
    await eventually(async () => ((await cluster.client.get<KubeObject & { status?: { healthScore?: number } }>(DEVOPS_POLICIES, "team", { namespace: "shop" })).status?.healthScore === 95 ? true : undefined), "status without the report CRD");
    await cycles(op, 3);
    expect(op.stderr().split("\n").filter((l) => l.includes('"report_crd_missing"'))).toHaveLength(1);
    expect(await metric(op, 'devopspolicy_report_writes_total{result="error"}')).toBe(0);

    await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", POLICY_REPORT_CRD as never);
    const report = await eventually(() => getReport(WG_POLICY_REPORTS, "shop", "kube-devops-team"), "the report after the CRD appears");
    const policy = await cluster.client.get(DEVOPS_POLICIES, "team", { namespace: "shop" });
    const pod = await cluster.client.get(PODS, "web-1", { namespace: "shop" });
    expect(report.metadata?.labels).toEqual({ "app.kubernetes.io/managed-by": "kube-devops", "devops.stochastic.io/policy": "team" });
    expect(report.metadata?.ownerReferences).toEqual([{ apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", name: "team", uid: policy.metadata?.uid ?? "", controller: true, blockOwnerDeletion: false }]);
    expect(report.summary).toEqual({ pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ policy: "team", rule: "latest_tag", result: "fail", severity: "high", resources: [{ apiVersion: "v1", kind: "Pod", name: "web-1", namespace: "shop", uid: pod.metadata?.uid }] });
  }, 40_000);

  test("a pod change updates the report; an unchanged namespace writes nothing", async () => {
    const before = (await getReport(WG_POLICY_REPORTS, "shop", "kube-devops-team"))?.metadata?.resourceVersion;
    await cluster.client.create(PODS, testPod("web-2", "shop", true));
    const updated = await eventually(async () => {
      const r = await getReport(WG_POLICY_REPORTS, "shop", "kube-devops-team");
      return r?.summary.fail === 2 ? r : undefined;
    }, "the report to count two failures");
    expect(updated.metadata?.resourceVersion).not.toBe(before);
    expect(updated.results.map((r) => r.resources[0]?.name)).toEqual(["web-1", "web-2"]);

    await cycles(op, 3);
    const steady = await getReport(WG_POLICY_REPORTS, "shop", "kube-devops-team");
    expect(steady?.metadata?.resourceVersion).toBe(updated.metadata?.resourceVersion);
    expect(await metric(op, 'devopspolicy_report_writes_total{result="created"}')).toBe(1);
    expect(await metric(op, 'devopspolicy_report_writes_total{result="updated"}')).toBe(1);
  }, 40_000);

  test("a write the API server keeps refusing is warned about once, counted every time, and its recovery logged", async () => {
    const warned = () => op.stderr().split("\n").filter((l) => l.includes('"report_write_failed"') && l.includes('"warn"')).length;
    const errorsBefore = await metric(op, 'devopspolicy_report_writes_total{result="error"}');
    emu.faults.failNext(6, { resource: "policyreports", status: 403, message: "denied by the test" });
    await cluster.client.create(PODS, testPod("web-3", "shop", true)); // a changed report: the writer must try
    await eventually(async () => ((await metric(op, 'devopspolicy_report_writes_total{result="error"}')) >= errorsBefore + 3 ? true : undefined), "three refused writes", 15_000);
    expect(warned()).toBe(1);
    await eventually(async () => (op.stderr().includes('"report_write_recovered"') ? true : undefined), "the recovery", 15_000);
    expect((await getReport(WG_POLICY_REPORTS, "shop", "kube-devops-team"))?.summary.fail).toBe(3);
    await cluster.client.delete(PODS, "web-3", { namespace: "shop", gracePeriodSeconds: 0 });
  }, 40_000);

  test("a report deleted by hand comes back at the next re-check (--status-heartbeat)", async () => {
    await cluster.client.delete(WG_POLICY_REPORTS, "kube-devops-team", { namespace: "shop" });
    const back = await eventually(() => getReport(WG_POLICY_REPORTS, "shop", "kube-devops-team"), "the report to be recreated");
    expect(back.summary.fail).toBe(2);
    expect(await metric(op, 'devopspolicy_report_writes_total{result="created"}')).toBe(2);
  }, 40_000);

  test("a clean namespace gets a zero summary; deleting the policy collects its report", async () => {
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("tidy", "clean", { forbidLatestTag: true }));
    const clean = await eventually(() => getReport(WG_POLICY_REPORTS, "clean", "kube-devops-tidy"), "the clean namespace's report");
    expect(clean.summary).toEqual({ pass: 0, fail: 0, warn: 0, error: 0, skip: 0 });
    expect(clean.results ?? []).toEqual([]);

    await cluster.client.delete(DEVOPS_POLICIES, "team", { namespace: "shop" });
    await eventually(async () => ((await getReport(WG_POLICY_REPORTS, "shop", "kube-devops-team")) ? undefined : true), "the report to be garbage-collected");
    expect(await getReport(WG_POLICY_REPORTS, "clean", "kube-devops-tidy")).toBeDefined();
    op.proc.kill("SIGTERM");
    await op.proc.exited;
  }, 40_000);
});

describe("reconcile --reports openreports", () => {
  test("writes an openreports.io Report the CRD accepts", async () => {
    await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", OPEN_REPORT_CRD as never);
    await cluster.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "open" } });
    await cluster.client.create(PODS, testPod("api", "open", true));
    const op = await startOperator("openreports");
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("std", "open", { forbidLatestTag: true }));
    const report = await eventually(() => getReport(OPEN_REPORTS, "open", "kube-devops-std"), "the OpenReports Report");
    expect(report.source).toBe("kube-devops");
    expect(report.summary).toEqual({ pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });
    expect(report.results[0]).toMatchObject({ policy: "std", rule: "latest_tag", result: "fail", severity: "high" });
    expect(op.stderr()).not.toContain("report_crd_missing");
    op.proc.kill("SIGTERM");
    await op.proc.exited;
  }, 40_000);
});
