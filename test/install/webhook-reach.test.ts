/**
 * The pure half of `check`'s `Webhook reachable` line: which namespace the dry-run pod goes to
 * (the configuration's namespaceSelector; `default` first), the pod itself (PodSecurity
 * restricted, pinned image, the nonce), and how each outcome is judged.
 */
import { describe, expect, test } from "bun:test";
import { renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { REACHABILITY_ANNOTATION } from "../../lib/admission/reachability.ts";
import { classifyRefusal, foreignMatchConditions, selectsByName, warningsCapped, judgeReach, pickProbeNamespace, reachabilityPod, rulesSendPodCreates, selectorString, type WebhookRule } from "../../lib/install/webhook-reach.ts";
import type { SelectorObject } from "../../lib/install/webhook-health.ts";

const ns = (name: string, labels: Record<string, string> = {}, phase = "Active") => ({ metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } }, status: { phase } });
const generatedEntry = (renderWebhookConfiguration({ caBundle: "" }) as { webhooks: Array<{ namespaceSelector: SelectorObject; rules: WebhookRule[]; matchConditions: Array<{ name: string; expression: string }> }> }).webhooks[0];
const generated = generatedEntry?.namespaceSelector;

describe("pickProbeNamespace", () => {
  test("the generated selector: default when it exists, never kube-devops or a system namespace", () => {
    expect(pickProbeNamespace(generated, [ns("kube-system"), ns("kube-devops"), ns("apps"), ns("default")])).toBe("default");
    expect(pickProbeNamespace(generated, [ns("kube-system"), ns("kube-devops"), ns("zeta"), ns("apps")])).toBe("apps");
    expect(pickProbeNamespace(generated, [ns("kube-system"), ns("kube-devops")])).toBeUndefined();
  });

  test("an opt-in selector picks the first labelled namespace by name; terminating ones are skipped", () => {
    const optIn: SelectorObject = { matchLabels: { "devops/enforce": "true" }, matchExpressions: [{ key: "tier", operator: "Exists" }] };
    expect(pickProbeNamespace(optIn, [ns("default"), ns("b", { "devops/enforce": "true", tier: "x" }), ns("a", { "devops/enforce": "true", tier: "y" }, "Terminating")])).toBe("b");
    expect(pickProbeNamespace(optIn, [ns("a", { "devops/enforce": "true" })])).toBeUndefined();
  });

  test("selectors convert to the string form; an unknown operator selects nothing", () => {
    expect(selectorString({ matchLabels: { a: "b" }, matchExpressions: [{ key: "k", operator: "In", values: ["x", "y"] }, { key: "n", operator: "DoesNotExist" }] })).toBe("a=b,k in (x,y),!n");
    expect(selectorString(undefined)).toBe("");
    expect(pickProbeNamespace({ matchExpressions: [{ key: "k", operator: "Near" }] }, [ns("default")])).toBeUndefined();
  });
});

test("the dry-run pod passes PodSecurity restricted, pins its image and carries the nonce", () => {
  const pod = reachabilityPod("default", "n-1") as { metadata: { annotations: Record<string, string>; generateName: string }; spec: { securityContext: Record<string, unknown>; containers: Array<{ image: string; securityContext: Record<string, unknown> }> } };
  expect(pod.metadata.annotations[REACHABILITY_ANNOTATION]).toBe("n-1");
  expect(pod.metadata.generateName).toBe("kube-devops-check-");
  expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
  expect(pod.spec.containers[0]?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  expect(pod.spec.containers[0]?.image).toMatch(/:\d+\.\d+$/);
});

test("the dry-run pod's limits equal its requests: a LimitRange's maxLimitRequestRatio (at least 1) never refuses it", () => {
  const pod = reachabilityPod("default", "n-1") as { spec: { containers: Array<{ resources: { requests: Record<string, string>; limits: Record<string, string> } }> } };
  const resources = pod.spec.containers[0]?.resources;
  expect(resources?.limits).toEqual(resources?.requests ?? {});
  expect(Object.keys(resources?.limits ?? {}).sort()).toEqual(["cpu", "memory"]);
});

describe("judgeReach", () => {
  test("answered OK naming the replica; silent FAIL saying Ignore skips admission; a failed call FAIL", () => {
    expect(judgeReach({ kind: "answered", namespace: "default", replica: "w-1" }, "kube-devops", "Ignore")).toEqual({ label: "Webhook reachable", status: "OK", detail: "a dry-run pod in default was answered by w-1" });
    const silent = judgeReach({ kind: "silent", namespace: "default" }, "kube-devops", "Ignore");
    expect(silent).toMatchObject({ status: "FAIL", detail: expect.stringContaining("with failurePolicy Ignore admission is skipped") });
    expect(silent.hint).toContain("caBundle");
    expect(judgeReach({ kind: "error", namespace: "default", message: 'Internal error occurred: failed calling webhook "validate.devops.stochastic.io"' }, "kube-devops", "Fail").status).toBe("FAIL");
  });

  test("an unreachable webhook's hint names the Service's targetPort, the pods' port a NetworkPolicy must let through", () => {
    const hint = (targetPort?: number | string) => judgeReach({ kind: "silent", namespace: "default" }, "kube-devops", "Fail", targetPort).hint;
    expect(hint(9443)).toContain("NetworkPolicies in front of the webhook pods' port 9443 (the Service's targetPort)");
    expect(hint("webhook-tls")).toContain(`NetworkPolicies in front of the webhook pods' port "webhook-tls" (the Service's targetPort, a named container port)`);
    expect(judgeReach({ kind: "error", namespace: "default", message: "context deadline exceeded" }, "kube-devops", "Fail", 9443).hint).toContain("port 9443 (the Service's targetPort)");
    // the Service unread: the port the generated Deployment listens on
    expect(hint()).toContain("NetworkPolicies in front of port 8443");
    expect(hint(9443)).not.toContain("8443");
  });

  test("what check cannot judge is UNKNOWN with a hint: no permission, another admission check's refusal, no namespace selected", () => {
    for (const outcome of [{ kind: "forbidden", namespace: "default" }, { kind: "refused", namespace: "default", message: 'pods "x" is forbidden: exceeded quota' }, { kind: "no-namespace" }, { kind: "namespaces-unreadable" }, { kind: "configuration-unreadable", name: "kube-devops-webhook" }, { kind: "configuration-failed", name: "kube-devops-webhook" }] as const) {
      const l = judgeReach(outcome, "kube-devops", "Ignore");
      expect(l.status).toBe("UNKNOWN");
      expect(l.hint).toBeTruthy();
    }
    expect(judgeReach({ kind: "refused", namespace: "default", message: "exceeded quota: q" }, "kube-devops", "Ignore").detail).toContain("exceeded quota: q");
    // without the configuration nothing says where the pod would go: the missing read is named
    expect(judgeReach({ kind: "configuration-unreadable", name: "kube-devops-webhook" }, "kube-devops", "Fail")).toEqual({
      label: "Webhook reachable",
      status: "UNKNOWN",
      detail: "not allowed to get validatingwebhookconfigurations/kube-devops-webhook: which namespaces and pods it sends the webhook is unknown, so no dry-run pod was sent",
      hint: "run check as an identity that may; kubectl auth can-i get validatingwebhookconfigurations.admissionregistration.k8s.io/kube-devops-webhook",
    });
  });
});

test("a refusal: RBAC's is not allowed, PodSecurity's or a quota's is another check's, our webhook's denial means it was called, a 500 is a failed call", () => {
  expect(classifyRefusal("default", 403, 'pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default"').kind).toBe("forbidden");
  expect(classifyRefusal("default", 403, 'pods "kube-devops-check-x" is forbidden: violates PodSecurity "restricted:latest": host namespaces').kind).toBe("refused");
  expect(classifyRefusal("default", 403, 'admission webhook "validate.devops.stochastic.io" denied the request: Denied by DevOpsPolicy: container \'check\' has no liveness probe').kind).toBe("denied-by-us");
  expect(classifyRefusal("default", 403, 'admission webhook "other.example.com" denied the request: no').kind).toBe("refused");
  expect(classifyRefusal("default", 500, 'Internal error occurred: failed calling webhook "validate.devops.stochastic.io": tls: bad certificate').kind).toBe("error");
  expect(classifyRefusal("default", 504, "Timeout: request did not complete within requested timeout").kind).toBe("error");
});

test("another webhook's failed call (a mutating one, called before ours) is another check's refusal, not ours failing", () => {
  expect(classifyRefusal("default", 500, 'Internal error occurred: failed calling webhook "mutate.kyverno.svc-fail": context deadline exceeded').kind).toBe("refused");
});

test("an answer that came back on a refusal is OK, naming what refused the pod", () => {
  const l = judgeReach({ kind: "answered", namespace: "default", replica: "w-1", refusedBy: 'admission webhook "x" denied the request: no' }, "kube-devops", "Ignore");
  expect(l).toMatchObject({ status: "OK", detail: 'a dry-run pod in default was answered by w-1 (another admission check then refused the pod: admission webhook "x" denied the request: no)' });
});

describe("what the configuration sends, as the API server matches it", () => {
  test("rules: the generated ones and wildcards send a Pod CREATE; workload-only, UPDATE-only or a subresource do not", () => {
    expect(rulesSendPodCreates(generatedEntry?.rules)).toBe(true);
    expect(rulesSendPodCreates([{ operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*/*"], scope: "*" }])).toBe(true);
    expect(rulesSendPodCreates([{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods/*"] }])).toBe(true);
    expect(rulesSendPodCreates([{ operations: ["CREATE", "UPDATE"], apiGroups: ["apps"], apiVersions: ["v1"], resources: ["deployments"], scope: "Namespaced" }])).toBe(false);
    expect(rulesSendPodCreates([{ operations: ["UPDATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }])).toBe(false);
    expect(rulesSendPodCreates([{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods/ephemeralcontainers"] }])).toBe(false);
    expect(rulesSendPodCreates([{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Cluster" }])).toBe(false);
    expect(rulesSendPodCreates(undefined)).toBe(false);
  });

  test("matchConditions: the generated ones are kube-devops's; an added or edited one is named", () => {
    expect(foreignMatchConditions(generatedEntry?.matchConditions)).toEqual([]);
    expect(foreignMatchConditions(undefined)).toEqual([]);
    const edited = [...(generatedEntry?.matchConditions ?? []).map((c, i) => (i === 0 ? { ...c, expression: "true" } : c)), { name: "skip-dry-runs", expression: "!request.dryRun" }];
    expect(foreignMatchConditions(edited)).toEqual(["not-controller-created", "skip-dry-runs"]);
  });
});

test("warnings that fill the API server's 4096-rune cap: a missing answer may have been dropped, UNKNOWN not FAIL", () => {
  // what the recorder leaves once truncating: every text cut to 256 runes, none past 4096 in all
  const cut = Array.from({ length: 16 }, (_, i) => `gatekeeper warn ${i}: `.padEnd(256, "x"));
  expect(warningsCapped(cut)).toBe(true);
  expect(warningsCapped(cut.slice(1))).toBe(false);
  expect(warningsCapped([])).toBe(false);
  expect(judgeReach({ kind: "capped", namespace: "default" }, "kube-devops", "Ignore").status).toBe("UNKNOWN");
});

test("a selector that reads only kubernetes.io/metadata.name is judged by the name alone; any other label needs the namespace", () => {
  expect(selectsByName(generated, "default")).toBe(true);
  expect(selectsByName(generated, "kube-system")).toBe(false);
  expect(selectsByName(undefined, "default")).toBe(true);
  expect(selectsByName({ matchLabels: { "kubernetes.io/metadata.name": "default" } }, "default")).toBe(true);
  expect(selectsByName({ matchLabels: { "devops/enforce": "true" } }, "default")).toBeUndefined();
  expect(selectsByName({ matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["x"] }, { key: "tier", operator: "Exists" }] }, "default")).toBeUndefined();
});
