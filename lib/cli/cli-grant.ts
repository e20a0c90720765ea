/**
 * @module
 * The remedy `check` gives when the CLI's own reads are denied: a read-only `kube-devops-cli`
 * ClusterRole (exactly CLI_ACCESS) bound to the identity `check` found with a SelfSubjectReview.
 * `deploy generate-rbac` cannot be the fix: it binds only the components' ServiceAccounts.
 * A manifest, not `kubectl create clusterrole`: kubectl refuses a resource its discovery lacks,
 * and devopspolicies is missing until `crd install`.
 */
import { usageError } from "../errors.ts";
import { CLI_ACCESS } from "./access-review.ts";

export const CLI_CLUSTER_ROLE = "kube-devops-cli";

export type GrantSubject = { kind: "User"; name: string } | { kind: "ServiceAccount"; namespace: string; name: string };

/** A Kubernetes username as a binding subject: `system:serviceaccount:<ns>:<name>` is a ServiceAccount. */
export function subjectOf(username: string): GrantSubject {
  if (username.trim() === "") throw usageError("--cli-rbac-for needs a username (kubectl auth whoami prints yours)");
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return sa ? { kind: "ServiceAccount", namespace: sa[1] as string, name: sa[2] as string } : { kind: "User", name: username };
}

/** The ClusterRole of the CLI's reads and its binding to `subject`, as objects for one YAML serializer. */
export function renderCliGrant(subject: GrantSubject): object[] {
  const byGroupAndVerb = new Map<string, { group: string; verb: string; resources: string[] }>();
  for (const c of CLI_ACCESS) {
    const key = `${c.group}\n${c.verb}`;
    const rule = byGroupAndVerb.get(key) ?? { group: c.group, verb: c.verb, resources: [] };
    if (!rule.resources.includes(c.resource)) rule.resources.push(c.resource);
    byGroupAndVerb.set(key, rule);
  }
  const rules = [...byGroupAndVerb.values()].map((r) => ({ apiGroups: [r.group], resources: r.resources, verbs: [r.verb] }));
  const labels = { "app.kubernetes.io/name": "kube-devops", "app.kubernetes.io/component": "cli" };
  const who = subject.kind === "ServiceAccount" ? `${subject.namespace}:${subject.name}` : subject.name;
  return [
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: CLI_CLUSTER_ROLE, labels }, rules },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      // '/' and '%' are the only characters a binding name may not hold.
      metadata: { name: `${CLI_CLUSTER_ROLE}:${who.replace(/[/%]/g, "-")}`, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CLI_CLUSTER_ROLE },
      subjects: [subject.kind === "ServiceAccount" ? { kind: "ServiceAccount", name: subject.name, namespace: subject.namespace } : { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: subject.name }],
    },
  ];
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
