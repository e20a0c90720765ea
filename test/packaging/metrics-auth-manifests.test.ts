/**
 * What `--metrics-auth` (chart `<component>.metricsAuth`) renders (decision 0029): with
 * `kubernetes`, every component's TokenReview/SubjectAccessReview grants, the
 * `kube-devops-metrics-reader` ClusterRole, ServiceAccount and token Secret bound to it in our
 * namespace, ServiceMonitors sending that Secret's token (watch and reconcile over HTTPS without
 * verification, their certificate being self-signed), HTTPS probes and the flag in every
 * component's args; with `none`, none of them, and watch and reconcile back on plain HTTP.
 */
import { describe, expect, test } from "bun:test";
import { parseDeployArgs, parseMonitoringArgs } from "../../gen/deploy-args.ts";
import { renderDeployManifests, renderObservabilityManifests } from "../../gen/manifests.ts";
import { componentArgs, renderDeployment } from "../../gen/workloads.ts";
import { COMPONENTS } from "../../lib/rbac/permissions.ts";
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
const clusterRules = (objects: Obj[], component: string) =>
  objects.find((o) => o.kind === "ClusterRole" && o.metadata.name === `kube-devops-${component}`)?.rules?.map((r) => `${r.apiGroups?.join(",")}/${r.resources?.join(",")} ${r.verbs.join(",")}`);
const webhookClusterRules = (objects: Obj[]) => clusterRules(objects, "webhook");
const REVIEWS = ["authentication.k8s.io/tokenreviews create", "authorization.k8s.io/subjectaccessreviews create"];
const probeSchemes = (flags: Record<string, string>, component: (typeof COMPONENTS)[number]) => {
  const container = renderDeployment(parseDeployArgs(flags, VERSION), component).spec?.template.spec?.containers[0];
  return [container?.startupProbe, container?.livenessProbe, container?.readinessProbe].map((p) => p?.httpGet?.scheme);
};

describe("--metrics-auth kubernetes (the default)", () => {
  const objects = deploy({ namespace: "ops" });

  test("the webhook may create TokenReviews and SubjectAccessReviews, nothing else new", () => {
    expect(webhookClusterRules(objects)).toEqual([
      "devops.stochastic.io/devopspolicies list,watch",
      "admissionregistration.k8s.io/validatingwebhookconfigurations get,list,watch,patch",
      "authentication.k8s.io/tokenreviews create",
      "authorization.k8s.io/subjectaccessreviews create",
    ]);
  });

  test("watch and reconcile may create them too (they check their scrapers the same way), at the end of their rules", () => {
    for (const c of ["watch", "reconcile"]) expect(clusterRules(objects, c)?.slice(-2)).toEqual(REVIEWS);
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

  test("every ServiceMonitor sends that Secret's token (prometheus-operator SafeAuthorization) over HTTPS; watch's and reconcile's skip verification of their self-signed certificate", () => {
    const rendered = monitors({ namespace: "ops" });
    const endpoint = (name: string) => rendered.find((m) => m.metadata.name === name)?.spec?.endpoints?.[0];
    for (const c of COMPONENTS) {
      expect(endpoint(`kube-devops-${c}`)?.authorization).toEqual({ type: "Bearer", credentials: { name: "kube-devops-metrics-reader-token", key: "token" } });
      expect(endpoint(`kube-devops-${c}`)?.scheme).toBe("https");
      // prometheus-operator reads the Secret in the ServiceMonitor's namespace: the reader's
      expect(rendered.find((m) => m.metadata.name === `kube-devops-${c}`)?.metadata.namespace).toBe("ops");
    }
    expect([endpoint("kube-devops-watch")?.tlsConfig, endpoint("kube-devops-reconcile")?.tlsConfig]).toEqual([{ insecureSkipVerify: true }, { insecureSkipVerify: true }]);
    // the webhook's stays verified against its CA (decision 0007)
    expect(endpoint("kube-devops-webhook")?.tlsConfig).toEqual({ ca: { secret: { name: "kube-devops-webhook-tls", key: "ca.crt" } }, serverName: "kube-devops-webhook.ops.svc" });
    expect([...objects, ...rendered].map(schemaErrors).filter((e) => e !== "")).toEqual([]);
  });

  test("every component's args say so, its probes and Service speak HTTPS, and check asks for the two grants of each", () => {
    for (const c of COMPONENTS) {
      expect(componentArgs(parseDeployArgs({}, VERSION), c)).toEqual(expect.arrayContaining(["--metrics-auth", "kubernetes"]));
      expect(probeSchemes({}, c)).toEqual(["HTTPS", "HTTPS", "HTTPS"]);
      const asked = plannedChecks([c], "ops", {}).map((check) => `${check.verb} ${check.group}/${check.resource}`);
      expect(asked).toEqual(expect.arrayContaining(["create authentication.k8s.io/tokenreviews", "create authorization.k8s.io/subjectaccessreviews"]));
    }
    const services = objects.filter((o) => o.kind === "Service") as unknown as { metadata: { name: string }; spec: { ports: { appProtocol: string }[] } }[];
    expect(services.map((s) => [s.metadata.name, s.spec.ports[0]?.appProtocol])).toEqual([
      ["kube-devops-watch", "https"],
      ["kube-devops-reconcile", "https"],
      ["kube-devops-webhook", "https"],
    ]);
  });
});

describe("--metrics-auth none", () => {
  const objects = deploy({ "metrics-auth": "none" });

  test("no review grant, no metrics reader, no token on any ServiceMonitor; every component serves /metrics open, watch and reconcile over plain HTTP", () => {
    expect(webhookClusterRules(objects)).toEqual(["devops.stochastic.io/devopspolicies list,watch", "admissionregistration.k8s.io/validatingwebhookconfigurations get,list,watch,patch"]);
    for (const c of ["watch", "reconcile"]) expect(clusterRules(objects, c)?.filter((r) => REVIEWS.includes(r))).toEqual([]);
    expect(named(objects, "kube-devops-metrics-reader")).toEqual([]);
    const rendered = monitors({ "metrics-auth": "none" });
    expect(JSON.stringify(rendered)).not.toContain("authorization");
    expect(JSON.stringify(rendered)).not.toContain("insecureSkipVerify");
    expect(rendered.map((m) => m.spec?.endpoints?.[0]?.scheme)).toEqual(["http", "http", "https"]);
    for (const c of COMPONENTS) {
      expect(componentArgs(parseDeployArgs({ "metrics-auth": "none" }, VERSION), c)).toEqual(expect.arrayContaining(["--metrics-auth", "none"]));
      expect(probeSchemes({ "metrics-auth": "none" }, c)).toEqual(c === "webhook" ? ["HTTPS", "HTTPS", "HTTPS"] : ["HTTP", "HTTP", "HTTP"]);
      expect(plannedChecks([c], "ops", { metricsAuth: false }).filter((check) => check.resource.endsWith("reviews"))).toEqual([]);
    }
  });

  test("a value the webhook would refuse is a usage error naming the flag", () => {
    expect(() => parseDeployArgs({ "metrics-auth": "basic" }, VERSION)).toThrow("--metrics-auth");
    expect(() => parseMonitoringArgs({ "metrics-auth": "basic" }, VERSION)).toThrow("--metrics-auth");
  });
});
