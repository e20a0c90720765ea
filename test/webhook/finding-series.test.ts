/**
 * The finding counters (webhook_denials_total, _warnings_total, _exemptions_total) of a namespace
 * with a policy exist at 0 before its first finding, so rate()/increase() see that finding; only
 * for namespaces admission judges and the checks their policies enable; and when the policy goes
 * away they stay if they counted something and go if they are still 0.
 */
import { describe, expect, test } from "bun:test";
import { compileAdmissionPlan } from "../../lib/admission/admission-plan.ts";
import { compileAdmissionPolicy, PolicyIndex } from "../../lib/admission/policy-index.ts";
import { createLogger } from "../../lib/log.ts";
import { createWebhookHandlers } from "../../lib/webhook/app.ts";
import { createWebhookMetrics, type ExpectedFindings } from "../../lib/webhook/metrics.ts";
import { expectedFindingsOf } from "../../lib/webhook/policy-cache.ts";
import { ENFORCE_LATEST, goodContainer, pod, policies, request, review } from "./fixtures.ts";

const FINDING_COUNTERS = ["webhook_denials_total", "webhook_warnings_total", "webhook_exemptions_total"];

/** The finding counters' samples in the exposition, sorted. */
async function findingSamples(metrics: ReturnType<typeof createWebhookMetrics>): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text.split("\n").filter((l) => FINDING_COUNTERS.some((name) => l.startsWith(`${name}{`))).sort();
}

describe("the check ids a namespace's policies can report (admission plan)", () => {
  test("every enabled container check may warn; only those an enforce-mode policy rates at or above its threshold may deny", () => {
    const plan = compileAdmissionPlan([
      // missing_requests is medium by default: below the default threshold (high), a warning only
      compileAdmissionPolicy("prod", "a", { forbidLatestTag: true, requireResourceRequests: true, enforcementMode: "enforce" }),
      compileAdmissionPolicy("prod", "b", { requireLivenessProbe: true, maxRestartCount: 3, enforcementMode: "audit" }),
    ]);
    expect([...plan.checkIds].sort()).toEqual(["latest_tag", "missing_liveness", "missing_requests"]);
    expect(plan.denyingIds).toEqual(["latest_tag"]); // high_restarts is a status check: never judged at admission
  });
});

describe("expectedFindingsOf (the policy cache's series)", () => {
  test("only namespaces admission judges, each with its policies' checks; exemptions only when honoured", () => {
    const index = new PolicyIndex();
    index.upsert(compileAdmissionPolicy("prod", "p0", ENFORCE_LATEST));
    index.upsert(compileAdmissionPolicy("staging", "audit", { forbidLatestTag: true }));
    index.upsert(compileAdmissionPolicy("kube-system", "inert", ENFORCE_LATEST)); // always admitted
    index.upsert(compileAdmissionPolicy("kube-devops", "ours", ENFORCE_LATEST)); // the webhook's own namespace
    const byNamespace = (exemptions: boolean) => Object.fromEntries([...expectedFindingsOf(index, { ownNamespace: "kube-devops", exemptions })].map((e) => [e.namespace, e]));
    expect(byNamespace(true)).toEqual({
      // the probes are medium by default: below the default threshold (high), they only warn
      prod: { namespace: "prod", denials: ["latest_tag"], warnings: ["latest_tag", "missing_liveness", "missing_readiness"], exemptions: ["latest_tag", "missing_liveness", "missing_readiness"] },
      staging: { namespace: "staging", denials: [], warnings: ["latest_tag"], exemptions: ["latest_tag"] },
    });
    expect(byNamespace(false).prod?.exemptions).toEqual([]);
  });
});

describe("createWebhookMetrics with expectedFindings", () => {
  test("a scrape before any request shows the expected series at 0; a finding makes it 1", async () => {
    const expected: ExpectedFindings[] = [{ namespace: "prod", denials: ["latest_tag"], warnings: ["latest_tag", "missing_readiness"], exemptions: [] }];
    const metrics = createWebhookMetrics(undefined, { expectedFindings: () => expected });
    expect(await findingSamples(metrics)).toEqual([
      'webhook_denials_total{namespace="prod",violation="latest_tag"} 0',
      'webhook_warnings_total{namespace="prod",violation="latest_tag"} 0',
      'webhook_warnings_total{namespace="prod",violation="missing_readiness"} 0',
    ]);
    metrics.countFindings("prod", ["latest_tag"], ["missing_readiness"]);
    expect(await findingSamples(metrics)).toEqual([
      'webhook_denials_total{namespace="prod",violation="latest_tag"} 1',
      'webhook_warnings_total{namespace="prod",violation="latest_tag"} 0',
      'webhook_warnings_total{namespace="prod",violation="missing_readiness"} 1',
    ]);
  });

  test("series stay when the policy goes away (a vanished counter reads as a reset to rate())", async () => {
    let expected: ExpectedFindings[] = [{ namespace: "prod", denials: ["latest_tag"], warnings: [], exemptions: [] }];
    const metrics = createWebhookMetrics(undefined, { expectedFindings: () => expected });
    metrics.countFindings("prod", ["latest_tag"], []);
    expect(await findingSamples(metrics)).toEqual(['webhook_denials_total{namespace="prod",violation="latest_tag"} 1']);
    expected = [{ namespace: "staging", denials: [], warnings: [], exemptions: ["missing_limits"] }];
    expect(await findingSamples(metrics)).toEqual([
      'webhook_denials_total{namespace="prod",violation="latest_tag"} 1',
      'webhook_exemptions_total{namespace="staging",violation="missing_limits"} 0',
    ]);
  });

  test("series still at 0 go with their namespace's policies (preview namespaces do not pile up), and come back with a new policy", async () => {
    let expected: ExpectedFindings[] = [
      { namespace: "pr-1", denials: ["latest_tag"], warnings: ["missing_readiness"], exemptions: [] },
      { namespace: "prod", denials: ["latest_tag"], warnings: [], exemptions: [] },
    ];
    const metrics = createWebhookMetrics(undefined, { expectedFindings: () => expected });
    metrics.countFindings("pr-1", [], ["missing_readiness"]);
    expect(await findingSamples(metrics)).toEqual([
      'webhook_denials_total{namespace="pr-1",violation="latest_tag"} 0',
      'webhook_denials_total{namespace="prod",violation="latest_tag"} 0',
      'webhook_warnings_total{namespace="pr-1",violation="missing_readiness"} 1',
    ]);
    expected = [{ namespace: "prod", denials: ["latest_tag"], warnings: [], exemptions: [] }];
    expect(await findingSamples(metrics)).toEqual([
      'webhook_denials_total{namespace="prod",violation="latest_tag"} 0',
      'webhook_warnings_total{namespace="pr-1",violation="missing_readiness"} 1',
    ]);
    expected = [{ namespace: "pr-1", denials: ["latest_tag"], warnings: [], exemptions: [] }];
    metrics.countFindings("pr-1", ["latest_tag"], []);
    expect(await findingSamples(metrics)).toEqual([
      'webhook_denials_total{namespace="pr-1",violation="latest_tag"} 1',
      'webhook_warnings_total{namespace="pr-1",violation="missing_readiness"} 1',
    ]);
  });

  test("without the source nothing is pre-created (series appear with their first finding, as before)", async () => {
    const metrics = createWebhookMetrics();
    expect(await findingSamples(metrics)).toEqual([]);
    metrics.countFindings("prod", [], [], ["latest_tag"]);
    expect(await findingSamples(metrics)).toEqual(['webhook_exemptions_total{namespace="prod",violation="latest_tag"} 1']);
  });
});

describe("through the served app (app.request)", () => {
  test("/metrics shows prod's series at 0 before any request and the denial after one", async () => {
    const index = policies([ENFORCE_LATEST]);
    const metrics = createWebhookMetrics(undefined, { expectedFindings: () => expectedFindingsOf(index, { ownNamespace: "kube-devops", exemptions: true }) });
    const { app } = createWebhookHandlers({
      ownNamespace: "kube-devops",
      policiesFor: (ns) => index.forNamespace(ns),
      metrics,
      logger: createLogger({ format: "json", level: "error", write: () => undefined }),
      readiness: () => ({ ready: true, reasons: [] }),
    });
    const scrape = async () => (await app.request("/metrics")).text();
    const before = await scrape();
    expect(before).toContain('webhook_denials_total{namespace="prod",violation="latest_tag"} 0');
    expect(before).toContain('webhook_warnings_total{namespace="prod",violation="missing_liveness"} 0');
    expect(before).toContain('webhook_exemptions_total{namespace="prod",violation="missing_readiness"} 0');
    const res = await app.request("/validate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(review(request(pod([goodContainer("app", { image: "nginx:latest" })])))) });
    expect(((await res.json()) as { response: { allowed: boolean } }).response.allowed).toBe(false);
    const after = await scrape();
    expect(after).toContain('webhook_denials_total{namespace="prod",violation="latest_tag"} 1');
    expect(after).toContain('webhook_warnings_total{namespace="prod",violation="latest_tag"} 0');
    expect(after).not.toContain('webhook_denials_total{namespace="prod",violation="missing_liveness"}'); // it can only warn
    // a policy that arrives later (through the watch) gets its series at the next scrape
    index.upsert(compileAdmissionPolicy("staging", "audit", { forbidLatestTag: true }));
    expect(await scrape()).toContain('webhook_warnings_total{namespace="staging",violation="latest_tag"} 0');
  });
});
