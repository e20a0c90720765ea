/**
 * The emulator's API-server admission metrics: what one call records (pure), what the
 * dispatcher reports per outcome against a real TLS webhook, and `/metrics` over HTTPS behind
 * RBAC with a webhook the emulator cannot reach.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { APISERVER_ADMISSION_METRICS as M } from "../../../lib/metrics/apiserver-admission.ts";
import { startEmulator, type Emulator } from "../emulator.ts";
import { call } from "../test-client.ts";
import { createAdmissionMetrics } from "./admission-metrics.ts";
import { answer, startTestWebhook, type TestWebhook } from "./test-webhook.ts";
import { createValidatingAdmission, type WebhookCall } from "./validating-admission.ts";
import type { AdmissionAttributes, ValidatingWebhook } from "./webhook-matching.ts";

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-z_:]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const NAME = "validate.devops.stochastic.io";
const OURS = { name: NAME, type: "validating" };

describe("admission metrics (pure)", () => {
  test("each outcome lands in the API server's series, with its labels", async () => {
    const metrics = createAdmissionMetrics();
    // as the API server's CounterVecs: no series before the first call, only HELP and TYPE
    expect(await metrics.text()).not.toContain(`${M.failOpen.name}{`);
    expect(await metrics.text()).toContain(`# HELP ${M.failOpen.name} [ALPHA] Admission webhook fail open count`);
    expect(await metrics.text()).toContain(`# TYPE ${M.duration.name} histogram`);
    const at = (outcome: WebhookCall["outcome"], code: number, seconds = 0.01): WebhookCall => ({ name: NAME, operation: "CREATE", seconds, code, outcome });
    metrics.record(at("allowed", 200));
    metrics.record(at("denied", 403));
    metrics.record(at("failed-open", 400, 3));
    metrics.record(at("failed-closed", 503));
    metrics.record(at("failed-closed", 700));
    const text = await metrics.text();
    expect(sample(text, M.request.name, { ...OURS, operation: "CREATE", code: "200", rejected: "false" })).toBe(1);
    expect(sample(text, M.request.name, { ...OURS, code: "403", rejected: "true" })).toBe(1);
    expect(sample(text, M.request.name, { ...OURS, code: "400", rejected: "false" })).toBe(1);
    expect(sample(text, M.request.name, { ...OURS, code: "600", rejected: "true" })).toBe(1);
    expect(sample(text, M.rejection.name, { ...OURS, error_type: "no_error", rejection_code: "403" })).toBe(1);
    expect(sample(text, M.rejection.name, { ...OURS, error_type: "calling_webhook_error", rejection_code: "503" })).toBe(1);
    expect(sample(text, M.rejection.name, { ...OURS, error_type: "calling_webhook_error", rejection_code: "400" })).toBeUndefined();
    expect(sample(text, M.failOpen.name, OURS)).toBe(1);
    // the fail-open call took 3 s: beyond the 2.5 s bucket, within 10
    expect(sample(text, `${M.duration.name}_bucket`, { ...OURS, rejected: "false", le: "2.5" })).toBe(1);
    expect(sample(text, `${M.duration.name}_bucket`, { ...OURS, rejected: "false", le: "10" })).toBe(2);
    expect(sample(text, `${M.duration.name}_count`, { ...OURS, rejected: "true" })).toBe(3);
  });
});

describe("the dispatcher reports each call as the API server records it", () => {
  let hook: TestWebhook;
  let mode = "allow";
  beforeAll(async () => {
    hook = await startTestWebhook((review) => {
      if (mode === "deny") return answer(review, { allowed: false, status: { code: 403, message: "no" } });
      if (mode === "wrong-uid") return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "x", allowed: true } };
      if (mode === "http-500") return new Response("boom", { status: 500 });
      return answer(review, { allowed: true });
    }, ["policy.kube-devops.svc"]);
  });
  afterAll(() => hook.stop());

  const attrs: AdmissionAttributes = {
    operation: "UPDATE",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    subResource: "",
    namespace: "team-a",
    name: "web",
    object: { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "team-a" } },
    oldObject: { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "team-a" } },
    dryRun: false,
    userInfo: { username: "alice", groups: [] },
  };

  async function dispatch(webhook: Partial<ValidatingWebhook>, port = hook.port): Promise<Omit<WebhookCall, "seconds">[]> {
    const calls: WebhookCall[] = [];
    const hooks: ValidatingWebhook[] = [
      {
        name: NAME,
        clientConfig: { service: { namespace: "kube-devops", name: "policy", path: "/validate", port: 443 }, caBundle: hook.caBundle },
        rules: [{ operations: ["UPDATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
        sideEffects: "None",
        admissionReviewVersions: ["v1"],
        ...webhook,
      },
    ];
    await createValidatingAdmission({ configurations: () => [{ metadata: { name: "v" }, webhooks: hooks }], namespaceLabels: () => ({}), resolveService: () => `127.0.0.1:${port}`, observe: (c) => calls.push(c) }).admit(attrs);
    expect(calls.every((c) => c.seconds >= 0)).toBe(true);
    return calls.map(({ seconds: _, ...c }) => c);
  }

  test("allowed 200, denied with its code, call failures by failure policy with the error's code", async () => {
    const one = (outcome: WebhookCall["outcome"], code: number) => [{ name: NAME, operation: "UPDATE", code, outcome }];
    mode = "allow";
    expect(await dispatch({})).toEqual(one("allowed", 200));
    mode = "deny";
    expect(await dispatch({})).toEqual(one("denied", 403));
    mode = "wrong-uid";
    expect(await dispatch({ failurePolicy: "Fail" })).toEqual(one("failed-closed", 503));
    mode = "http-500";
    expect(await dispatch({ failurePolicy: "Ignore" })).toEqual(one("failed-open", 500));
    // nothing listens on port 1: a transport error, recorded as the API server's BadRequest
    expect(await dispatch({ failurePolicy: "Ignore" }, 1)).toEqual(one("failed-open", 400));
    expect(await dispatch({}, 1)).toEqual(one("failed-closed", 400));
    expect(await dispatch({ rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }] })).toEqual([]);
  });
});

describe("GET /metrics on the emulator (HTTPS, RBAC)", () => {
  let emu: Emulator;
  beforeAll(async () => {
    // the webhook's Service resolves to a port nothing listens on: every call is refused
    emu = await startEmulator({ webhookServices: { "kube-devops/kube-devops-webhook": "127.0.0.1:1" } });
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    await emu.store.create("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "prometheus", namespace: "shop" } }, { namespace: "shop" });
    await emu.store.create("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "nobody", namespace: "shop" } }, { namespace: "shop" });
    const rbac = "rbac.authorization.k8s.io";
    await emu.store.create(`clusterroles.${rbac}`, { apiVersion: `${rbac}/v1`, kind: "ClusterRole", metadata: { name: "metrics" }, rules: [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }] });
    await emu.store.create(`clusterrolebindings.${rbac}`, { apiVersion: `${rbac}/v1`, kind: "ClusterRoleBinding", metadata: { name: "metrics" }, roleRef: { apiGroup: rbac, kind: "ClusterRole", name: "metrics" }, subjects: [{ kind: "ServiceAccount", name: "prometheus", namespace: "shop" }] });
    const webhook = {
      name: NAME,
      clientConfig: { service: { namespace: "kube-devops", name: "kube-devops-webhook", path: "/validate", port: 443 }, caBundle: Buffer.from(emu.caPem).toString("base64") },
      rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }],
      failurePolicy: "Ignore",
      sideEffects: "None",
      admissionReviewVersions: ["v1"],
    };
    await emu.store.create("validatingwebhookconfigurations.admissionregistration.k8s.io", { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "kube-devops-webhook" }, webhooks: [webhook] });
  });
  afterAll(() => emu.stop());

  test("an unreachable webhook under Ignore: the pod is created and the fail-open counter says so", async () => {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "app", image: "nginx:latest" }] } };
    expect((await call(emu, "/api/v1/namespaces/shop/pods", { method: "POST", body: pod })).status).toBe(201);
    const scrape = await call(emu, "/metrics", { token: emu.serviceAccountToken("shop", "prometheus") });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get("content-type")).toContain("text/plain");
    const text = String(scrape.body);
    expect(sample(text, M.failOpen.name, OURS)).toBe(1);
    expect(sample(text, M.request.name, { ...OURS, operation: "CREATE", code: "400", rejected: "false" })).toBe(1);
    expect(sample(text, M.rejection.name, OURS)).toBeUndefined();
  });

  test("only identities allowed to get /metrics may scrape it", async () => {
    expect((await call(emu, "/metrics", { token: emu.serviceAccountToken("shop", "nobody") })).status).toBe(403);
    expect((await call(emu, "/metrics", { token: null })).status).toBe(403);
    expect((await call(emu, "/metrics", { method: "POST", body: "", token: emu.serviceAccountToken("shop", "prometheus") })).status).not.toBe(200);
  });
});
