import { describe, expect, test } from "bun:test";
import { missingNamespaceOf, toApiError } from "../../lib/kube/api-errors.ts";
import { targetPolicies } from "../../lib/policy/gitops.ts";
import { describeMissingNamespaces, missingNamespacesHint } from "../../lib/policy/missing-namespaces.ts";
import { parsePolicyDocuments } from "../../lib/policy/parse-policy.ts";

const policy = (name: string, namespace: string) => `apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec: {}\n`;
const namespaceDoc = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

function describeFile(text: string, missing: string[], namespace?: string): string[] {
  const docs = parsePolicyDocuments(text, "p.yaml");
  return describeMissingNamespaces(new Set(missing), targetPolicies(docs, "p.yaml", namespace), docs, "p.yaml");
}

describe("describeMissingNamespaces()", () => {
  test("names each missing namespace once, at its first policy's line, with how many more target it", () => {
    const text = [policy("a", "shop"), policy("b", "ghost"), policy("c", "ghost"), policy("d", "ghost"), policy("e", "void")].join("---\n");
    expect(describeFile(text, ["void", "ghost"])).toEqual([
      'p.yaml:8: namespace "ghost" does not exist (devopspolicy ghost/b and 2 more policies of the file target it)',
      'p.yaml:29: namespace "void" does not exist (devopspolicy void/e)',
    ]);
  });

  test("says that the file's Namespace of that name is not created by import", () => {
    const text = [namespaceDoc("other"), namespaceDoc("team-a"), policy("a", "team-a"), policy("b", "team-a")].join("---\n");
    expect(describeFile(text, ["team-a"])).toEqual([
      'p.yaml:11: namespace "team-a" does not exist (devopspolicy team-a/a and 1 more policy of the file target it); the Namespace at p.yaml:6 is not created by policy import: it imports DevOpsPolicies only',
    ]);
  });

  test("with -n, the namespace named is the one reported, at the file's first policy", () => {
    expect(describeFile([namespaceDoc("team-a"), policy("a", "team-a")].join("---\n"), ["elsewhere"], "elsewhere")).toEqual(['p.yaml:6: namespace "elsewhere" does not exist (devopspolicy elsewhere/a)']);
  });

  test("the hint gives a command per namespace", () => {
    expect(missingNamespacesHint(new Set(["b", "a"]))).toBe("create each namespace first — kubectl create namespace a, kubectl create namespace b, or kubectl apply -f a file holding only the Namespaces — then import the file again");
  });
});

describe("missingNamespaceOf()", () => {
  const req = { verb: "patch", resource: "devopspolicies.devops.stochastic.io", namespace: "ghost", name: "p", server: "https://k" };

  test("reads the namespace from the Status details of a 404, as the API server's namespace lifecycle answers", () => {
    expect(missingNamespaceOf(toApiError(404, { kind: "Status", reason: "NotFound", message: 'namespaces "ghost" not found', details: { name: "ghost", kind: "namespaces" } }, req))).toBe("ghost");
  });

  test("is undefined for a 404 of the object itself or any other error", () => {
    expect(missingNamespaceOf(toApiError(404, { kind: "Status", reason: "NotFound", details: { name: "p", group: "devops.stochastic.io", kind: "devopspolicies" } }, req))).toBeUndefined();
    expect(missingNamespaceOf(toApiError(403, { kind: "Status", reason: "Forbidden", details: { name: "ghost", kind: "namespaces" } }, req))).toBeUndefined();
    expect(missingNamespaceOf(new Error("boom"))).toBeUndefined();
  });
});
