/**
 * @module
 * The built-in resource types the emulator serves, with the discovery data of a v1.32 server.
 */
import type { ResourceType } from "./types.ts";

const RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

interface Def {
  group?: string;
  version?: string;
  resource: string;
  kind: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  scale?: boolean;
  generation?: boolean;
  verbs?: string[];
  virtual?: boolean;
  fieldSelectors?: string[];
}

const ALL = ["all"];

const DEFS: Def[] = [
  { resource: "namespaces", kind: "Namespace", namespaced: false, shortNames: ["ns"], status: true, verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], fieldSelectors: ["status.phase"] },
  { resource: "pods", kind: "Pod", shortNames: ["po"], categories: ALL, status: true, fieldSelectors: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"] },
  { resource: "nodes", kind: "Node", namespaced: false, shortNames: ["no"], status: true, fieldSelectors: ["spec.unschedulable"] },
  { resource: "services", kind: "Service", shortNames: ["svc"], categories: ALL, status: true, verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] },
  { resource: "endpoints", kind: "Endpoints", shortNames: ["ep"] },
  { resource: "secrets", kind: "Secret", fieldSelectors: ["type"] },
  { resource: "configmaps", kind: "ConfigMap", shortNames: ["cm"] },
  { resource: "events", kind: "Event", shortNames: ["ev"], fieldSelectors: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"] },
  { resource: "serviceaccounts", kind: "ServiceAccount", shortNames: ["sa"] },
  { resource: "persistentvolumeclaims", kind: "PersistentVolumeClaim", shortNames: ["pvc"], status: true },
  { resource: "resourcequotas", kind: "ResourceQuota", shortNames: ["quota"], status: true },
  { resource: "limitranges", kind: "LimitRange", shortNames: ["limits"] },
  { group: "apps", resource: "deployments", kind: "Deployment", shortNames: ["deploy"], categories: ALL, status: true, scale: true, generation: true },
  { group: "apps", resource: "statefulsets", kind: "StatefulSet", shortNames: ["sts"], categories: ALL, status: true, scale: true, generation: true },
  { group: "apps", resource: "daemonsets", kind: "DaemonSet", shortNames: ["ds"], categories: ALL, status: true, generation: true },
  { group: "apps", resource: "replicasets", kind: "ReplicaSet", shortNames: ["rs"], categories: ALL, status: true, scale: true, generation: true },
  { group: "apps", resource: "controllerrevisions", kind: "ControllerRevision" },
  { group: "batch", resource: "jobs", kind: "Job", categories: ALL, status: true, generation: true },
  { group: "batch", resource: "cronjobs", kind: "CronJob", shortNames: ["cj"], categories: ALL, status: true, generation: true },
  { group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler", shortNames: ["hpa"], categories: ALL, status: true },
  { group: "policy", resource: "poddisruptionbudgets", kind: "PodDisruptionBudget", shortNames: ["pdb"], status: true, generation: true },
  { group: "networking.k8s.io", resource: "networkpolicies", kind: "NetworkPolicy", shortNames: ["netpol"], generation: true },
  { group: "networking.k8s.io", resource: "ingresses", kind: "Ingress", shortNames: ["ing"], status: true, generation: true },
  { group: "coordination.k8s.io", resource: "leases", kind: "Lease" },
  { group: "discovery.k8s.io", resource: "endpointslices", kind: "EndpointSlice" },
  { group: "events.k8s.io", resource: "events", kind: "Event", shortNames: ["ev"] },
  { group: "rbac.authorization.k8s.io", resource: "roles", kind: "Role" },
  { group: "rbac.authorization.k8s.io", resource: "rolebindings", kind: "RoleBinding" },
  { group: "rbac.authorization.k8s.io", resource: "clusterroles", kind: "ClusterRole", namespaced: false },
  { group: "rbac.authorization.k8s.io", resource: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false },
  { group: "apiextensions.k8s.io", resource: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false, shortNames: ["crd", "crds"], categories: ["api-extensions"], status: true, generation: true },
  { group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations", kind: "ValidatingWebhookConfiguration", namespaced: false, categories: ["api-extensions"], generation: true },
  { group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations", kind: "MutatingWebhookConfiguration", namespaced: false, categories: ["api-extensions"], generation: true },
  { group: "authorization.k8s.io", resource: "selfsubjectaccessreviews", kind: "SelfSubjectAccessReview", namespaced: false, verbs: ["create"], virtual: true },
  { group: "authorization.k8s.io", resource: "selfsubjectrulesreviews", kind: "SelfSubjectRulesReview", namespaced: false, verbs: ["create"], virtual: true },
  { group: "authorization.k8s.io", resource: "subjectaccessreviews", kind: "SubjectAccessReview", namespaced: false, verbs: ["create"], virtual: true },
  { group: "authentication.k8s.io", resource: "selfsubjectreviews", kind: "SelfSubjectReview", namespaced: false, verbs: ["create"], virtual: true },
  { group: "authentication.k8s.io", resource: "tokenreviews", kind: "TokenReview", namespaced: false, verbs: ["create"], virtual: true },
];

/** The built-in resource types, fresh copies (a server may extend its own). */
export function builtinResourceTypes(): ResourceType[] {
  return DEFS.map((d) => ({
    group: d.group ?? "",
    version: d.version ?? "v1",
    resource: d.resource,
    kind: d.kind,
    listKind: `${d.kind}List`,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced ?? true,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    verbs: d.verbs ?? RW,
    status: d.status ?? false,
    scale: d.scale ?? false,
    generation: d.generation ?? false,
    virtual: d.virtual ?? false,
    fieldSelectors: d.fieldSelectors ?? [],
  }));
}
