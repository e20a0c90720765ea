/**
 * @module
 * Least-privilege RBAC, one identity per component: a ServiceAccount, a ClusterRole for its
 * cluster-wide grants and a Role in our namespace for the rest (leases, the webhook's Secret),
 * each bound to that ServiceAccount only. The grants come from lib/rbac/permissions.ts. With
 * authorized metrics (any component's), also the identity a scraper uses: the `kube-devops-metrics-reader`
 * ClusterRole (`get /metrics`), a ServiceAccount bound to it and its token Secret.
 */
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { COMPONENTS, type Component, componentPermissions, type Permission } from "../lib/rbac/permissions.ts";
import { METRICS_PATH } from "../lib/webhook/constants.ts";
import { APP_NAME, componentName, type DeployOptions, objectLabels } from "./options.ts";

type RbacObject = IServiceAccount | ISecret | IClusterRole | IClusterRoleBinding | IRole | IRoleBinding;

/** The ClusterRole allowing `get /metrics`, and the ServiceAccount bound to it. */
export const METRICS_READER = `${APP_NAME}-metrics-reader`;
/** The `kubernetes.io/service-account-token` Secret of METRICS_READER (key `token`) a ServiceMonitor sends. */
export const METRICS_READER_SECRET = `${METRICS_READER}-token`;

const RBAC_API = "rbac.authorization.k8s.io/v1";

function toRule(p: Permission): IPolicyRule {
  return {
    apiGroups: [p.group],
    resources: [...p.resources],
    ...(p.resourceNames ? { resourceNames: [...p.resourceNames] } : {}),
    verbs: [...p.verbs],
  };
}

/** The ServiceAccount a component's pods run as. */
export function renderServiceAccount(options: DeployOptions, component: Component): IServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: componentName(component), namespace: options.namespace, labels: objectLabels(options, component) },
  };
}

/** ServiceAccount, roles and bindings of one component (a Role only when it has namespaced grants). */
export function renderComponentRbac(options: DeployOptions, component: Component): RbacObject[] {
  const name = componentName(component);
  const labels = objectLabels(options, component);
  // certificates from cert-manager or cert-generate files: the webhook never writes its Secret or VWC
  const grants = componentPermissions(component, options.names, {
    reports: options.reports,
    selfManagedCertificates: options.webhook.certMode === "self-managed",
    metricsAuth: options.metricsAuth[component] === "kubernetes",
  });
  const subjects = [{ kind: "ServiceAccount", name, namespace: options.namespace }];
  const objects: RbacObject[] = [renderServiceAccount(options, component)];
  const clusterRules = grants.filter((g) => g.scope === "cluster").map(toRule);
  if (clusterRules.length > 0) {
    objects.push(
      { apiVersion: RBAC_API, kind: "ClusterRole", metadata: { name, labels }, rules: clusterRules },
      { apiVersion: RBAC_API, kind: "ClusterRoleBinding", metadata: { name, labels }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name }, subjects },
    );
  }
  const namespacedRules = grants.filter((g) => g.scope === "namespace").map(toRule);
  if (namespacedRules.length > 0) {
    const metadata = { name, namespace: options.namespace, labels };
    objects.push(
      { apiVersion: RBAC_API, kind: "Role", metadata, rules: namespacedRules },
      { apiVersion: RBAC_API, kind: "RoleBinding", metadata, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name }, subjects },
    );
  }
  return objects;
}

/**
 * The identity a Prometheus scrapes the components' `/metrics` with (`--metrics-auth kubernetes`;
 * one for all three, since the ClusterRole can only name the path, not the component): a ClusterRole for the non-resource URL (only a ClusterRoleBinding can grant one),
 * a ServiceAccount bound to it, and a long-lived token Secret the token controller fills, because
 * a ServiceMonitor can send a Secret's key but not a projected token. Bind the role to your own
 * Prometheus's ServiceAccount instead if it scrapes with its own token.
 */
export function renderMetricsReader(options: DeployOptions): RbacObject[] {
  // no component label: it reads every component's /metrics
  const labels = objectLabels(options);
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: METRICS_READER, namespace: options.namespace, labels } },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: METRICS_READER_SECRET, namespace: options.namespace, labels, annotations: { "kubernetes.io/service-account.name": METRICS_READER } },
      type: "kubernetes.io/service-account-token",
    },
    { apiVersion: RBAC_API, kind: "ClusterRole", metadata: { name: METRICS_READER, labels }, rules: [{ nonResourceURLs: [METRICS_PATH], verbs: ["get"] }] },
    {
      apiVersion: RBAC_API,
      kind: "ClusterRoleBinding",
      metadata: { name: METRICS_READER, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: METRICS_READER },
      subjects: [{ kind: "ServiceAccount", name: METRICS_READER, namespace: options.namespace }],
    },
  ];
}

/** Whether any component's `/metrics` needs the reader's token (then the reader is rendered). */
export function needsMetricsReader(options: DeployOptions): boolean {
  return COMPONENTS.some((c) => options.metricsAuth[c] === "kubernetes");
}

/** RBAC for every component, in component order, then the metrics reader when any component's metrics are authorized. */
export function renderRbac(options: DeployOptions): RbacObject[] {
  return [...COMPONENTS.flatMap((c) => renderComponentRbac(options, c)), ...(needsMetricsReader(options) ? renderMetricsReader(options) : [])];
}
