/**
 * @module
 * Resource descriptors: the few facts needed to build an API path (group,
 * version, plural, namespaced) for built-ins and our CRDs, and the path builder.
 */

export interface ResourceType {
  /** API group; "" for the core group. */
  group: string;
  version: string;
  /** Lower-case plural, as in the URL and in RBAC rules. */
  plural: string;
  kind: string;
  namespaced: boolean;
}

const rt = (group: string, version: string, plural: string, kind: string, namespaced: boolean): ResourceType => ({ group, version, plural, kind, namespaced });

export const PODS = rt("", "v1", "pods", "Pod", true);
export const NAMESPACES = rt("", "v1", "namespaces", "Namespace", false);
export const NODES = rt("", "v1", "nodes", "Node", false);
export const EVENTS = rt("", "v1", "events", "Event", true);
export const CONFIGMAPS = rt("", "v1", "configmaps", "ConfigMap", true);
export const SECRETS = rt("", "v1", "secrets", "Secret", true);
export const SERVICES = rt("", "v1", "services", "Service", true);
export const SERVICE_ACCOUNTS = rt("", "v1", "serviceaccounts", "ServiceAccount", true);
export const DEPLOYMENTS = rt("apps", "v1", "deployments", "Deployment", true);
export const STATEFULSETS = rt("apps", "v1", "statefulsets", "StatefulSet", true);
export const DAEMONSETS = rt("apps", "v1", "daemonsets", "DaemonSet", true);
export const REPLICASETS = rt("apps", "v1", "replicasets", "ReplicaSet", true);
export const JOBS = rt("batch", "v1", "jobs", "Job", true);
export const CRONJOBS = rt("batch", "v1", "cronjobs", "CronJob", true);
export const LEASES = rt("coordination.k8s.io", "v1", "leases", "Lease", true);
export const ENDPOINT_SLICES = rt("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true);
export const EVENTS_V1 = rt("events.k8s.io", "v1", "events", "Event", true);
export const CUSTOM_RESOURCE_DEFINITIONS = rt("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false);
export const VALIDATING_WEBHOOK_CONFIGURATIONS = rt("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false);
export const CLUSTER_ROLE_BINDINGS = rt("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false);
export const POD_DISRUPTION_BUDGETS = rt("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true);
export const SELF_SUBJECT_ACCESS_REVIEWS = rt("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false);
export const SELF_SUBJECT_REVIEWS = rt("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false);
export const SUBJECT_ACCESS_REVIEWS = rt("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false);
export const TOKEN_REVIEWS = rt("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false);
export const DEVOPS_POLICIES = rt("devops.stochastic.io", "v1", "devopspolicies", "DevOpsPolicy", true);
export const POLICY_AUDIT_RESULTS = rt("devops.stochastic.io", "v1", "policyauditresults", "PolicyAuditResult", true);
export const WG_POLICY_REPORTS = rt("wgpolicyk8s.io", "v1alpha2", "policyreports", "PolicyReport", true);
export const OPEN_REPORTS = rt("openreports.io", "v1alpha1", "reports", "Report", true);
/** cert-manager's Certificate (`deploy --cert-mode cert-manager`), which check reads; its CRD may be absent. */
export const CERT_MANAGER_CERTIFICATES = rt("cert-manager.io", "v1", "certificates", "Certificate", true);

/** `apps/v1`, or `v1` for the core group. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === "" ? type.version : `${type.group}/${type.version}`;
}

/** `deployments.apps`, `pods`: how kubectl and RBAC name the resource. */
export function resourceName(type: ResourceType, subresource?: string): string {
  const base = type.group === "" ? type.plural : `${type.plural}.${type.group}`;
  return subresource ? `${base}/${subresource}` : base;
}

export interface PathParts {
  /** Omit for cluster-scoped resources, or to address all namespaces of a namespaced one. */
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}

/** Builds `/api/v1/namespaces/ns/pods/name/status` and friends. */
export function resourcePath(type: ResourceType, parts: PathParts = {}): string {
  const prefix = type.group === "" ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const segments = [prefix];
  if (type.namespaced && parts.namespace) segments.push("namespaces", encodeURIComponent(parts.namespace));
  segments.push(type.plural);
  if (parts.name !== undefined) {
    if (parts.name === "") throw new TypeError(`empty name for ${resourceName(type)}`);
    segments.push(encodeURIComponent(parts.name));
    if (parts.subresource) segments.push(parts.subresource);
  }
  return segments.join("/");
}
