/**
 * The pure judgement of a second install (decision 0035): which ClusterRoleBindings and which
 * webhook configuration serve an install in another namespace, and the error that names both.
 */
import { describe, expect, test } from "bun:test";
import { renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { describeForeignConfiguration, findInstallConflicts, foreignSubjects, foreignWebhookService, installConflictError } from "../../lib/install/foreign-install.ts";
import { exitCodeOf } from "../../lib/errors.ts";

const binding = (namespace: string, name = "kube-devops-watch") => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name }, subjects: [{ kind: "ServiceAccount", name, namespace }] });
const vwcFor = (namespace: string) => renderWebhookConfiguration({ caBundle: "", namespace });
const ourService = (namespace: string) => ({ name: "kube-devops-webhook", namespace });

describe("foreignSubjects", () => {
  test("a ServiceAccount subject in another namespace is foreign; ours, users and groups are not", () => {
    expect(foreignSubjects(binding("team-a"), "team-b")).toEqual([{ kind: "ServiceAccount", name: "kube-devops-watch", namespace: "team-a" }]);
    expect(foreignSubjects(binding("team-b"), "team-b")).toEqual([]);
    expect(foreignSubjects({ subjects: [{ kind: "User", name: "alice" }, { kind: "Group", name: "ops" }] }, "team-b")).toEqual([]);
    expect(foreignSubjects({}, "team-b")).toEqual([]);
    expect(foreignSubjects(undefined, "team-b")).toEqual([]);
  });
});

describe("foreignWebhookService", () => {
  test("a configuration calling only another namespace's Service belongs to that install", () => {
    expect(foreignWebhookService(vwcFor("team-a"), ourService("team-b"))).toEqual({ name: "kube-devops-webhook", namespace: "team-a" });
  });

  test("ours, ours beside another, a url webhook and no webhooks are not foreign", () => {
    expect(foreignWebhookService(vwcFor("team-b"), ourService("team-b"))).toBeUndefined();
    const both = vwcFor("team-b") as { webhooks: unknown[] };
    both.webhooks.push(...(vwcFor("team-a") as { webhooks: unknown[] }).webhooks);
    expect(foreignWebhookService(both, ourService("team-b"))).toBeUndefined();
    expect(foreignWebhookService({ webhooks: [{ name: "x", clientConfig: { url: "https://127.0.0.1:8443/validate" } }] }, ourService("team-b"))).toBeUndefined();
    expect(foreignWebhookService({ webhooks: [] }, ourService("team-b"))).toBeUndefined();
    expect(foreignWebhookService(undefined, ourService("team-b"))).toBeUndefined();
  });

  test("another Service name in our own namespace is not ours either", () => {
    const vwc = renderWebhookConfiguration({ caBundle: "", namespace: "team-b", serviceName: "other-webhook" });
    expect(foreignWebhookService(vwc, ourService("team-b"))).toEqual({ name: "other-webhook", namespace: "team-b" });
  });
});

describe("describeForeignConfiguration (the self-managed webhook's error)", () => {
  test("another namespace's Service: that install's, with the way out of two installs", () => {
    const said = describeForeignConfiguration("kube-devops-webhook", ourService("team-b"), ourService("team-a"));
    expect(said.message).toBe("the webhook configuration kube-devops-webhook calls the Service team-a/kube-devops-webhook, not this install's team-b/kube-devops-webhook: it belongs to the kube-devops install in namespace team-a, so this webhook leaves its caBundle alone and receives no admission requests");
    expect(said.hint).toContain("kube-devops runs once per cluster");
  });

  test("another Service of our own namespace is no second install: no advice to delete our own namespace", () => {
    const said = describeForeignConfiguration("kube-devops-webhook", { name: "custom-webhook", namespace: "team-b" }, ourService("team-b"));
    expect(said.message).not.toContain("install in namespace");
    expect(said.message).toContain("calls the Service team-b/kube-devops-webhook, not this webhook's team-b/custom-webhook");
    expect(said.hint).not.toContain("deleting namespace");
    expect(said.hint).toContain("--service-name kube-devops-webhook");
  });
});

describe("findInstallConflicts and the error", () => {
  const live = {
    bindings: [
      { name: "kube-devops-watch", object: binding("team-a") },
      { name: "kube-devops-reconcile", object: undefined },
      { name: "kube-devops-webhook", object: binding("team-b", "kube-devops-webhook") },
    ],
    webhookConfiguration: { name: "kube-devops-webhook", object: vwcFor("team-a") },
  };

  test("names every object that serves the other install, and nothing absent or ours", () => {
    expect(findInstallConflicts(live, "team-b", ourService("team-b"))).toEqual([
      { kind: "ClusterRoleBinding", name: "kube-devops-watch", namespace: "team-a", via: "subject team-a/kube-devops-watch" },
      { kind: "ValidatingWebhookConfiguration", name: "kube-devops-webhook", namespace: "team-a", via: "service team-a/kube-devops-webhook" },
    ]);
    expect(findInstallConflicts(live, "team-a", ourService("team-a"))).toEqual([
      { kind: "ClusterRoleBinding", name: "kube-devops-webhook", namespace: "team-b", via: "subject team-b/kube-devops-webhook" },
    ]);
    expect(findInstallConflicts({ bindings: [] }, "team-b", ourService("team-b"))).toEqual([]);
  });

  test("the error is a usage error naming both namespaces, what would be taken over, and the fix", () => {
    const err = installConflictError(findInstallConflicts(live, "team-b", ourService("team-b")), "team-b");
    expect(exitCodeOf(err)).toBe(2);
    expect(err.message).toBe("kube-devops is already installed in namespace team-a: installing it in team-b would take over ClusterRoleBinding kube-devops-watch (subject team-a/kube-devops-watch), ValidatingWebhookConfiguration kube-devops-webhook (service team-a/kube-devops-webhook) and leave that install without its permissions and admission");
    expect(err.hint).toContain("kube-devops runs once per cluster");
    expect(err.hint).toContain("Keep the install in team-a: remove the one in team-b by deleting namespace team-b only");
    expect(err.hint).toContain("Or move it to team-b: delete namespace team-a, the kube-devops ClusterRoleBindings and ValidatingWebhookConfiguration (not the CRDs");
  });
});
