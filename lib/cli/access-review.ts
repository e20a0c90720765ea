/**
 * @module
 * What `check` asks the API server: the server version, and one
 * SelfSubjectAccessReview per permission a kube-devops component needs (the
 * grants of lib/rbac/permissions.ts plus what the one-shot CLI reads).
 */
import type { KubeClient } from "../kube/client.ts";
import { SELF_SUBJECT_ACCESS_REVIEWS, SELF_SUBJECT_REVIEWS } from "../kube/resources.ts";
import { accessChecks, COMPONENTS, DEFAULT_OBJECT_NAMES, DEFAULT_PERMISSION_OPTIONS, type AccessCheck, type PermissionOptions } from "../rbac/permissions.ts";
import { API_GROUP } from "../policy/schema.ts";

export const CHECK_COMPONENTS = ["cli", ...COMPONENTS] as const;
export type CheckComponent = (typeof CHECK_COMPONENTS)[number];

/** What `analyze`, `list pods` and `check` read (cluster-wide). */
export const CLI_ACCESS: readonly AccessCheck[] = [
  { verb: "list", group: "", resource: "pods", usedBy: "analyze, list pods: every pod (paginated)" },
  { verb: "list", group: "", resource: "nodes", usedBy: "check: node count" },
  ...["replicasets", "deployments", "statefulsets", "daemonsets"].map((resource) => ({ verb: "list", group: "apps", resource, usedBy: "analyze: owner attribution through ownerReferences" })),
  ...["jobs", "cronjobs"].map((resource) => ({ verb: "list", group: "batch", resource, usedBy: "analyze: owner attribution through ownerReferences" })),
  { verb: "get", group: API_GROUP, resource: "devopspolicies", usedBy: "analyze --policy <ns/name>" },
  // Without it a -n that finds no pods cannot tell a typo from an empty namespace, and a gate refuses both.
  { verb: "get", group: "", resource: "namespaces", usedBy: "analyze -n <ns>: tells a missing namespace from an empty one when no pods are found" },
];

export interface AccessResult extends AccessCheck {
  component: CheckComponent;
  allowed: boolean;
  reason: string | undefined;
}

/** The access checks of the chosen components; namespaced grants are asked in `namespace`. */
export function plannedChecks(components: readonly CheckComponent[], namespace: string, options: Partial<PermissionOptions> = DEFAULT_PERMISSION_OPTIONS): Array<AccessCheck & { component: CheckComponent }> {
  return components.flatMap((component) =>
    (component === "cli" ? CLI_ACCESS : accessChecks(component, namespace, DEFAULT_OBJECT_NAMES, options)).map((c) => ({ ...c, component })),
  );
}

/** Asks the API server about each check (in parallel, bounded by the client's rate limit). */
export async function reviewAccess(client: KubeClient, checks: ReadonlyArray<AccessCheck & { component: CheckComponent }>): Promise<AccessResult[]> {
  return Promise.all(
    checks.map(async (c) => {
      const review = await client.create<{ apiVersion: string; kind: string; spec: unknown; status?: { allowed?: boolean; reason?: string; evaluationError?: string } }>(SELF_SUBJECT_ACCESS_REVIEWS, {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: {
          resourceAttributes: {
            verb: c.verb,
            group: c.group,
            resource: c.resource,
            ...(c.subresource ? { subresource: c.subresource } : {}),
            ...(c.namespace ? { namespace: c.namespace } : {}),
            ...(c.name ? { name: c.name } : {}),
          },
        },
      });
      return { ...c, allowed: review.status?.allowed === true, reason: review.status?.reason ?? review.status?.evaluationError };
    }),
  );
}

/** `deployments.apps`, `devopspolicies.devops.stochastic.io/status`: the kubectl spelling. */
export function resourceLabel(c: AccessCheck): string {
  return `${c.resource}${c.group ? `.${c.group}` : ""}${c.subresource ? `/${c.subresource}` : ""}`;
}

/** The `kubectl auth can-i` line that reproduces a check. */
export function canIHint(c: AccessCheck): string {
  const scope = c.namespace ? `-n ${c.namespace}` : "--all-namespaces";
  const resource = `${c.resource}${c.group ? `.${c.group}` : ""}${c.name ? `/${c.name}` : ""}`;
  return `kubectl auth can-i ${c.verb} ${resource}${c.subresource ? ` --subresource=${c.subresource}` : ""} ${scope}`;
}

/** Who the API server says we are (SelfSubjectReview, `kubectl auth whoami`); undefined when it will not say. */
export async function reviewSelf(client: KubeClient): Promise<string | undefined> {
  try {
    const review = await client.create<{ apiVersion: string; kind: string; status?: { userInfo?: { username?: string } } }>(SELF_SUBJECT_REVIEWS, { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
    return review.status?.userInfo?.username || undefined;
  } catch {
    // Before 1.28 (or with the API off) there is no SelfSubjectReview: the remedy then names a placeholder.
    return undefined;
  }
}
