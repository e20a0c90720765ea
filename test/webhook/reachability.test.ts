/**
 * The answer to `check`'s reachability ping (a server-side dry-run CREATE of a Pod carrying
 * devops.stochastic.io/check-reachability), pure and through the app in memory: allowed with one
 * warning naming the nonce and the replica, never judged; a real pod with the annotation is judged.
 */
import { describe, expect, test } from "bun:test";
import { findReachabilityAnswer, reachabilityNonce, reachabilityWarning, REACHABILITY_ANNOTATION } from "../../lib/admission/reachability.ts";
import { goodContainer, makeApp, pod, request, review } from "./fixtures.ts";

const LATEST = [goodContainer("app", { image: "nginx:latest" })];
const ping = (nonce = "n-3f9a1c", overrides = {}) => request(pod(LATEST, { annotations: { [REACHABILITY_ANNOTATION]: nonce } }), { dryRun: true, ...overrides });

async function post(app: ReturnType<typeof makeApp>["app"], body: unknown) {
  const res = await app.request("/validate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return (await res.json()) as { response: { uid: string; allowed: boolean; warnings?: string[]; status?: { message: string } } };
}

describe("reachabilityNonce", () => {
  test("a dry-run CREATE of a Pod with the annotation is a ping", () => {
    expect(reachabilityNonce(ping())).toBe("n-3f9a1c");
  });

  test("not a ping: a real create, an UPDATE, another kind, an odd nonce", () => {
    expect(reachabilityNonce(ping("n-1", { dryRun: false }))).toBeUndefined();
    expect(reachabilityNonce(ping("n-1", { dryRun: undefined }))).toBeUndefined();
    expect(reachabilityNonce(ping("n-1", { operation: "UPDATE", oldObject: {} }))).toBeUndefined();
    expect(reachabilityNonce(ping("n-1", { kind: { group: "apps", version: "v1", kind: "Pod" } }))).toBeUndefined();
    expect(reachabilityNonce(ping('n"1, 299 - "x'))).toBeUndefined();
    expect(reachabilityNonce(ping(""))).toBeUndefined();
  });

  test("the warning names nonce and replica, and reads back; an odd replica name is not echoed", () => {
    expect(findReachabilityAnswer(["other", reachabilityWarning("n-1", "kube-devops-webhook-7d9f-abcde")], "n-1")).toEqual({ replica: "kube-devops-webhook-7d9f-abcde" });
    expect(findReachabilityAnswer([reachabilityWarning("n-1", "a")], "n-2")).toBeUndefined();
    expect(reachabilityWarning("n-1", 'bad "name"')).toEndWith("answered by unknown");
  });
});

describe("POST /validate with a ping", () => {
  test("a :latest dry-run ping in an enforcing namespace is allowed with one warning naming nonce and replica", async () => {
    const { app, metrics, lines } = makeApp({ replica: "kube-devops-webhook-7d9f-abcde" });
    const res = await post(app, review(ping()));
    expect(res.response).toEqual({ uid: "3f1e6c2a-0000-4000-8000-000000000001", allowed: true, warnings: ["kube-devops webhook reachable: nonce n-3f9a1c answered by kube-devops-webhook-7d9f-abcde"] });
    const text = await metrics.registry.metrics();
    expect(text).toContain('webhook_requests_total{operation="CREATE",allowed="true"} 1');
    expect(text).toContain('webhook_dry_run_requests_total{operation="CREATE",allowed="true"} 1');
    expect(text).not.toMatch(/webhook_(denials|warnings)_total\{[^}]*violation="latest_tag"[^}]*\} [1-9]/);
    expect(lines.some((l) => l.includes("admission denied"))).toBe(false);
  });

  test("the same pod created for real (not a dry run) is judged: denied", async () => {
    const { app, lines } = makeApp({ replica: "r1" });
    const res = await post(app, review(ping("n-1", { dryRun: false })));
    expect(res.response.allowed).toBe(false);
    expect(res.response.status?.message).toContain(":latest");
    expect(lines.some((l) => l.includes("admission denied"))).toBe(true);
  });

  test("a dry run without the annotation is judged as usual", async () => {
    const { app } = makeApp({ replica: "r1" });
    const res = await post(app, review(request(pod(LATEST), { dryRun: true })));
    expect(res.response.allowed).toBe(false);
  });
});
