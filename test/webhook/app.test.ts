/**
 * The webhook's HTTP surface in memory (`app.request`): response shape and
 * Content-Type, uid echo, 400s for non-reviews, fail-open on internal errors,
 * metrics and readiness.
 */
import { describe, expect, test } from "bun:test";
import { goodContainer, makeApp, pod, request, review } from "./fixtures.ts";

async function post(app: ReturnType<typeof makeApp>["app"], body: unknown) {
  const res = await app.request("/validate", { method: "POST", headers: { "Content-Type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, contentType: res.headers.get("content-type"), json: (await res.json()) as { apiVersion: string; kind: string; response: Record<string, unknown> } };
}

describe("POST /validate", () => {
  test("a denial is a 200 JSON AdmissionReview with the uid and the reference's message", async () => {
    const { app } = makeApp();
    const res = await post(app, review(request(pod([goodContainer("app", { image: "nginx:latest" })]))));
    expect(res.status).toBe(200);
    expect(res.contentType).toStartWith("application/json");
    expect(res.json).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "3f1e6c2a-0000-4000-8000-000000000001",
        allowed: false,
        status: { code: 403, reason: "Forbidden", message: "Denied by DevOpsPolicy: container 'app' uses :latest tag" },
      },
    });
  });

  test("a denial is logged with who asked, the operation and whether it was a dry run", async () => {
    const { app, lines } = makeApp();
    await post(app, review(request(pod([goodContainer("app", { image: "nginx:latest" })]), { dryRun: true })));
    const denial = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "admission denied" || l.message === "admission denied");
    expect(denial).toMatchObject({ uid: "3f1e6c2a-0000-4000-8000-000000000001", namespace: "prod", kind: "Pod", operation: "CREATE", user: "alice", dryRun: true, reason: "Denied by DevOpsPolicy: container 'app' uses :latest tag" });
  });

  test("a denied generateName create is logged under the name findings use (`web-7c9d8f6b5-*`), not an empty one", async () => {
    const { app, lines } = makeApp();
    await post(app, review(request(pod([goodContainer("app", { image: "nginx:latest" })], { name: undefined, generateName: "web-7c9d8f6b5-" }), { name: "" })));
    const denial = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "admission denied" || l.message === "admission denied");
    expect(denial).toMatchObject({ name: "web-7c9d8f6b5-*", kind: "Pod" });
  });

  test("a v1beta1 review is answered in v1beta1", async () => {
    const { app } = makeApp();
    const res = await post(app, review(request(pod([goodContainer()])), "admission.k8s.io/v1beta1"));
    expect(res.json.apiVersion).toBe("admission.k8s.io/v1beta1");
    expect(res.json.response.allowed).toBe(true);
  });

  test.each([
    ["not JSON", "{nope", ""],
    ["a JSON array", "[]", ""],
    ["no request", JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }), ""],
    ["a wrong kind", JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "Pod", request: { uid: "u-1" } }), "u-1"],
    ["an unknown operation", JSON.stringify(review(request(pod([]), { operation: "PATCH" as never, uid: "u-2" }))), "u-2"],
    ["CREATE without object", JSON.stringify(review(request(null, { uid: "u-3" }))), "u-3"],
    ["UPDATE without oldObject", JSON.stringify(review(request(pod([]), { operation: "UPDATE", uid: "u-4" }))), "u-4"],
  ])("%s is a 400 with a JSON body that still echoes the uid it could read", async (_, body, uid) => {
    const { app, metrics } = makeApp();
    const res = await post(app, body);
    expect(res.status).toBe(400);
    expect(res.contentType).toStartWith("application/json");
    expect(res.json.kind).toBe("AdmissionReview");
    expect(res.json.response.uid).toBe(uid);
    expect((res.json.response.status as { message: string }).message).toStartWith("malformed AdmissionReview: ");
    expect((await metrics.errors.get()).values).toContainEqual(expect.objectContaining({ labels: { reason: "malformed" }, value: 1 }));
  });

  test("an internal error fails open: allowed, a warning, a log line and an error metric", async () => {
    const { app, metrics, lines } = makeApp({ policiesFor: () => { throw new Error("cache exploded"); } });
    const res = await post(app, review(request(pod([goodContainer("app", { image: "nginx:latest" })]))));
    expect(res.status).toBe(200);
    expect(res.json.response.uid).toBe("3f1e6c2a-0000-4000-8000-000000000001");
    expect(res.json.response.allowed).toBe(true);
    expect((res.json.response.warnings as string[])[0]).toContain("admitted unchecked");
    expect(lines.join("")).toContain("cache exploded");
    expect((await metrics.errors.get()).values).toContainEqual(expect.objectContaining({ labels: { reason: "internal" }, value: 1 }));
  });
});

describe("metrics and probes", () => {
  test("/metrics exposes the reference's names with labels from check ids", async () => {
    const { app } = makeApp();
    await post(app, review(request(pod([goodContainer("liveness-agent", { image: "nginx:latest", readinessProbe: undefined })]))));
    await post(app, review(request(pod([goodContainer()]), { operation: "UPDATE", oldObject: pod([goodContainer()]) })));
    const text = await (await app.request("/metrics")).text();
    expect(text).toContain('webhook_requests_total{operation="CREATE",allowed="false"} 1');
    expect(text).toContain('webhook_requests_total{operation="UPDATE",allowed="true"} 1');
    // the container name contains "liveness" but the label comes from the check, not the message (W-A11)
    expect(text).toContain('webhook_denials_total{namespace="prod",violation="latest_tag"} 1');
    expect(text).toContain('webhook_warnings_total{namespace="prod",violation="missing_readiness"} 1');
    expect(text).toContain('webhook_request_duration_seconds_bucket{le="0.0001"}');
    expect(text).toContain("webhook_request_duration_seconds_count 2");
    expect(text).toContain('kube_devops_build_info{component="webhook"');
  });

  test("counters counted between scrapes add up across scrapes, each request once", async () => {
    const { app } = makeApp();
    const latest = review(request(pod([goodContainer("app", { image: "nginx:latest", readinessProbe: undefined })])));
    await post(app, latest);
    expect(await (await app.request("/metrics")).text()).toContain('webhook_denials_total{namespace="prod",violation="latest_tag"} 1');
    await post(app, latest);
    await post(app, review(request(pod([goodContainer()]))));
    const text = await (await app.request("/metrics")).text();
    expect(text).toContain('webhook_requests_total{operation="CREATE",allowed="false"} 2');
    expect(text).toContain('webhook_requests_total{operation="CREATE",allowed="true"} 1');
    expect(text).toContain('webhook_denials_total{namespace="prod",violation="latest_tag"} 2');
    expect(text).toContain('webhook_warnings_total{namespace="prod",violation="missing_readiness"} 2');
    expect(await (await app.request("/metrics")).text()).toBe(text); // a scrape adds nothing by itself
  });

  test("GET /validate is a 405 naming POST; unknown paths are JSON 404s", async () => {
    const { app } = makeApp();
    const res = await app.request("/validate");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await app.request("/nope")).status).toBe(404);
    expect((await app.request("/nope")).headers.get("content-type")).toStartWith("application/json");
  });

  test("/readyz follows the readiness the server is given; /healthz is alive", async () => {
    expect((await makeApp({ ready: false }).app.request("/readyz")).status).toBe(503);
    expect((await makeApp({ ready: true }).app.request("/readyz")).status).toBe(200);
    expect((await makeApp({ ready: false }).app.request("/healthz")).status).toBe(200);
  });
});
