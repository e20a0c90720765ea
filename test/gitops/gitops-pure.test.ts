import { describe, expect, test } from "bun:test";
import { diffPolicy, exportPolicy, renderDriftLines, targetPolicies } from "../../lib/policy/gitops.ts";
import { parsePolicyDocuments } from "../../lib/policy/parse-policy.ts";

/** What each tool writes on objects it applies (see lib/policy/deploy-tool-metadata.ts for the sources). */
const TOOL_LABELS = {
  "app.kubernetes.io/instance": "shop-policies",
  "argocd.argoproj.io/instance": "shop-policies",
  "kustomize.toolkit.fluxcd.io/name": "apps",
  "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
  "helm.toolkit.fluxcd.io/name": "policies",
  "helm.toolkit.fluxcd.io/namespace": "flux-system",
  "app.kubernetes.io/managed-by": "Helm",
};
const TOOL_ANNOTATIONS = {
  "argocd.argoproj.io/tracking-id": "shop-policies:devops.stochastic.io/DevOpsPolicy:n/p",
  "meta.helm.sh/release-name": "policies",
  "meta.helm.sh/release-namespace": "n",
};

const base = { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "p", namespace: "n" } };

describe("exportPolicy()", () => {
  test("keeps identity, labels, user annotations and spec in schema order; drops everything server-set", () => {
    const out = exportPolicy({
      ...base,
      metadata: { ...base.metadata, uid: "u", resourceVersion: "9", labels: { b: "2", a: "1" }, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}", z: "y" } } as never,
      spec: { enforcementMode: "enforce", forbidLatestTag: true },
      status: { healthScore: 3 },
    } as never);
    expect(out).toEqual({
      apiVersion: "devops.stochastic.io/v1",
      kind: "DevOpsPolicy",
      metadata: { name: "p", namespace: "n", labels: { a: "1", b: "2" }, annotations: { "devops.stochastic.io/exported-from": "n", z: "y" } },
      spec: { forbidLatestTag: true, enforcementMode: "enforce" },
    });
    expect(Object.keys(out.spec)).toEqual(["forbidLatestTag", "enforcementMode"]);
  });

  test("leaves out what Argo CD, Flux and Helm stamp on live objects, keeping the author's labels and annotations", () => {
    const out = exportPolicy({ ...base, metadata: { ...base.metadata, labels: { ...TOOL_LABELS, team: "a", "app.kubernetes.io/part-of": "shop" }, annotations: { ...TOOL_ANNOTATIONS, owner: "sre" } }, spec: {} });
    expect(out.metadata.labels).toEqual({ "app.kubernetes.io/part-of": "shop", team: "a" });
    expect(out.metadata.annotations).toEqual({ "devops.stochastic.io/exported-from": "n", owner: "sre" });
  });

  test("a managed-by label that is not Helm's is the author's, and is exported", () => {
    expect(exportPolicy({ ...base, metadata: { ...base.metadata, labels: { "app.kubernetes.io/managed-by": "platform-team" } }, spec: {} }).metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "platform-team" });
  });

  test("stamps exported-at only when asked", () => {
    expect(exportPolicy({ ...base, spec: {} }, { exportedAt: "2026-01-01T00:00:00Z" }).metadata.annotations?.["devops.stochastic.io/exported-at"]).toBe("2026-01-01T00:00:00Z");
    expect(Object.keys(exportPolicy({ ...base, spec: {} }).metadata.annotations ?? {})).toEqual(["devops.stochastic.io/exported-from"]);
  });
});

describe("diffPolicy()", () => {
  test("no drift when only transport annotations differ", () => {
    const file = { ...base, metadata: { ...base.metadata, annotations: { "devops.stochastic.io/exported-from": "x" } }, spec: { forbidLatestTag: true } };
    const cluster = { ...base, metadata: { ...base.metadata, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } }, spec: { forbidLatestTag: true } };
    expect(diffPolicy(file, cluster)).toEqual([]);
  });

  test("no drift from what Argo CD, Flux and Helm stamp on the live object when the file does not set it", () => {
    const file = { ...base, metadata: { ...base.metadata, labels: { team: "a" } }, spec: { forbidLatestTag: true } };
    const cluster = { ...base, metadata: { ...base.metadata, labels: { team: "a", ...TOOL_LABELS }, annotations: TOOL_ANNOTATIONS }, spec: { forbidLatestTag: true } };
    expect(diffPolicy(file, cluster)).toEqual([]);
  });

  test("a tool's key the file sets is compared: a different value in the cluster is drift", () => {
    const file = { ...base, metadata: { ...base.metadata, labels: { "app.kubernetes.io/instance": "payments" }, annotations: { "meta.helm.sh/release-name": "pol" } }, spec: {} };
    const cluster = { ...base, metadata: { ...base.metadata, labels: { "app.kubernetes.io/instance": "argo-app" }, annotations: { "meta.helm.sh/release-name": "other" } }, spec: {} };
    expect(renderDriftLines(diffPolicy(file, cluster))).toEqual([
      '  - metadata.labels.app.kubernetes.io/instance: "argo-app"',
      '  + metadata.labels.app.kubernetes.io/instance: "payments"',
      '  - metadata.annotations.meta.helm.sh/release-name: "other"',
      '  + metadata.annotations.meta.helm.sh/release-name: "pol"',
    ]);
  });

  test("a managed-by label other than Helm's, only in the cluster, is drift (someone set it by hand)", () => {
    const cluster = { ...base, metadata: { ...base.metadata, labels: { "app.kubernetes.io/managed-by": "platform-team" } }, spec: {} };
    expect(renderDriftLines(diffPolicy({ ...base, spec: {} }, cluster))).toEqual(['  - metadata.labels.app.kubernetes.io/managed-by: "platform-team"']);
  });

  test("names nested spec paths, added and removed fields", () => {
    const file = { ...base, spec: { defaultProbe: { tcpPort: 8080 }, requireLivenessProbe: true } };
    const cluster = { ...base, spec: { defaultProbe: { tcpPort: 9090 }, forbidLatestTag: false } };
    expect(renderDriftLines(diffPolicy(file, cluster))).toEqual([
      "  - spec.defaultProbe.tcpPort: 9090",
      "  + spec.defaultProbe.tcpPort: 8080",
      "  - spec.forbidLatestTag: false",
      "  + spec.requireLivenessProbe: true",
    ]);
  });
});

describe("targetPolicies()", () => {
  const file = ["shop/x", "sock-shop/x", "shop/y"]
    .map((key) => {
      const [namespace, name] = key.split("/");
      return `apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec: {}\n`;
    })
    .join("---\n");

  test("keeps each document's line and re-targets with -n", () => {
    const targets = targetPolicies(parsePolicyDocuments(file, "p.yaml"), "p.yaml");
    expect(targets.map((t) => [t.policy.metadata.namespace, t.policy.metadata.name, t.line])).toEqual([["shop", "x", 1], ["sock-shop", "x", 8], ["shop", "y", 15]]);
  });

  test("refuses two documents that -n puts onto one namespace/name, naming both lines", () => {
    expect(() => targetPolicies(parsePolicyDocuments(file, "p.yaml"), "p.yaml", "default")).toThrow(
      "Duplicate DevOpsPolicy targets in p.yaml (-n default puts every policy into one namespace):\np.yaml:1 and p.yaml:8 both target devopspolicy default/x",
    );
  });

  test("a policy without a namespace goes to the default namespace given (the context's), and then counts as that target", () => {
    const bare = "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: x\nspec: {}\n";
    const targets = targetPolicies(parsePolicyDocuments(bare, "p.yaml"), "p.yaml", undefined, "shop");
    expect(targets.map((t) => [t.policy.metadata.namespace, t.policy.metadata.annotations?.["devops.stochastic.io/exported-from"]])).toEqual([["shop", "shop"]]);
    expect(() => targetPolicies(parsePolicyDocuments(`${file}---\n${bare}`, "p.yaml"), "p.yaml", undefined, "shop")).toThrow("p.yaml:1 and p.yaml:22 both target devopspolicy shop/x");
  });

  test("keeps a deploy tool's label the file sets: it is the author's, imported and compared", () => {
    const own = "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: x\n  namespace: shop\n  labels:\n    app.kubernetes.io/instance: payments\nspec: {}\n";
    expect(targetPolicies(parsePolicyDocuments(own, "p.yaml"), "p.yaml")[0]?.policy.metadata.labels).toEqual({ "app.kubernetes.io/instance": "payments" });
  });

  test("refuses a namespace/name given twice in a file", () => {
    const twice = `${file}---\n${file}`;
    expect(() => targetPolicies(parsePolicyDocuments(twice, "p.yaml"), "p.yaml")).toThrow("p.yaml:1 and p.yaml:22 both target devopspolicy shop/x\np.yaml:8 and p.yaml:29 both target devopspolicy sock-shop/x\np.yaml:15 and p.yaml:36 both target devopspolicy shop/y");
  });
});
