/**
 * What `--metrics-auth` (chart `webhook.metricsAuth`) renders (decision 0029): with `kubernetes`,
 * the webhook's TokenReview/SubjectAccessReview grants, the `kube-devops-metrics-reader`
 * ClusterRole, ServiceAccount and token Secret bound to it in our namespace, the ServiceMonitor
 * sending that Secret's token, and the flag in the webhook's args; with `none`, none of them.
 */
import { describe, expect, test } from "bun:test";
import { parseDeployArgs, parseMonitoringArgs } from "../../gen/deploy-args.ts";
import { renderDeployManifests, renderObservabilityManifests } from "../../gen/manifests.ts";
import { componentArgs } from "../../gen/workloads.ts";
import { plannedChecks } from "../../lib/cli/access-review.ts";
import { schemaErrors } from "../support/k8s-schemas.ts";

type Obj = {
  apiVersion: string;
  kind: string;
  type?: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  rules?: { apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[]; verbs: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  spec?: { endpoints?: Record<string, unknown>[] };
};

const VERSION = "1.2.3";
const deploy = (flags: Record<string, string>) => renderDeployManifests(parseDeployArgs(flags, VERSION), { createNamespace: false }) as Obj[];
const monitors = (flags: Record<string, string>) => (renderObservabilityManifests(parseMonitoringArgs(flags, VERSION)) as Obj[]).filter((o) => o.kind === "ServiceMonitor");
const named = (objects: Obj[], name: string) => objects.filter((o) => o.metadata.name.startsWith(name)).map((o) => `${o.kind}/${o.metadata.name}`);
const webhookClusterRules = (objects: Obj[]) =>
  objects.find((o) => o.kind === "ClusterRole" && o.metadata.name === "kube-devops-webhook")?.rules?.map((r) => `${r.apiGroups?.join(",")}/${r.resources?.join(",")} ${r.verbs.join(",")}`);

describe("--metrics-auth kubernetes (the default)", () => {
  const objects = deploy({ namespace: "ops" });

  test("the webhook may create TokenReviews and SubjectAccessReviews, nothing else new", () => {
    expect(webhookClusterRules(objects)).toEqual([
      "devops.stochastic.io/devopspolicies list,watch",
      "admissionregistration.k8s.io/validatingwebhookconfigurations get,patch",
      "authentication.k8s.io/tokenreviews create",
      "authorization.k8s.io/subjectaccessreviews create",
    ]);
  });

  test("the metrics reader: get /metrics only, bound to its ServiceAccount in our namespace, with a token Secret", () => {
    expect(named(objects, "kube-devops-metrics-reader")).toEqual([
      "ServiceAccount/kube-devops-metrics-reader",
      "Secret/kube-devops-metrics-reader-token",
      "ClusterRole/kube-devops-metrics-reader",
      "ClusterRoleBinding/kube-devops-metrics-reader",
    ]);
    const get = (kind: string) => objects.find((o) => o.kind === kind && o.metadata.name.startsWith("kube-devops-metrics-reader")) as Obj;
    expect(get("ClusterRole").rules).toEqual([{ nonResourceURLs: ["/metrics"], verbs: ["get"] }]);
    expect(get("ClusterRoleBinding").roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kube-devops-metrics-reader" } as never);
    expect(get("ClusterRoleBinding").subjects).toEqual([{ kind: "ServiceAccount", name: "kube-devops-metrics-reader", namespace: "ops" }]);
    expect(get("ServiceAccount").metadata.namespace).toBe("ops");
    const secret = get("Secret");
    expect({ type: secret.type, namespace: secret.metadata.namespace, annotations: secret.metadata.annotations }).toEqual({
      type: "kubernetes.io/service-account-token",
      namespace: "ops",
      annotations: { "kubernetes.io/service-account.name": "kube-devops-metrics-reader" },
    });
    // the ServiceAccount first: the token controller fills a Secret only for an existing account
    expect(objects.findIndex((o) => o.kind === "ServiceAccount" && o.metadata.name === "kube-devops-metrics-reader")).toBeLessThan(objects.indexOf(secret));
  });

  test("the webhook's ServiceMonitor sends that Secret's token (prometheus-operator SafeAuthorization); the others send none", () => {
    const rendered = monitors({ namespace: "ops" });
    const endpoint = (name: string) => rendered.find((m) => m.metadata.name === name)?.spec?.endpoints?.[0];
    expect(endpoint("kube-devops-webhook")?.authorization).toEqual({ type: "Bearer", credentials: { name: "kube-devops-metrics-reader-token", key: "token" } });
    // prometheus-operator reads the Secret in the ServiceMonitor's namespace: the reader's
    expect(rendered.find((m) => m.metadata.name === "kube-devops-webhook")?.metadata.namespace).toBe("ops");
    expect([endpoint("kube-devops-watch")?.authorization, endpoint("kube-devops-reconcile")?.authorization]).toEqual([undefined, undefined]);
    expect([...objects, ...rendered].map(schemaErrors).filter((e) => e !== "")).toEqual([]);
  });

  test("the webhook's args say so, and check asks for the two grants", () => {
    expect(componentArgs(parseDeployArgs({}, VERSION), "webhook")).toEqual(expect.arrayContaining(["--metrics-auth", "kubernetes"]));
    const asked = plannedChecks(["webhook"], "ops", {}).map((c) => `${c.verb} ${c.group}/${c.resource}`);
    expect(asked).toEqual(expect.arrayContaining(["create authentication.k8s.io/tokenreviews", "create authorization.k8s.io/subjectaccessreviews"]));
  });
});

describe("--metrics-auth none", () => {
  const objects = deploy({ "metrics-auth": "none" });

  test("no review grant, no metrics reader, no token on the ServiceMonitor; the webhook serves /metrics open", () => {
    expect(webhookClusterRules(objects)).toEqual(["devops.stochastic.io/devopspolicies list,watch", "admissionregistration.k8s.io/validatingwebhookconfigurations get,patch"]);
    expect(named(objects, "kube-devops-metrics-reader")).toEqual([]);
    expect(JSON.stringify(monitors({ "metrics-auth": "none" }))).not.toContain("authorization");
    expect(componentArgs(parseDeployArgs({ "metrics-auth": "none" }, VERSION), "webhook")).toEqual(expect.arrayContaining(["--metrics-auth", "none"]));
    expect(plannedChecks(["webhook"], "ops", { metricsAuth: false }).filter((c) => c.resource.endsWith("reviews"))).toEqual([]);
  });

  test("a value the webhook would refuse is a usage error naming the flag", () => {
    expect(() => parseDeployArgs({ "metrics-auth": "basic" }, VERSION)).toThrow("--metrics-auth");
    expect(() => parseMonitoringArgs({ "metrics-auth": "basic" }, VERSION)).toThrow("--metrics-auth");
  });
});
