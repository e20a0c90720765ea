/**
 * @module
 * SelfSubjectAccessReview, SelfSubjectRulesReview and SelfSubjectReview answers,
 * computed by the same authorizer that guards every request.
 */
import type { RbacAuthorizer } from "./rbac-authorizer.ts";
import type { RequestAttributes, UserInfo } from "./request-attributes.ts";

interface Review {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown>;
  spec?: Record<string, unknown>;
}

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

/** Fills `status` of a SelfSubjectAccessReview for `user`. */
export function answerSelfSubjectAccessReview(review: Review, user: UserInfo, authz: RbacAuthorizer): Review & { status: Record<string, unknown> } {
  const spec = review.spec ?? {};
  const ra = spec.resourceAttributes as ResourceAttributes | undefined;
  const nra = spec.nonResourceAttributes as { path?: string; verb?: string } | undefined;
  const attrs: RequestAttributes = ra
    ? {
        user,
        verb: ra.verb ?? "",
        isResourceRequest: true,
        path: "",
        namespace: ra.namespace ?? "",
        apiGroup: ra.group ?? "",
        apiVersion: ra.version ?? "",
        resource: ra.resource ?? "",
        subresource: ra.subresource ?? "",
        name: ra.name ?? "",
      }
    : { user, verb: nra?.verb ?? "", isResourceRequest: false, path: nra?.path ?? "", namespace: "", apiGroup: "", apiVersion: "", resource: "", subresource: "", name: "" };
  const decision = authz.authorize(attrs);
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return {
    apiVersion: review.apiVersion ?? "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    metadata: { creationTimestamp: null, ...(review.metadata ?? {}) },
    spec,
    status,
  };
}

/** Fills `status` of a SelfSubjectRulesReview for `user` in `spec.namespace`. */
export function answerSelfSubjectRulesReview(review: Review, user: UserInfo, authz: RbacAuthorizer): Review & { status: Record<string, unknown> } {
  const spec = review.spec ?? {};
  const namespace = typeof spec.namespace === "string" ? spec.namespace : "";
  const { rules, errors } = authz.rulesFor(user, namespace);
  const resourceRules: Record<string, string[]>[] = [];
  const nonResourceRules: Record<string, string[]>[] = [];
  for (const r of rules) {
    if ((r.nonResourceURLs ?? []).length > 0) {
      nonResourceRules.push({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs ?? [] });
      continue;
    }
    const out: Record<string, string[]> = { verbs: r.verbs ?? [] };
    if (r.apiGroups?.length) out.apiGroups = r.apiGroups;
    if (r.resources?.length) out.resources = r.resources;
    if (r.resourceNames?.length) out.resourceNames = r.resourceNames;
    resourceRules.push(out);
  }
  const status: Record<string, unknown> = { resourceRules, nonResourceRules, incomplete: errors.length > 0 };
  if (errors.length > 0) status.evaluationError = errors.join(", ");
  return {
    apiVersion: review.apiVersion ?? "authorization.k8s.io/v1",
    kind: "SelfSubjectRulesReview",
    metadata: { creationTimestamp: null },
    spec,
    status,
  };
}

/** `kubectl auth whoami`: a SelfSubjectReview (authentication.k8s.io/v1). */
export function answerSelfSubjectReview(user: UserInfo): Record<string, unknown> {
  const userInfo: Record<string, unknown> = { username: user.username, groups: user.groups };
  if (user.uid) userInfo.uid = user.uid;
  if (user.extra && Object.keys(user.extra).length > 0) userInfo.extra = user.extra;
  return { kind: "SelfSubjectReview", apiVersion: "authentication.k8s.io/v1", metadata: { creationTimestamp: null }, status: { userInfo } };
}
