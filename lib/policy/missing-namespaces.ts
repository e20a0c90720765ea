/**
 * @module
 * What `policy import` says when policies target a namespace that does not exist: one line per
 * namespace naming the file:line of its first policy and, when the file holds a Namespace of that
 * name, that `import` does not create it — instead of the server's bare `namespaces "x" not found`.
 */
import type { PolicyTarget } from "./gitops.ts";
import type { YamlPolicyDocument } from "./parse-policy.ts";

/**
 * `file:line: namespace "team-a" does not exist (devopspolicy team-a/baseline and 1 more policy of
 * the file target it); the Namespace at file:1 is not created by policy import: it imports DevOpsPolicies only`
 * per missing namespace, in file order.
 */
export function describeMissingNamespaces(missing: ReadonlySet<string>, targets: readonly PolicyTarget[], docs: readonly YamlPolicyDocument[], file: string): string[] {
  const lines: string[] = [];
  for (const namespace of [...new Set(targets.map((t) => t.policy.metadata.namespace ?? "default"))]) {
    if (!missing.has(namespace)) continue;
    const inIt = targets.filter((t) => t.policy.metadata.namespace === namespace);
    const first = inIt[0]!;
    const more = inIt.length - 1;
    const others = more === 0 ? "" : ` and ${more} more ${more === 1 ? "policy" : "policies"} of the file target it`;
    const nsDoc = docs.find((d) => d.kind === "Namespace" && d.name === namespace);
    const why = nsDoc ? `; the Namespace at ${file}:${nsDoc.line} is not created by policy import: it imports DevOpsPolicies only` : "";
    lines.push(`${file}:${first.line}: namespace "${namespace}" does not exist (devopspolicy ${namespace}/${first.policy.metadata.name}${others})${why}`);
  }
  return lines;
}

/** How to make the namespaces exist, for the error's hint. */
export function missingNamespacesHint(missing: ReadonlySet<string>): string {
  const names = [...missing].sort();
  const create = names.map((n) => `kubectl create namespace ${n}`).join(", ");
  return `create ${names.length === 1 ? "the namespace" : "each namespace"} first — ${create}, or kubectl apply -f a file holding only the Namespace${names.length === 1 ? "" : "s"} — then import the file again`;
}
