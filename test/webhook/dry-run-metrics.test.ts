/**
 * Dry-run admission requests (`kubectl apply --dry-run=server`, `kubectl diff`, Argo CD's
 * server-side diff) persist nothing: their findings stay out of webhook_denials_total,
 * _warnings_total and _exemptions_total, and they are counted in
 * webhook_dry_run_requests_total{operation, allowed}; webhook_requests_total counts every request.
 */
import { describe, expect, test } from "bun:test";
import { EXEMPT_CHECKS_ANNOTATION } from "../../lib/checks/exemptions.ts";
import { createWebhookMetrics } from "../../lib/webhook/metrics.ts";
import { goodContainer, makeApp, pod, request, review } from "./fixtures.ts";

/** The samples of the named counters in the registry's exposition, sorted (series at 0 included). */
async function samples(metrics: ReturnType<typeof createWebhookMetrics>, ...names: string[]): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text
    .split("\n")
    .filter((l) => names.some((name) => l.startsWith(`${name}{`)))
    .sort();
}

async function post(app: ReturnType<typeof makeApp>["app"], body: unknown): Promise<boolean> {
  const res = await app.request("/validate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return ((await res.json()) as { response: { allowed: boolean } }).response.allowed;
}

const FINDINGS = ["webhook_denials_total", "webhook_warnings_total", "webhook_exemptions_total"];
/** Denied (:latest), warned (no readiness probe: medium, below the default threshold) and an exempted check. */
const FINDING_POD = pod([goodContainer("app", { image: "nginx:latest", readinessProbe: undefined, livenessProbe: undefined })], { annotations: { [EXEMPT_CHECKS_ANNOTATION]: "missing_liveness" } });

describe("dry-run requests in the metrics", () => {
  test("a dry-run CREATE and UPDATE move no finding counter; each is a dry-run request and a request", async () => {
    const { app, metrics } = makeApp();
    expect(await post(app, review(request(FINDING_POD, { dryRun: true })))).toBe(false);
    expect(await post(app, review(request(pod([goodContainer()]), { dryRun: true, operation: "UPDATE", oldObject: pod([goodContainer()]) })))).toBe(true);
    expect(await samples(metrics, ...FINDINGS)).toEqual([]);
    expect(await samples(metrics, "webhook_dry_run_requests_total")).toEqual([
      'webhook_dry_run_requests_total{operation="CREATE",allowed="false"} 1',
      'webhook_dry_run_requests_total{operation="CREATE",allowed="true"} 0',
      'webhook_dry_run_requests_total{operation="UPDATE",allowed="false"} 0',
      'webhook_dry_run_requests_total{operation="UPDATE",allowed="true"} 1',
    ]);
    // traffic, like the latency histogram: a dry-run denial is in allowed="false"
    expect(await samples(metrics, "webhook_requests_total")).toContain('webhook_requests_total{operation="CREATE",allowed="false"} 1');
  });

  test("the same review persisted (dryRun false or absent) counts its findings, and no dry-run request", async () => {
    const { app, metrics } = makeApp();
    expect(await post(app, review(request(FINDING_POD, { dryRun: false })))).toBe(false);
    expect(await post(app, review(request(FINDING_POD)))).toBe(false);
    expect(await samples(metrics, ...FINDINGS)).toEqual([
      'webhook_denials_total{namespace="prod",violation="latest_tag"} 2',
      'webhook_exemptions_total{namespace="prod",violation="missing_liveness"} 2',
      'webhook_warnings_total{namespace="prod",violation="missing_readiness"} 2',
    ]);
    expect(await samples(metrics, "webhook_dry_run_requests_total")).not.toContainEqual(expect.stringMatching(/ [1-9]/));
    expect(await samples(metrics, "webhook_requests_total")).toContain('webhook_requests_total{operation="CREATE",allowed="false"} 2');
  });

  test("a dry run that fails open is still counted as a dry-run request (allowed)", async () => {
    const { app, metrics } = makeApp({ policiesFor: () => { throw new Error("cache exploded"); } });
    expect(await post(app, review(request(FINDING_POD, { dryRun: true })))).toBe(true);
    expect(await samples(metrics, "webhook_dry_run_requests_total")).toContain('webhook_dry_run_requests_total{operation="CREATE",allowed="true"} 1');
  });
});
