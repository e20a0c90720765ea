/**
 * @module
 * The remedy `check` gives when the CLI's own reads are denied: a read-only `kube-devops-cli`
 * ClusterRole (CLI_ACCESS and the reads check's install lines make, Secrets excepted) bound to the
 * identity `check` found with a SelfSubjectReview. `deploy generate-rbac` cannot be the fix: it
 * binds only the components' ServiceAccounts. A manifest, not `kubectl create clusterrole`: kubectl
 * refuses a resource its discovery lacks, and devopspolicies is missing until `crd install`.
 */
import { usageError } from "../errors.ts";
import { CERT_MANAGER_CERTIFICATES, CUSTOM_RESOURCE_DEFINITIONS, CLUSTER_ROLE_BINDINGS, DEPLOYMENTS, DEVOPS_POLICIES, ENDPOINT_SLICES, LEASES, POLICY_AUDIT_RESULTS, SERVICES, VALIDATING_WEBHOOK_CONFIGURATIONS, type ResourceType } from "../kube/resources.ts";
import { DEFAULT_OBJECT_NAMES, type AccessCheck } from "../rbac/permissions.ts";
import { WEBHOOK_SERVICE_NAME } from "../webhook/constants.ts";
import { CLI_ACCESS } from "./access-review.ts";

export const CLI_CLUSTER_ROLE = "kube-devops-cli";

export type GrantSubject = { kind: "User"; name: string } | { kind: "ServiceAccount"; namespace: string; name: string };

/** The names gen/ gives an install's objects that check reads by name (cmd/check.ts passes them). */
export interface InstallNames {
  /** The components' Deployments. */
  deployments: readonly string[];
  /** Every ClusterRoleBinding an install writes (check's Other installs line, decision 0035). */
  bindings: readonly string[];
}

/** A CRD's name: `<plural>.<group>`, as the API server requires. */
function crdName(type: ResourceType): string {
  return `${type.plural}.${type.group}`;
}

/**
 * What `check` reads of an install beyond CLI_ACCESS (install-status.ts, install-preflight.ts), by
 * name wherever it reads by name. Not the webhook's TLS Secret, which holds the CA key, nor the
 * metrics Secrets (serving keys), and not the dry-run pod's `create pods`: the role stays
 * read-only and those lines UNKNOWN (decision 0037).
 */
export function checkReads(names: InstallNames): AccessCheck[] {
  const get = (type: ResourceType, objects: readonly string[], usedBy: string) => objects.map((name) => ({ verb: "get", group: type.group, resource: type.plural, name, usedBy }));
  return [
    ...get(CUSTOM_RESOURCE_DEFINITIONS, [crdName(DEVOPS_POLICIES), crdName(POLICY_AUDIT_RESULTS)], "check: CRD lines"),
    ...get(DEPLOYMENTS, names.deployments, "check: Deployment lines"),
    ...get(LEASES, [DEFAULT_OBJECT_NAMES.watchLease, DEFAULT_OBJECT_NAMES.reconcileLease], "check: Leader lines"),
    { verb: "list", group: ENDPOINT_SLICES.group, resource: ENDPOINT_SLICES.plural, usedBy: "check: Webhook endpoints" },
    ...get(SERVICES, [WEBHOOK_SERVICE_NAME], "check: Webhook configuration (the port it calls)"),
    ...get(VALIDATING_WEBHOOK_CONFIGURATIONS, [DEFAULT_OBJECT_NAMES.webhookConfiguration], "check: Webhook configuration, Other installs"),
    ...get(CLUSTER_ROLE_BINDINGS, names.bindings, "check: Other installs"),
    { verb: "list", group: DEVOPS_POLICIES.group, resource: DEVOPS_POLICIES.plural, usedBy: "check: DevOpsPolicies" },
    // --cert-mode cert-manager names the webhook's Certificate after its Service (gen/cert-manager.ts)
    ...get(CERT_MANAGER_CERTIFICATES, [WEBHOOK_SERVICE_NAME], "check: cert-manager Certificate"),
  ];
}

/** Whether the CLI's grant (CLI_ACCESS and checkReads, cluster-wide) holds a read the API server refused. */
export function cliGrantCovers(names: InstallNames, read: { verb: string; group: string; resource: string; name?: string }): boolean {
  return [...CLI_ACCESS, ...checkReads(names)].some((c) => c.verb === read.verb && c.group === read.group && c.resource === read.resource && (c.name === undefined || c.name === read.name));
}

/** A Kubernetes username as a binding subject: `system:serviceaccount:<ns>:<name>` is a ServiceAccount. */
export function subjectOf(username: string): GrantSubject {
  if (username.trim() === "") throw usageError("--cli-rbac-for needs a username (kubectl auth whoami prints yours)");
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return sa ? { kind: "ServiceAccount", namespace: sa[1] as string, name: sa[2] as string } : { kind: "User", name: username };
}

type Rule = { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] };

/** One rule per group and verb; reads by name one rule per resource, listing its names. */
function rulesOf(reads: readonly AccessCheck[]): Rule[] {
  const rules = new Map<string, Rule>();
  for (const c of reads) {
    const key = `${c.group}\n${c.verb}${c.name === undefined ? "" : `\n${c.resource}`}`;
    const rule = rules.get(key) ?? { apiGroups: [c.group], resources: [], ...(c.name === undefined ? {} : { resourceNames: [] }), verbs: [c.verb] };
    if (!rule.resources.includes(c.resource)) rule.resources.push(c.resource);
    if (c.name !== undefined && !rule.resourceNames?.includes(c.name)) rule.resourceNames?.push(c.name);
    rules.set(key, rule);
  }
  return [...rules.values()];
}

/** The ClusterRole of the CLI's and check's reads and its binding to `subject`, as objects for one YAML serializer. */
export function renderCliGrant(subject: GrantSubject, names: InstallNames): object[] {
  const rules = rulesOf([...CLI_ACCESS, ...checkReads(names)]);
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
