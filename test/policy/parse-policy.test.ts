/**
 * Policy validation from any source: field paths, file:line, unknown fields,
 * request <= limit, and nulls treated as absent (as the API server prunes them).
 */
import { describe, expect, test } from "bun:test";
import { checkPolicySpec, parsePolicy, parsePolicyDocuments } from "../../lib/policy/parse-policy.ts";

const policy = (spec: unknown) => ({ apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "p", namespace: "prod" }, spec });

describe("checkPolicySpec", () => {
  test("an empty spec is valid and checks nothing", () => {
    expect(checkPolicySpec({})).toEqual({ ok: true, value: {} });
  });

  test("a request above its limit names the request's path and both values", () => {
    const result = checkPolicySpec({ defaultResources: { memoryRequest: "1Gi", memoryLimit: "512Mi" } });
    expect(result).toEqual({ ok: false, issues: [{ path: "spec.defaultResources.memoryRequest", message: "memoryRequest 1Gi must not exceed memoryLimit 512Mi" }] });
  });

  test("request equal to limit, or only one of them, is fine", () => {
    expect(checkPolicySpec({ defaultResources: { cpuRequest: "500m", cpuLimit: "0.5" } }).ok).toBe(true);
    expect(checkPolicySpec({ defaultResources: { cpuRequest: "4" } }).ok).toBe(true);
  });

  test("a negative quantity is refused with its path (an injected one would fail every patch)", () => {
    const result = checkPolicySpec({ defaultResources: { cpuRequest: "-100m", cpuLimit: "500m" } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toEqual({ path: "spec.defaultResources.cpuRequest", message: "must be a non-negative Kubernetes quantity such as 100m or 128Mi" });
    expect(checkPolicySpec({ defaultResources: { memoryLimit: "+1Gi", cpuRequest: "0" } }).ok).toBe(true);
  });

  test("a negative maxRestartCount is refused with its path (it would flag every container); 0 is fine", () => {
    const result = checkPolicySpec({ maxRestartCount: -1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toBe("spec.maxRestartCount");
    expect(checkPolicySpec({ maxRestartCount: 0 }).ok).toBe(true);
  });

  test("an unknown field is an error with a suggestion, not silently dropped", () => {
    const result = checkPolicySpec({ requireLivenesProbe: true });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toEqual({ path: "spec.requireLivenesProbe", message: "unknown field (did you mean requireLivenessProbe?)" });
  });

  test("null means absent", () => {
    expect(checkPolicySpec({ maxRestartCount: null, forbidLatestTag: true })).toEqual({ ok: true, value: { forbidLatestTag: true } });
  });

  test("out-of-range and wrong-typed values name their path", () => {
    const result = checkPolicySpec({ maxRestartCount: 1.5, defaultProbe: { tcpPort: 70000 }, severityOverrides: { pending: "urgent" } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toEqual(["spec.maxRestartCount", "spec.defaultProbe.tcpPort", "spec.severityOverrides.pending"]);
  });
});

describe("parsePolicy", () => {
  test("returns the typed policy", () => {
    expect(parsePolicy(policy({ forbidLatestTag: true })).spec).toEqual({ forbidLatestTag: true });
  });

  test("throws an INPUT error naming the source and field", () => {
    expect(() => parsePolicy(policy({ enforcementMode: "strict" }), "prod/p")).toThrow(/prod\/p: spec.enforcementMode: Invalid type/);
  });

  test("the status is the server's: a field newer than this binary (an upgraded operator's CRD) does not make the policy invalid", () => {
    const read = parsePolicy({ ...policy({ forbidLatestTag: true }), status: { healthScore: 90, driftDetected: true, conditions: "not even a list" } }, "prod/p");
    expect(read.spec).toEqual({ forbidLatestTag: true });
    expect(read.status).toBeUndefined();
  });

  test("a wrong apiVersion is named", () => {
    expect(() => parsePolicy({ ...policy({}), apiVersion: "devops.stochastic.io/v2" })).toThrow(/apiVersion/);
  });
});

describe("parsePolicyDocuments", () => {
  const file = [
    "apiVersion: devops.stochastic.io/v1", // 1
    "kind: DevOpsPolicy",
    "metadata:",
    "  name: ok",
    "spec:", // 5
    "  forbidLatestTag: true",
    "---",
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata: {name: cm}", // 10
    "---",
    "apiVersion: devops.stochastic.io/v1",
    "kind: DevOpsPolicy",
    "metadata: {name: bad}",
    "spec:", // 15
    "  maxRestartCount: three",
    "  defaultResources:",
    "    cpuRequest: 2",
    "    cpuLimit: 1",
  ].join("\n");

  test("reports every problem of every document with file:line and path", () => {
    let message = "";
    try {
      parsePolicyDocuments(file, "policies.yaml");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("policies.yaml:16: spec.maxRestartCount: Invalid type: Expected number");
    expect(message).toContain("policies.yaml:18: spec.defaultResources.cpuRequest: Invalid type: Expected string");
    expect(message).not.toContain(":4:");
  });

  test("valid documents come back with their line; other kinds are passed through unvalidated", () => {
    const docs = parsePolicyDocuments(file.split("---\n").slice(0, 2).join("---\n"), "f.yaml");
    expect(docs.map((d) => [d.line, d.kind, d.policy?.metadata.name])).toEqual([[1, "DevOpsPolicy", "ok"], [8, "ConfigMap", undefined]]);
  });

  test("a List (kubectl get dop -o yaml) yields its items, each with its own line", () => {
    const list = [
      "apiVersion: v1", // 1
      "kind: List",
      "metadata: {resourceVersion: ''}",
      "items:",
      "- apiVersion: devops.stochastic.io/v1", // 5
      "  kind: DevOpsPolicy",
      "  metadata: {name: a, namespace: shop}",
      "  spec: {forbidLatestTag: true}",
      "- apiVersion: v1", // 9
      "  kind: ConfigMap",
      "  metadata: {name: cm}",
    ].join("\n");
    expect(parsePolicyDocuments(list, "l.yaml").map((d) => [d.line, d.kind, d.policy?.metadata.name])).toEqual([[5, "DevOpsPolicy", "a"], [9, "ConfigMap", undefined]]);
  });

  test("a DevOpsPolicyList's kind-less items are DevOpsPolicies; their problems name line and items.N path", () => {
    const list = [
      "apiVersion: devops.stochastic.io/v1",
      "kind: DevOpsPolicyList",
      "items:",
      "- metadata: {name: ok}",
      "  spec: {forbidLatestTag: true}", // 5
      "- metadata: {name: bad}",
      "  spec:",
      "    maxRestartCount: three",
    ].join("\n");
    expect(() => parsePolicyDocuments(list, "l.yaml")).toThrow("l.yaml:8: items.1.spec.maxRestartCount: Invalid type: Expected number");
    expect(parsePolicyDocuments(list.split("\n").slice(0, 5).join("\n"), "l.yaml").map((d) => [d.line, d.policy?.metadata.name])).toEqual([[4, "ok"]]);
  });

  const problemsOf = (text: string, name = "f.yaml"): string => {
    try {
      parsePolicyDocuments(text, name);
    } catch (err) {
      return (err as Error).message;
    }
    return "";
  };

  test("a document that is not an object (binary garbage, a scalar, a sequence) is an error naming its line, not a skipped document", () => {
    expect(problemsOf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n---\nhello world\n")).toContain("f.yaml:5: (root): not a Kubernetes object (a string");
    expect(problemsOf("- a\n- b\n")).toContain("f.yaml:1: (root): not a Kubernetes object (a sequence");
  });

  test("binary content is one error naming the first character YAML refuses, not an error per line", () => {
    const junk = `apiVersion: v1\n${"\u0000\u0007ELF\u0001: x\n".repeat(1000)}`;
    const message = problemsOf(junk);
    expect(message).toBe("Invalid policy file f.yaml:\nf.yaml:2:1: character U+0000 is not allowed in YAML (is this a text file?)");
  });

  test("at most 50 problems are listed, then how many more", () => {
    const bad = (i: number) => `apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata: {name: p${i}}\nspec: {maxRestartCount: lots}\n`;
    const message = problemsOf(Array.from({ length: 60 }, (_, i) => bad(i)).join("---\n"));
    expect(message.split("\n").length).toBe(1 + 50 + 1);
    expect(message).toEndWith("… and 10 more");
  });

  test("an object without kind is an error; other kinds still pass through", () => {
    expect(problemsOf("apiVersion: devops.stochastic.io/v1\nmetadata: {name: p}\nspec: {}\n")).toContain("f.yaml:1: kind: not set");
    expect(parsePolicyDocuments("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", "f.yaml").map((d) => d.kind)).toEqual(["Namespace"]);
    expect(parsePolicyDocuments("apiVersion: devops.stochastic.io/v1\nkind: PolicyAuditResult\nmetadata: {name: r}\n", "f.yaml").map((d) => d.kind)).toEqual(["PolicyAuditResult"]);
  });

  test("a mistyped DevOpsPolicy kind is an error with a suggestion, in our API group or not", () => {
    const text = ["apiVersion: devops.stochastic.io/v1", "kind: DevopsPolicy", "metadata: {name: a}", "spec: {}", "---", "apiVersion: v1", "kind: DevOpsPolicies", "metadata: {name: b}", "spec: {}", "---", "apiVersion: devops.stochastic.io/v1", "kind: Policy", "metadata: {name: c}"].join("\n");
    const message = problemsOf(text);
    expect(message).toContain('f.yaml:2: kind: unknown kind "DevopsPolicy" in devops.stochastic.io/v1 (did you mean DevOpsPolicy?)');
    expect(message).toContain('f.yaml:7: kind: unknown kind "DevOpsPolicies" (did you mean DevOpsPolicy?)');
    expect(message).toContain('f.yaml:12: kind: unknown kind "Policy" in devops.stochastic.io/v1');
  });

  test("a policy's metadata needs a name and no unknown field (a typo the API server would drop)", () => {
    const text = ["apiVersion: devops.stochastic.io/v1", "kind: DevOpsPolicy", "metadata:", "  namespace: shop", "  lables: {team: a}", "spec: {}"].join("\n");
    const message = problemsOf(text);
    expect(message).toContain("f.yaml:3: metadata.name: required");
    expect(message).toContain("f.yaml:5: metadata.lables: unknown field (did you mean labels?)");
    // what `kubectl get -o yaml` prints is not a typo
    const dumped = ["apiVersion: devops.stochastic.io/v1", "kind: DevOpsPolicy", "metadata:", "  name: p", "  uid: x", "  resourceVersion: '5'", "  generation: 2", "  creationTimestamp: '2026-01-01T00:00:00Z'", "  managedFields: []", "spec: {}"].join("\n");
    expect(parsePolicyDocuments(dumped, "f.yaml").map((d) => d.policy?.metadata.name)).toEqual(["p"]);
  });

  test("a YAML syntax error names its line", () => {
    expect(() => parsePolicyDocuments("kind: DevOpsPolicy\nspec: [\n", "broken.yaml")).toThrow(/broken.yaml:\d+:/);
  });
});
