/**
 * The dispatcher against real TLS webhook servers: verification with caBundle and the
 * service DNS name, the response contract, failure policies and warnings.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { answer, startTestWebhook, type TestWebhook } from "./test-webhook.ts";
import { createValidatingAdmission, type ValidatingWebhookConfiguration } from "./validating-admission.ts";
import type { AdmissionAttributes, ValidatingWebhook } from "./webhook-matching.ts";

const SVC_HOST = "policy.kube-devops.svc";
let hook: TestWebhook;
let mode = "allow";

beforeAll(async () => {
  hook = await startTestWebhook(async (review) => {
    switch (mode) {
      case "deny":
        return answer(review, { allowed: false, status: { code: 403, message: "image uses :latest" }, warnings: ["seen by policy"] });
      case "wrong-uid":
        return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "not-it", allowed: true } };
      case "not-json":
        return new Response("<html>oops</html>", { headers: { "content-type": "text/html" } });
      case "http-500":
        return new Response("boom", { status: 500 });
      case "slow":
        await Bun.sleep(1500);
        return answer(review, { allowed: true });
      default:
        return answer(review, { allowed: true, warnings: ['container "app" has no readiness probe'] });
    }
  }, [SVC_HOST]);
});

afterAll(() => hook.stop());

function attrs(): AdmissionAttributes {
  return {
    operation: "CREATE",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    subResource: "",
    namespace: "team-a",
    name: "web",
    object: { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "team-a" } },
    dryRun: false,
    options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions", fieldManager: "kubectl-run" },
    userInfo: { username: "alice", groups: ["system:authenticated"] },
  };
}

function admission(webhook: Partial<ValidatingWebhook>, services: Record<string, string> = { "kube-devops/policy": `127.0.0.1:${hook.port}` }) {
  const config: ValidatingWebhookConfiguration = {
    metadata: { name: "kube-devops" },
    webhooks: [
      {
        name: "pods.devops.stochastic.io",
        clientConfig: { service: { namespace: "kube-devops", name: "policy", path: "/validate", port: 8443 }, caBundle: hook.caBundle },
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
        sideEffects: "None",
        admissionReviewVersions: ["v1"],
        ...webhook,
      },
    ],
  };
  return createValidatingAdmission({
    configurations: () => [config],
    namespaceLabels: () => ({}),
    resolveService: (ns, name) => services[`${ns}/${name}`],
  });
}

describe("validating admission over TLS", () => {
  test("a dry run matched by a webhook with side effects is refused (400) without calling it, whatever the failurePolicy; None is called", async () => {
    mode = "allow";
    const dry = { ...attrs(), dryRun: true };
    const before = hook.received.length;
    for (const sideEffects of ["Some", "Unknown", undefined]) {
      const out = await admission({ sideEffects, failurePolicy: "Ignore" } as Partial<ValidatingWebhook>).admit(dry);
      expect(out).toMatchObject({ allowed: false, status: { code: 400, reason: "BadRequest", message: 'admission webhook "pods.devops.stochastic.io" does not support dry run' } });
    }
    expect(hook.received.length).toBe(before);
    expect((await admission({ sideEffects: "NoneOnDryRun" }).admit(dry)).allowed).toBe(true);
    expect((await admission({}).admit(dry)).allowed).toBe(true);
    expect(hook.received.length).toBe(before + 2);
  });

  test("an admitted request carries the webhook's warnings; the review is complete", async () => {
    mode = "allow";
    expect(await admission({}).admit(attrs())).toEqual({ allowed: true, warnings: ['container "app" has no readiness probe'] });
    const sent = hook.received.at(-1);
    expect(sent).toMatchObject({
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "team-a",
      name: "web",
      operation: "CREATE",
      userInfo: { username: "alice" },
      oldObject: null,
      dryRun: false,
      options: { fieldManager: "kubectl-run" },
    });
    expect(typeof sent?.uid).toBe("string");
  });

  test("a denial carries the webhook's message and code, and its warnings", async () => {
    mode = "deny";
    const out = await admission({}).admit(attrs());
    expect(out).toMatchObject({
      allowed: false,
      warnings: ["seen by policy"],
      status: { code: 403, message: 'admission webhook "pods.devops.stochastic.io" denied the request: image uses :latest' },
    });
  });

  test("a wrong uid fails closed under Fail and is ignored under Ignore", async () => {
    mode = "wrong-uid";
    const closed = await admission({ failurePolicy: "Fail" }).admit(attrs());
    expect(closed).toMatchObject({ allowed: false, status: { code: 500, reason: "InternalError" } });
    if (closed.allowed) throw new Error("unreachable");
    expect(closed.status.message).toMatch(/^Internal error occurred: failed calling webhook "pods\.devops\.stochastic\.io": received invalid webhook response: expected response\.uid="[^"]+", got "not-it"$/);
    expect(await admission({ failurePolicy: "Ignore" }).admit(attrs())).toEqual({ allowed: true, warnings: [] });
  });

  test("a non-JSON body or an HTTP error is a call failure", async () => {
    mode = "not-json";
    const bad = await admission({}).admit(attrs());
    expect(bad.allowed ? "" : bad.status.message).toContain("failed to call webhook: couldn't get version/kind; json parse error");
    expect(await admission({ failurePolicy: "Ignore" }).admit(attrs())).toEqual({ allowed: true, warnings: [] });
    mode = "http-500";
    const err = await admission({}).admit(attrs());
    expect(err.allowed ? "" : err.status.message).toContain('an error on the server ("boom") has prevented the request from succeeding');
  });

  test("the certificate must be valid for <service>.<namespace>.svc and chain to caBundle", async () => {
    mode = "allow";
    const wrongName = await admission({}, { "kube-devops/other": `127.0.0.1:${hook.port}` }).admit(attrs());
    expect(wrongName.allowed).toBe(false);
    const renamed = await admission({ clientConfig: { service: { namespace: "kube-devops", name: "other", port: 8443 }, caBundle: hook.caBundle } }, { "kube-devops/other": `127.0.0.1:${hook.port}` }).admit(attrs());
    expect(renamed.allowed ? "" : renamed.status.message).toContain('Post "https://other.kube-devops.svc:8443/?timeout=10s": tls: failed to verify certificate');
    const otherCa = Buffer.from((await import("../../support/certs.ts").then((m) => m.createTestPki())).ca.cert).toString("base64");
    const untrusted = await admission({ clientConfig: { service: { namespace: "kube-devops", name: "policy", port: 8443 }, caBundle: otherCa } }).admit(attrs());
    expect(untrusted.allowed ? "" : untrusted.status.message).toContain("x509: certificate signed by unknown authority");
  });

  test("connection refused and timeouts follow the failure policy", async () => {
    const refused = await admission({ clientConfig: { url: "https://127.0.0.1:1/validate", caBundle: hook.caBundle } }).admit(attrs());
    expect(refused.allowed ? "" : refused.status.message).toContain('Post "https://127.0.0.1:1/validate?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused');
    mode = "slow";
    const slow = await admission({ timeoutSeconds: 1 }).admit(attrs());
    expect(slow.allowed ? "" : slow.status.message).toContain('Post "https://policy.kube-devops.svc:8443/validate?timeout=1s": context deadline exceeded');
    expect(await admission({ timeoutSeconds: 1, failurePolicy: "Ignore" }).admit(attrs())).toEqual({ allowed: true, warnings: [] });
  });

  test("requests outside the rules never reach the webhook", async () => {
    mode = "deny";
    const before = hook.received.length;
    expect(await admission({}).admit({ ...attrs(), operation: "UPDATE", oldObject: {} })).toEqual({ allowed: true, warnings: [] });
    expect(hook.received.length).toBe(before);
  });

  test("matchConditions: a false condition skips the call; true ones call; errors follow the failure policy without a call", async () => {
    mode = "deny";
    const before = hook.received.length;
    const notAlice = [{ name: "not-alice", expression: "request.userInfo.username != 'alice'" }];
    expect(await admission({ matchConditions: notAlice }).admit(attrs())).toEqual({ allowed: true, warnings: [] });
    // any false wins, even beside a condition that fails to evaluate
    expect(await admission({ matchConditions: [{ name: "broken", expression: "object.nope == 1" }, ...notAlice] }).admit(attrs())).toEqual({ allowed: true, warnings: [] });
    expect(hook.received.length).toBe(before);
    const called = await admission({ matchConditions: [{ name: "is-alice", expression: "request.userInfo.username == 'alice' && has(object.metadata.name)" }] }).admit(attrs());
    expect(called.allowed).toBe(false);
    expect(hook.received.length).toBe(before + 1);

    const broken = [{ name: "broken", expression: "object.metadata.labels['x'] == 'y'" }];
    expect(await admission({ failurePolicy: "Ignore", matchConditions: broken }).admit(attrs())).toEqual({ allowed: true, warnings: [] });
    const closed = await admission({ failurePolicy: "Fail", matchConditions: broken }).admit(attrs());
    expect(closed).toMatchObject({ allowed: false, status: { code: 403, reason: "Forbidden", details: { name: "web", kind: "pods" } } });
    expect(closed.allowed ? "" : closed.status.message).toStartWith(`pods "web" is forbidden: expression 'object.metadata.labels['x'] == 'y'' resulted in error: `);
    expect(hook.received.length).toBe(before + 1);
  });
});
