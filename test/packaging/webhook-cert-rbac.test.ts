/**
 * The webhook's certificate grants follow its certificate mode: `deploy generate-rbac` /
 * `generate-all` give write access to its TLS Secret and its ValidatingWebhookConfiguration only
 * with self-managed certificates, never with cert-manager or `--tls-dir` files (decision 0006).
 */
import { describe, expect, test } from "bun:test";
import { parseDeployArgs } from "../../gen/deploy-args.ts";
import { renderDeployManifests } from "../../gen/manifests.ts";
import { renderRbac } from "../../gen/rbac.ts";
import { plannedChecks } from "../../lib/cli/access-review.ts";
import { componentPermissions } from "../../lib/rbac/permissions.ts";

type Rule = { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs: string[] };
type Obj = { kind: string; metadata?: { name?: string; namespace?: string }; rules?: Rule[] };

/** The webhook's rules as `Kind: group/resource[names] verbs`, from rendered objects. */
function webhookRules(objects: readonly unknown[]): string[] {
  return (objects as Obj[])
    .filter((o) => (o.kind === "ClusterRole" || o.kind === "Role") && o.metadata?.name === "kube-devops-webhook")
    .flatMap((o) => (o.rules ?? []).map((r) => `${o.kind}: ${r.apiGroups?.join(",")}/${r.resources?.join(",")}${r.resourceNames ? `[${r.resourceNames.join(",")}]` : ""} ${r.verbs.join(",")}`));
}

/** `--metrics-auth kubernetes` (the default) adds these in every certificate mode (decision 0029). */
const METRICS_REVIEWS = ["ClusterRole: authentication.k8s.io/tokenreviews create", "ClusterRole: authorization.k8s.io/subjectaccessreviews create"];
const SELF_MANAGED = [
  "ClusterRole: devops.stochastic.io/devopspolicies list,watch",
  "ClusterRole: admissionregistration.k8s.io/validatingwebhookconfigurations[kube-devops-webhook] get,list,watch,patch",
  ...METRICS_REVIEWS,
  "Role: /secrets[kube-devops-webhook-tls] get,update",
  "Role: /secrets create",
];
const READ_ONLY = ["ClusterRole: devops.stochastic.io/devopspolicies list,watch", ...METRICS_REVIEWS];

describe("webhook certificate grants", () => {
  test("self-managed (the default): its Secret pinned by name for get/update, create in our namespace only, its own VWC get/list/watch/patch", () => {
    expect(webhookRules(renderRbac(parseDeployArgs({}, "1.0.0")))).toEqual(SELF_MANAGED);
    const role = (renderRbac(parseDeployArgs({ namespace: "ops" }, "1.0.0")) as Obj[]).find((o) => o.kind === "Role" && o.metadata?.name === "kube-devops-webhook");
    expect(role?.metadata?.namespace).toBe("ops");
  });

  test("generate-rbac --cert-mode cert-manager: no Secret or webhook-configuration grant, no Role", () => {
    const objects = renderRbac(parseDeployArgs({ "cert-mode": "cert-manager" }, "1.0.0")) as Obj[];
    expect(webhookRules(objects)).toEqual(READ_ONLY);
    expect(objects.filter((o) => o.metadata?.name === "kube-devops-webhook").map((o) => o.kind)).toEqual(["ServiceAccount", "ClusterRole", "ClusterRoleBinding"]);
  });

  test("generate-all --cert-mode cert-manager and --tls-dir: the same read-only webhook", () => {
    expect(webhookRules(renderDeployManifests(parseDeployArgs({ "cert-mode": "cert-manager" }, "1.0.0"), { createNamespace: false }))).toEqual(READ_ONLY);
    const files = { caCert: "CA", tlsCert: "CERT", tlsKey: "KEY" };
    expect(webhookRules(renderDeployManifests(parseDeployArgs({}, "1.0.0"), { createNamespace: false, webhookTls: files }))).toEqual(READ_ONLY);
  });

  test("the other components' grants do not depend on the certificate mode", () => {
    for (const c of ["watch", "reconcile"] as const) expect(componentPermissions(c, undefined, { selfManagedCertificates: false })).toEqual(componentPermissions(c));
  });

  test("check --cert-mode cert-manager does not ask for the certificate grants", () => {
    const asked = (selfManagedCertificates: boolean) => plannedChecks(["webhook"], "ops", { selfManagedCertificates, metricsAuth: false }).map((c) => `${c.verb} ${c.resource}`);
    expect(asked(false)).toEqual(["list devopspolicies", "watch devopspolicies"]);
    expect(asked(true)).toEqual(["list devopspolicies", "watch devopspolicies", "get secrets", "update secrets", "create secrets", "get validatingwebhookconfigurations", "list validatingwebhookconfigurations", "watch validatingwebhookconfigurations", "patch validatingwebhookconfigurations"]);
  });
});
