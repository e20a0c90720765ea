/**
 * The judgements behind `check`'s install lines and its grouped permission lines, with literal
 * objects (the binary against the emulator is check-install.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { renderDevOpsPolicyCrd } from "../../gen/crd.ts";
import { componentName } from "../../gen/options.ts";
import type { AccessResult } from "../../lib/cli/access-review.ts";
import { componentOfUser, denialHint, summarizeAccess } from "../../lib/cli/denial-summary.ts";
import { canIRead, judgeCrd, judgeDeployment, judgeUnread, judgeLease, judgePolicies, schemaPaths, type CrdObject, type DeploymentObject } from "../../lib/install/install-health.ts";
import { bundleHint, deployedCertMode, judgeEndpoints, judgeWebhookCertificate, judgeWebhookConfiguration, webhookTargetPort } from "../../lib/install/webhook-health.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";

const found = <T>(object: T) => ({ state: "found" as const, object });
const established = { status: { conditions: [{ type: "Established", status: "True" }] } };

describe("CRDs", () => {
  const generated = renderDevOpsPolicyCrd() as unknown as CrdObject;

  test("schemaPaths walks properties and items", () => {
    expect(schemaPaths({ properties: { a: { properties: { b: {} } }, l: { items: { properties: { c: {} } } } } })).toEqual(["a", "a.b", "l", "l[].c"]);
  });

  test("the generated CRD, Established, is OK; one lacking a status field is outdated; not Established FAILs", () => {
    expect(judgeCrd("CRD", found({ ...generated, ...established }), generated)).toEqual({ label: "CRD", status: "OK", detail: "Established, v1 (stored)" });
    const old = structuredClone(generated);
    const schema = old.spec?.versions?.[0]?.schema?.openAPIV3Schema as { properties: { status: { properties: Record<string, unknown> } } };
    delete schema.properties.status.properties.healthScore;
    const outdated = judgeCrd("CRD", found({ ...old, ...established }), generated);
    expect(outdated.status).toBe("WARN");
    expect(outdated.detail).toBe("older than this binary: 1 fields missing (status.healthScore), the API server drops them");
    expect(judgeCrd("CRD", found(generated), generated).status).toBe("FAIL");
    expect(judgeCrd("CRD", { state: "forbidden", what: "get crds" }, generated)).toEqual({ label: "CRD", status: "UNKNOWN", detail: "not allowed to get crds" });
  });
});

describe("Deployments", () => {
  const deployment = (over: DeploymentObject = {}): DeploymentObject => ({
    metadata: { name: "kube-devops-watch", labels: { "app.kubernetes.io/version": "1.2.3" } },
    spec: { replicas: 2 },
    status: { readyReplicas: 2, conditions: [{ type: "Available", status: "True" }] },
    ...over,
  });

  test("Available at this version is OK; another version WARNs; not Available FAILs; 0 replicas FAILs", () => {
    expect(judgeDeployment("D", found(deployment()), "ns", "1.2.3")).toEqual({ label: "D", status: "OK", detail: "Available, 2/2 ready, v1.2.3" });
    const other = judgeDeployment("D", found(deployment()), "ns", "1.3.0");
    expect(other.status).toBe("WARN");
    expect(other.detail).toBe("Available, 2/2 ready, runs v1.2.3, this binary is v1.3.0");
    const down = judgeDeployment("D", found(deployment({ status: { readyReplicas: 0, conditions: [{ type: "Available", status: "False", reason: "MinimumReplicasUnavailable" }] } })), "ns", "1.2.3");
    expect(down).toMatchObject({ status: "FAIL", detail: "not Available, 0/2 ready (MinimumReplicasUnavailable)", hint: "kubectl -n ns describe deployment kube-devops-watch" });
    // nothing scores, reconciles or admits then: an install check that passes would mislead CI
    expect(judgeDeployment("D", found(deployment({ spec: { replicas: 0 } })), "ns", "1.2.3")).toMatchObject({ status: "FAIL", detail: "scaled to 0 replicas: it does not run", hint: "kubectl -n ns scale deployment/kube-devops-watch --replicas=2" });
    expect(judgeDeployment("D", { state: "absent" }, "ns", "1.2.3").status).toBe("FAIL");
  });

  test("a rollout is not the version it rolls out to: in progress WARNs, past its progress deadline FAILs, unobserved WARNs", () => {
    // before: Available (the old pods still serve) and readyReplicas 2 read OK "v1.2.3" while the
    // new version's pods were not even started, or could never start (a bad image)
    const stuck = deployment({
      metadata: { name: "kube-devops-watch", generation: 4, labels: { "app.kubernetes.io/version": "1.2.3" } },
      status: { observedGeneration: 4, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: "Available", status: "True" }, { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] },
    });
    expect(judgeDeployment("D", found(stuck), "ns", "1.2.3")).toMatchObject({ status: "FAIL", detail: "rollout to v1.2.3 stuck (ProgressDeadlineExceeded): 1/2 updated, 2 available", hint: "kubectl -n ns rollout status deployment kube-devops-watch; kubectl -n ns describe deployment kube-devops-watch" });
    const rolling = deployment({
      metadata: { name: "kube-devops-watch", generation: 4, labels: { "app.kubernetes.io/version": "1.2.3" } },
      status: { observedGeneration: 4, replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3, conditions: [{ type: "Available", status: "True" }, { type: "Progressing", status: "True", reason: "ReplicaSetUpdated" }] },
    });
    expect(judgeDeployment("D", found(rolling), "ns", "1.2.3")).toMatchObject({ status: "WARN", detail: "Available, rolling out to v1.2.3: 1/2 updated, 3 ready" });
    // every pod updated, but an old one still terminating: not done either (kubectl rollout status waits too)
    const draining = deployment({ metadata: { name: "kube-devops-watch", generation: 4, labels: { "app.kubernetes.io/version": "1.2.3" } }, status: { observedGeneration: 4, replicas: 3, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: "Available", status: "True" }] } });
    expect(judgeDeployment("D", found(draining), "ns", "1.2.3")).toMatchObject({ status: "WARN", detail: "Available, rolling out to v1.2.3: 2/2 updated, 1 old pending termination" });
    const unobserved = deployment({ metadata: { name: "kube-devops-watch", generation: 5, labels: { "app.kubernetes.io/version": "1.2.3" } }, status: { observedGeneration: 4, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: "Available", status: "True" }] } });
    expect(judgeDeployment("D", found(unobserved), "ns", "1.2.3")).toMatchObject({ status: "WARN", detail: "Available, rolling out to v1.2.3: the controller has not seen the change yet" });
    // done: every replica updated and available
    const done = deployment({ metadata: { name: "kube-devops-watch", generation: 4, labels: { "app.kubernetes.io/version": "1.2.3" } }, status: { observedGeneration: 4, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: "Available", status: "True" }, { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" }] } });
    expect(judgeDeployment("D", found(done), "ns", "1.2.3")).toEqual({ label: "D", status: "OK", detail: "Available, 2/2 ready, v1.2.3" });
  });

  test("without the version label the image tag says the version", () => {
    const d = deployment({ metadata: { name: "x" }, spec: { replicas: 1, template: { spec: { containers: [{ image: "ghcr.io/kube-devops/kube-devops:v0.9.1" }] } } }, status: { readyReplicas: 1, conditions: [{ type: "Available", status: "True" }] } });
    expect(judgeDeployment("D", found(d), "ns", "0.9.1").detail).toBe("Available, 1/1 ready, v0.9.1");
  });
});

describe("Leases and policies", () => {
  const now = Date.parse("2026-01-01T00:01:00Z");
  test("renewed within its duration is OK; a stale or released lease WARNs", () => {
    const lease = (renewTime: string, holderIdentity = "pod-a") => found({ spec: { holderIdentity, renewTime, leaseDurationSeconds: 15 } });
    expect(judgeLease("L", lease("2026-01-01T00:00:55.000000Z"), "ns", "kube-devops-watch", now)).toEqual({ label: "L", status: "OK", detail: "pod-a, renewed 5s ago" });
    expect(judgeLease("L", lease("2026-01-01T00:00:00.000000Z"), "ns", "kube-devops-watch", now)).toMatchObject({ status: "WARN", detail: "pod-a, not renewed for 60s (lease 15s)", hint: "kubectl -n ns logs deployment/kube-devops-watch" });
    expect(judgeLease("L", lease("2026-01-01T00:00:55.000000Z", ""), "ns", "kube-devops-watch", now).detail).toBe("released, no leader");
  });

  test("Ready False policies are counted by reason", () => {
    const ready = (status: string, reason: string) => ({ status: { conditions: [{ type: "Ready", status, reason }] } });
    const line = judgePolicies("P", found([ready("True", "Evaluated"), ready("False", "InvalidSpec"), ready("False", "InertNamespace"), ready("False", "InvalidSpec"), {}]));
    expect(line).toMatchObject({ status: "WARN", detail: "5 policies, 3 Ready False (1 InertNamespace, 2 InvalidSpec), 1 not evaluated yet" });
    expect(judgePolicies("P", found([ready("True", "Evaluated")])).detail).toBe("1 policy");
  });

  test("Ready Unknown policies are counted and WARN, apart from those not evaluated yet", () => {
    const ready = (status: string, reason: string) => ({ status: { conditions: [{ type: "Ready", status, reason }] } });
    expect(judgePolicies("P", found([ready("True", "Evaluated"), ready("Unknown", "ApiUnavailable"), {}]))).toMatchObject({ status: "WARN", detail: "3 policies, 1 Ready Unknown, 1 not evaluated yet" });
    expect(judgePolicies("P", found([ready("False", "InvalidSpec"), ready("Unknown", "ApiUnavailable")])).detail).toBe("2 policies, 1 Ready False (1 InvalidSpec), 1 Ready Unknown");
  });
});

describe("the webhook", () => {
  test("endpoints: only not-ready ones FAIL; an unset ready condition counts as ready", () => {
    expect(judgeEndpoints("E", found([{ endpoints: [{ conditions: { ready: false } }] }]), "ns", "svc")).toMatchObject({ status: "FAIL", detail: "no ready endpoints of ns/svc, 1 not ready" });
    expect(judgeEndpoints("E", found([]), "ns", "svc").detail).toBe("no ready endpoints of ns/svc");
    expect(judgeEndpoints("E", found([{ endpoints: [{}, { conditions: { ready: false } }] }]), "ns", "svc")).toMatchObject({ status: "OK", detail: "1 ready endpoint, 1 not ready" });
  });

  test("endpoints: a dual-stack Service's two slices (IPv4, IPv6) list each pod once per family; pods are counted once", () => {
    const pod = (name: string, address: string, ready = true) => ({ addresses: [address], targetRef: { kind: "Pod", namespace: "ns", name, uid: `uid-${name}` }, conditions: { ready } });
    const v4 = { addressType: "IPv4", endpoints: [pod("a", "10.0.0.1"), pod("b", "10.0.0.2", false)] };
    const v6 = { addressType: "IPv6", endpoints: [pod("a", "fd00::1"), pod("b", "fd00::2", false)] };
    expect(judgeEndpoints("E", found([v4, v6]), "ns", "svc")).toEqual({ label: "E", status: "OK", detail: "1 ready endpoint, 1 not ready" });
    // endpoints without a targetRef (a selector-less Service's hand-written slices) each count
    expect(judgeEndpoints("E", found([{ addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.9"] }, { addresses: ["10.0.0.9"] }] }]), "ns", "svc").detail).toBe("2 ready endpoints");
  });

  test("endpoints: a rolling update's terminating ones are counted apart, not as not ready", () => {
    const old = { conditions: { ready: false, serving: true, terminating: true } };
    const fresh = { conditions: { ready: true, serving: true, terminating: false } };
    expect(judgeEndpoints("E", found([{ endpoints: [fresh, fresh, old, old] }]), "ns", "svc")).toEqual({ label: "E", status: "OK", detail: "2 ready endpoints, 2 terminating" });
    // none ready yet: kube-proxy falls back to the terminating ones that still serve
    expect(judgeEndpoints("E", found([{ endpoints: [old, { conditions: { ready: false } }] }]), "ns", "svc")).toMatchObject({ status: "WARN", detail: "no ready endpoints of ns/svc, only 1 terminating that still serve, 1 not ready" });
    expect(judgeEndpoints("E", found([{ endpoints: [{ conditions: { ready: false, serving: false, terminating: true } }] }]), "ns", "svc")).toMatchObject({ status: "FAIL", detail: "no ready endpoints of ns/svc, 1 terminating" });
    // a terminating endpoint whose ready is unset is not ready (it never is, for compatibility);
    // one whose serving is unset serves (unset means true, as kube-proxy reads it)
    expect(judgeEndpoints("E", found([{ endpoints: [{ conditions: { terminating: true } }] }]), "ns", "svc")).toMatchObject({ status: "WARN", detail: "no ready endpoints of ns/svc, only 1 terminating that still serve" });
  });

  test("a caBundle of another CA FAILs; a certificate near expiry WARNs", async () => {
    const now = new Date();
    const a = await generateWebhookCertificates({ serviceName: "svc", namespace: "ns", now, validityDays: 10, caValidityDays: 100 });
    const b = await generateWebhookCertificates({ serviceName: "svc", namespace: "ns", now, validityDays: 10, caValidityDays: 100 });
    const secret = found({ data: { "tls.crt": Buffer.from(a.server.cert).toString("base64") } });
    const bundle = (pem: string) => Buffer.from(pem).toString("base64");
    const wrong = await judgeWebhookCertificate("C", bundle(b.ca.cert), secret, "ns", "self-managed", now.getTime());
    expect(wrong).toMatchObject({ status: "FAIL", detail: "the caBundle does not verify the served certificate: every call fails TLS" });
    const soon = await judgeWebhookCertificate("C", bundle(a.ca.cert), secret, "ns", "self-managed", now.getTime());
    expect(soon).toMatchObject({ status: "WARN", detail: "verifies the serving certificate, serving certificate expires in 9 days" });
    const expired = await judgeWebhookCertificate("C", bundle(a.ca.cert), secret, "ns", "self-managed", now.getTime() + 11 * 86_400_000);
    expect(expired.status).toBe("FAIL");
  });
});

describe("grouped denials", () => {
  const result = (component: AccessResult["component"], verb: string, resource: string, allowed: boolean, name?: string): AccessResult => ({ component, verb, group: "", resource, usedBy: "", allowed, reason: undefined, ...(name ? { name } : {}) });

  test("one summary per component, verbs grouped by resource", () => {
    const results = [result("watch", "list", "pods", false), result("watch", "watch", "pods", false), result("watch", "get", "leases", false, "kube-devops-watch"), result("webhook", "create", "secrets", true)];
    expect(summarizeAccess(results)).toEqual([
      { component: "watch", checked: 3, denied: 3, summary: "list,watch pods; get leases/kube-devops-watch" },
      { component: "webhook", checked: 1, denied: 0, summary: "" },
    ]);
  });

  test("a component's ServiceAccount is told its grant; anyone else to check as the components", () => {
    expect(componentOfUser("system:serviceaccount:kd:kube-devops-watch", "kd", componentName)).toBe("watch");
    expect(componentOfUser("system:serviceaccount:other:kube-devops-watch", "kd", componentName)).toBeUndefined();
    expect(denialHint("watch", ["watch"], "kd")).toBe("this is watch's ServiceAccount and it lacks its grant: kube-devops deploy generate-rbac -n kd | kubectl apply -f -");
    expect(denialHint(undefined, ["watch"], "kd")).toStartWith("these are the permissions of the identity running check, not of the components");
  });
});

describe("webhook configuration against its Service", () => {
  const vwc = { webhooks: [{ name: "validate.devops.stochastic.io", clientConfig: { caBundle: "Y2E=", service: { namespace: "ns", name: "kube-devops-webhook", port: 443 } } }] };
  const service = (port: number) => found({ spec: { ports: [{ name: "https", port }] } });

  test("a port the Service has is OK; another FAILs; a missing Service FAILs; an unreadable one judges no port", () => {
    const judge = (svc?: Parameters<typeof judgeWebhookConfiguration>[6]) => judgeWebhookConfiguration("C", found(vwc), "ns", "kube-devops-webhook", "self-managed", "install", svc);
    expect(judge(service(443)).status).toBe("OK");
    expect(judge(service(8443))).toMatchObject({ status: "FAIL", detail: "calls port 443 of ns/kube-devops-webhook, which has port 8443: the API server cannot call the webhook (failurePolicy Fail)" });
    expect(judge({ state: "absent" })).toMatchObject({ status: "FAIL", detail: "calls ns/kube-devops-webhook, which does not exist (failurePolicy Fail)", hint: "install" });
    expect(judge({ state: "forbidden", what: "get services" }).status).toBe("OK");
  });

  test("the pods' port the API server's call reaches: the targetPort of the configuration's Service port, a number or a name as given", () => {
    const ports = [{ name: "metrics", port: 8080, targetPort: 8080 }, { name: "https", port: 443, targetPort: "webhook-tls" }, { name: "alt", port: 444, targetPort: 9443 }];
    const svc = found({ spec: { ports } });
    expect(webhookTargetPort(svc, 443)).toBe("webhook-tls");
    expect(webhookTargetPort(svc, 444)).toBe(9443);
    // unset, the API server makes it the port itself
    expect(webhookTargetPort(found({ spec: { ports: [{ port: 443 }] } }), 443)).toBe(443);
    // unknown: no such port (the configuration line FAILs), or the Service unread
    expect(webhookTargetPort(svc, 8443)).toBeUndefined();
    expect(webhookTargetPort({ state: "forbidden", what: "get services" }, 443)).toBeUndefined();
    expect(webhookTargetPort(undefined, 443)).toBeUndefined();
  });
});

describe("who writes the caBundle", () => {
  test("a configuration cert-manager injects points at its cainjector even when check was not told --cert-mode cert-manager", () => {
    const bare = { webhooks: [{ name: "validate.devops.stochastic.io", clientConfig: { service: { namespace: "ns", name: "kube-devops-webhook" } } }] };
    const injected = { ...bare, metadata: { annotations: { "cert-manager.io/inject-ca-from": "ns/kube-devops-webhook" } } };
    expect(judgeWebhookConfiguration("C", found(injected), "ns", "kube-devops-webhook", "self-managed")).toMatchObject({ status: "FAIL", hint: "cert-manager's cainjector writes it: kubectl -n cert-manager logs deployment/cert-manager-cainjector" });
    expect(judgeWebhookConfiguration("C", found(bare), "ns", "kube-devops-webhook", "self-managed").hint).toBe("the webhook writes it (self-managed certificates): kubectl -n ns logs deployment/kube-devops-webhook");
  });

  test("the webhook's Deployment says the mode: --no-self-managed without cert-manager is deploy --tls-dir's files, renewed by cert-generate, not by the webhook", () => {
    const deployed = (args: string[]) => found({ spec: { template: { spec: { containers: [{ args: ["webhook", "serve", ...args] }] } } } } as DeploymentObject);
    expect(deployedCertMode(deployed(["--no-self-managed", "--tls-cert", "/tls/tls.crt"]), "self-managed")).toBe("provided");
    expect(deployedCertMode(deployed(["--self-managed"]), "self-managed")).toBe("self-managed");
    // an explicit --cert-mode cert-manager stands; unread or silent args leave the flag's mode
    expect(deployedCertMode(deployed(["--no-self-managed"]), "cert-manager")).toBe("cert-manager");
    expect(deployedCertMode(deployed([]), "self-managed")).toBe("self-managed");
    expect(deployedCertMode({ state: "absent" }, "self-managed")).toBe("self-managed");
    const bare = { webhooks: [{ name: "validate.devops.stochastic.io", clientConfig: { service: { namespace: "ns", name: "kube-devops-webhook" } } }] };
    expect(judgeWebhookConfiguration("C", found(bare), "ns", "kube-devops-webhook", "provided").hint).toBe(
      "the webhook serves the files deploy --tls-dir shipped and renews nothing: kube-devops webhook cert-generate --output-dir <that dir> --namespace ns (re-issues the serving certificate), then kube-devops deploy generate-all -n ns --tls-dir <that dir> with the flags the install was generated with | kubectl apply -f - (the Secret and the caBundle)",
    );
  });
});

describe("bundleHint for deploy --tls-dir installs", () => {
  test("names the install's namespace for the certificate's DNS names, keeps the install's flags, and asks for a new CA when the CA is what expired", () => {
    expect(bundleHint("provided", "team-x", "serving")).toContain("cert-generate --output-dir <that dir> --namespace team-x (re-issues the serving certificate)");
    expect(bundleHint("provided", "team-x", "ca")).toContain("cert-generate --output-dir <that dir> --namespace team-x --new-ca (a new CA: the old one expired)");
    expect(bundleHint("provided", "team-x")).toContain("deploy generate-all -n team-x --tls-dir <that dir> with the flags the install was generated with");
  });
});

describe("canIRead", () => {
  test("names the refused read as kubectl auth can-i: namespaced, cluster-scoped, and a list in every namespace", () => {
    expect(canIRead({ verb: "get", group: "apps", resource: "deployments", name: "w", namespace: "kd" })).toBe("kubectl auth can-i get deployments.apps/w -n kd");
    expect(canIRead({ verb: "get", group: "apiextensions.k8s.io", resource: "customresourcedefinitions", name: "x.y" })).toBe("kubectl auth can-i get customresourcedefinitions.apiextensions.k8s.io/x.y");
    expect(canIRead({ verb: "list", group: "devops.stochastic.io", resource: "devopspolicies", allNamespaces: true })).toBe("kubectl auth can-i list devopspolicies.devops.stochastic.io --all-namespaces");
    const refused = { verb: "get", group: "", resource: "secrets", name: "tls", namespace: "kd" };
    expect(judgeUnread("C", { state: "forbidden", what: "get secrets/tls in kd", refused }, { status: "FAIL", detail: "" })).toEqual({ label: "C", status: "UNKNOWN", detail: "not allowed to get secrets/tls in kd", hint: "kubectl auth can-i get secrets/tls -n kd", refused });
  });
});
