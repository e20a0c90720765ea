/**
 * Webhook matching against the documented rules, with literal requests.
 */
import { describe, expect, test } from "bun:test";
import { buildAdmissionReview, rejectionStatus, verifyAdmissionResponse } from "./admission-review.ts";
import { matchingResource, namespaceSelectorMatches, objectSelectorMatches, type AdmissionAttributes, type ValidatingWebhook } from "./webhook-matching.ts";

const user = { username: "alice", groups: ["system:authenticated"] };

function podCreate(extra: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: "CREATE",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    subResource: "",
    namespace: "team-a",
    name: "p",
    object: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { app: "web" } } },
    dryRun: false,
    userInfo: user,
    ...extra,
  };
}

function hook(rules: ValidatingWebhook["rules"], extra: Partial<ValidatingWebhook> = {}): ValidatingWebhook {
  return { name: "h.example.com", clientConfig: { url: "https://127.0.0.1:1/" }, rules, ...extra };
}

const podRule = { operations: ["CREATE", "UPDATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] };

describe("rules", () => {
  test("operation, group, version and resource must all match", () => {
    expect(matchingResource(hook([podRule]), podCreate())).toEqual({ group: "", version: "v1", resource: "pods" });
    expect(matchingResource(hook([podRule]), podCreate({ operation: "DELETE" }))).toBeUndefined();
    expect(matchingResource(hook([{ ...podRule, resources: ["services"] }]), podCreate())).toBeUndefined();
  });
  test("subresources: pods does not match pods/status; pods/* and */status do", () => {
    const status = podCreate({ operation: "UPDATE", subResource: "status" });
    expect(matchingResource(hook([podRule]), status)).toBeUndefined();
    expect(matchingResource(hook([{ ...podRule, resources: ["pods/*"] }]), status)).toBeDefined();
    expect(matchingResource(hook([{ ...podRule, resources: ["*/status"] }]), status)).toBeDefined();
    expect(matchingResource(hook([{ ...podRule, resources: ["*"] }]), status)).toBeUndefined();
  });
  test("scope Namespaced excludes cluster objects and namespaces; Cluster the reverse", () => {
    const ns = podCreate({ kind: { group: "", version: "v1", kind: "Namespace" }, resource: { group: "", version: "v1", resource: "namespaces" }, namespace: "x", name: "x" });
    const anyRule = { operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"] };
    expect(matchingResource(hook([{ ...anyRule, scope: "Namespaced" }]), ns)).toBeUndefined();
    expect(matchingResource(hook([{ ...anyRule, scope: "Cluster" }]), ns)).toBeDefined();
    expect(matchingResource(hook([{ ...anyRule, scope: "Namespaced" }]), podCreate())).toBeDefined();
    expect(matchingResource(hook([{ ...anyRule, scope: "Cluster" }]), podCreate())).toBeUndefined();
  });
  test("matchPolicy Equivalent sends an apps/v1 Deployment to an extensions/v1beta1 rule; Exact does not", () => {
    const deploy = podCreate({ kind: { group: "apps", version: "v1", kind: "Deployment" }, resource: { group: "apps", version: "v1", resource: "deployments" } });
    const oldRule = { operations: ["CREATE"], apiGroups: ["extensions"], apiVersions: ["v1beta1"], resources: ["deployments"] };
    expect(matchingResource(hook([oldRule], { matchPolicy: "Exact" }), deploy)).toBeUndefined();
    const gvr = matchingResource(hook([oldRule]), deploy);
    expect(gvr).toEqual({ group: "extensions", version: "v1beta1", resource: "deployments" });
    const review = buildAdmissionReview(deploy, "u1", gvr!);
    expect(review.request).toMatchObject({
      kind: { group: "extensions", version: "v1beta1", kind: "Deployment" },
      requestKind: { group: "apps", version: "v1", kind: "Deployment" },
      requestResource: { group: "apps", version: "v1", resource: "deployments" },
      object: { apiVersion: "extensions/v1beta1" },
    });
  });
});

describe("selectors", () => {
  const labels = (ns: string): Record<string, string> => (ns === "team-a" ? { "kubernetes.io/metadata.name": "team-a", env: "prod" } : { "kubernetes.io/metadata.name": ns });
  test("namespaceSelector matches the request namespace's labels", () => {
    const h = hook([podRule], { namespaceSelector: { matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }] } });
    expect(namespaceSelectorMatches(h, podCreate(), labels)).toBe(true);
    expect(namespaceSelectorMatches(h, podCreate({ namespace: "dev" }), labels)).toBe(false);
    const node = podCreate({ resource: { group: "", version: "v1", resource: "nodes" }, namespace: "" });
    expect(namespaceSelectorMatches(h, node, labels)).toBe(true);
  });
  test("objectSelector matches the new or the old object", () => {
    const h = hook([podRule], { objectSelector: { matchLabels: { app: "web" } } });
    expect(objectSelectorMatches(h, podCreate())).toBe(true);
    const relabel = podCreate({ operation: "UPDATE", object: { metadata: { labels: { app: "db" } } }, oldObject: { metadata: { labels: { app: "web" } } } });
    expect(objectSelectorMatches(h, relabel)).toBe(true);
    expect(objectSelectorMatches(h, podCreate({ object: { metadata: {} } }))).toBe(false);
  });
});

describe("review contract", () => {
  test("DELETE sends oldObject and no object; CREATE the reverse", () => {
    const del = buildAdmissionReview(podCreate({ operation: "DELETE", oldObject: { kind: "Pod" }, object: null }), "u", { group: "", version: "v1", resource: "pods" });
    expect(del.request).toMatchObject({ operation: "DELETE", object: null, oldObject: { kind: "Pod" } });
    expect(buildAdmissionReview(podCreate(), "u", { group: "", version: "v1", resource: "pods" }).request.oldObject).toBeNull();
  });
  test("response checks: uid, kind, patches; absent allowed is a denial", () => {
    const ok = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "u", allowed: true, warnings: ["w"] } };
    expect(verifyAdmissionResponse("u", ok)).toEqual({ allowed: true, status: undefined, warnings: ["w"] });
    expect(verifyAdmissionResponse("other", ok)).toEqual({ invalid: 'expected response.uid="other", got "u"' });
    expect(verifyAdmissionResponse("u", { ...ok, apiVersion: "admission.k8s.io/v1beta1" })).toMatchObject({ invalid: expect.stringContaining("expected webhook response of") });
    expect(verifyAdmissionResponse("u", { ...ok, response: { uid: "u", allowed: true, patch: "W10=" } })).toEqual({ invalid: "validating webhook may not return patches" });
    expect(verifyAdmissionResponse("u", { ...ok, response: { uid: "u" } })).toMatchObject({ allowed: false });
  });
  test("rejection messages and codes as ToStatusErr writes them", () => {
    expect(rejectionStatus("h", { code: 403, message: "no latest" })).toMatchObject({ code: 403, message: 'admission webhook "h" denied the request: no latest' });
    expect(rejectionStatus("h", { code: 200, reason: "Bad" })).toMatchObject({ code: 400, message: 'admission webhook "h" denied the request: Bad' });
    expect(rejectionStatus("h", undefined).message).toBe('admission webhook "h" denied the request without explanation');
  });
});
