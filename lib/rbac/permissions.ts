/**
 * @module
 * The one list of what each in-cluster component may do to the API server. gen/ renders it into
 * ClusterRoles/Roles; `check` turns it into SelfSubjectAccessReviews. Every entry names the code
 * path that needs it: a permission no code uses is removed here, and everywhere follows.
 */
import { API_GROUP } from "../policy/schema.ts";
import type { ReportFormat, ReportsSetting } from "../reports/policy-report.ts";

export { REPORTS_SETTINGS, type ReportsSetting } from "../reports/policy-report.ts";

export const COMPONENTS = ["watch", "reconcile", "webhook"] as const;
export type Component = (typeof COMPONENTS)[number];

/** Names of the single objects some grants are pinned to (RBAC `resourceNames`). */
export interface ObjectNames {
  /** Lease of the watch controller's leader election (lib/kube default: `kube-devops-<component>`). */
  watchLease: string;
  /** Lease of the reconcile operator's leader election. */
  reconcileLease: string;
  /** Secret holding the webhook's CA and serving certificate (self-managed mode). */
  webhookSecret: string;
  /** The ValidatingWebhookConfiguration whose `caBundle` the webhook keeps current. */
  webhookConfiguration: string;
}

export const DEFAULT_OBJECT_NAMES: ObjectNames = {
  watchLease: "kube-devops-watch",
  reconcileLease: "kube-devops-reconcile",
  webhookSecret: "kube-devops-webhook-tls",
  webhookConfiguration: "kube-devops-webhook",
};

/**
 * One grant. `scope: "namespace"` grants apply only in the namespace the component runs in
 * (rendered as a Role); `"cluster"` grants are cluster-wide (a ClusterRole).
 */
export interface Permission {
  group: string;
  /** `pods`, or `devopspolicies/status` for a subresource. */
  resources: readonly string[];
  verbs: readonly string[];
  scope: "cluster" | "namespace";
  /** Pins the grant to named objects. RBAC cannot pin `create`, so create is always a separate grant. */
  resourceNames?: readonly string[];
  /** The code path that needs this grant. */
  usedBy: string;
}

/** Switches that add grants (only what the configured code paths use). */
export interface PermissionOptions {
  reports: ReportsSetting;
  /**
   * `webhook serve --self-managed`: the webhook writes its TLS Secret and its configuration's
   * caBundle. Off for cert-manager and for certificates from `webhook cert-generate` files
   * (`--no-self-managed`): the webhook then only reads the mounted files and gets no such grant.
   */
  selfManagedCertificates: boolean;
  /**
   * The component runs with `--metrics-auth kubernetes` (watch, reconcile or webhook serve): it asks
   * the API server about each scraper's token (TokenReview) and whether that identity may get
   * `/metrics` (SubjectAccessReview). Off with `--metrics-auth none`.
   */
  metricsAuth: boolean;
}

/** What the default manifests run: no reports, self-managed certificates, authorized metrics. */
export const DEFAULT_PERMISSION_OPTIONS: PermissionOptions = { reports: "none", selfManagedCertificates: true, metricsAuth: true };

/** The report resource `reconcile --reports <format>` upserts (group, plural). */
export function reportGrant(format: ReportFormat): Permission {
  const [group, plural] = format === "wgpolicyk8s" ? ["wgpolicyk8s.io", "policyreports"] : ["openreports.io", "reports"];
  return { group, resources: [plural], verbs: ["get", "create", "update"], scope: "cluster", usedBy: `reconcile --reports ${format}: one report per policy, read then created or updated (lib/operator/report-writer.ts)` };
}

const LEASES = "coordination.k8s.io";

function leaseGrants(lease: string, component: Component): Permission[] {
  const usedBy = `${component}: leader election on its Lease (lib/kube/leader-election.ts)`;
  return [
    { group: LEASES, resources: ["leases"], verbs: ["get", "update"], scope: "namespace", resourceNames: [lease], usedBy },
    { group: LEASES, resources: ["leases"], verbs: ["create"], scope: "namespace", usedBy },
  ];
}

/**
 * What lib/webhook/self-managed-certs.ts does, and nothing more: get, then update or (first start)
 * create, its Secret in our namespace; get and JSON-patch its own VWC, and list+watch it
 * (lib/webhook/ca-bundle-watch.ts). Get/update, get/patch and list/watch are pinned to the one
 * object: the API server authorizes a list or watch with `fieldSelector=metadata.name=<name>`
 * against that name. RBAC cannot pin `create` (a create request's URL names no object), so
 * creating Secrets stays a separate grant, limited to our namespace by a Role.
 */
function selfManagedCertificateGrants(names: ObjectNames): Permission[] {
  return [
    { group: "", resources: ["secrets"], verbs: ["get", "update"], scope: "namespace", resourceNames: [names.webhookSecret], usedBy: "webhook --self-managed: reads and renews its certificate Secret (lib/webhook/self-managed-certs.ts)" },
    { group: "", resources: ["secrets"], verbs: ["create"], scope: "namespace", usedBy: "webhook --self-managed: first creation of the certificate Secret (lib/webhook/self-managed-certs.ts)" },
    {
      group: "admissionregistration.k8s.io",
      resources: ["validatingwebhookconfigurations"],
      verbs: ["get", "list", "watch", "patch"],
      scope: "cluster",
      resourceNames: [names.webhookConfiguration],
      usedBy: "webhook --self-managed: keeps caBundle of its own configuration current (lib/webhook/self-managed-certs.ts), repairing it at once when the watch of that one object (fieldSelector metadata.name) sees it replaced without it (lib/webhook/ca-bundle-watch.ts)",
    },
  ];
}

/**
 * What lib/server/metrics-auth.ts does for `/metrics`: create a TokenReview, then a
 * SubjectAccessReview. These are the two rules of the bootstrap ClusterRole `system:auth-delegator`
 * today; they are listed here rather than bound to it so that `check` asks for them, the usage test
 * proves them, and a rule a future Kubernetes adds to that role never reaches our components
 * (decision 0029).
 */
function metricsAuthGrants(component: Component): Permission[] {
  const usedBy = `${component} --metrics-auth kubernetes: checks a scraper's bearer token, then its access to /metrics (lib/server/metrics-auth.ts)`;
  return [
    { group: "authentication.k8s.io", resources: ["tokenreviews"], verbs: ["create"], scope: "cluster", usedBy },
    { group: "authorization.k8s.io", resources: ["subjectaccessreviews"], verbs: ["create"], scope: "cluster", usedBy },
  ];
}

/** The grants of one component, given the names of the objects it owns; options not given take DEFAULT_PERMISSION_OPTIONS. */
export function componentPermissions(component: Component, names: ObjectNames = DEFAULT_OBJECT_NAMES, given: Partial<PermissionOptions> = {}): Permission[] {
  const options: PermissionOptions = { ...DEFAULT_PERMISSION_OPTIONS, ...given };
  switch (component) {
    case "watch":
      return [
        { group: "", resources: ["pods"], verbs: ["list", "watch"], scope: "cluster", usedBy: "watch: list+watch of every pod (live score)" },
        { group: API_GROUP, resources: ["devopspolicies"], verbs: ["list", "watch"], scope: "cluster", usedBy: "watch: each namespace scored with its DevOpsPolicies' checks (lib/watch/watch-controller.ts)" },
        ...leaseGrants(names.watchLease, "watch"),
        ...(options.metricsAuth ? metricsAuthGrants("watch") : []),
      ];
    case "reconcile":
      return [
        { group: API_GROUP, resources: ["devopspolicies"], verbs: ["list", "watch", "patch"], scope: "cluster", usedBy: "reconcile: policy list+watch (lib/operator/operator.ts), the re-read after a status write conflict, as a list of one (status-writer.ts), release of the reference's finalizer as a JSON patch list item (reconcile-policy.ts)" },
        { group: API_GROUP, resources: ["devopspolicies/status"], verbs: ["patch"], scope: "cluster", usedBy: "reconcile: status merge patch guarded by resourceVersion (lib/operator/status-writer.ts)" },
        { group: API_GROUP, resources: ["policyauditresults"], verbs: ["list", "create", "delete"], scope: "cluster", usedBy: "reconcile: audit history, retention by label (lib/operator/audit-writer.ts)" },
        { group: "", resources: ["pods"], verbs: ["list", "watch"], scope: "cluster", usedBy: "reconcile: pods of each policy's namespace" },
        { group: "apps", resources: ["deployments", "statefulsets", "daemonsets"], verbs: ["get", "list", "patch"], scope: "cluster", usedBy: "reconcile: enforcement lists workloads, patches their templates, re-reads one on conflict or after a patch whose outcome is unknown (lib/enforcement/apply-remediation.ts)" },
        { group: "", resources: ["events"], verbs: ["create", "patch"], scope: "cluster", usedBy: "reconcile: Events on policies (class change, enforcement; a repeat within 10 minutes patches the first one's count; lib/operator/events.ts)" },
        ...leaseGrants(names.reconcileLease, "reconcile"),
        ...(options.reports === "none" ? [] : [reportGrant(options.reports)]),
        ...(options.metricsAuth ? metricsAuthGrants("reconcile") : []),
      ];
    case "webhook":
      return [
        { group: API_GROUP, resources: ["devopspolicies"], verbs: ["list", "watch"], scope: "cluster", usedBy: "webhook: watch-fed cache of every namespace's DevOpsPolicies (lib/webhook/policy-cache.ts)" },
        ...(options.selfManagedCertificates ? selfManagedCertificateGrants(names) : []),
        ...(options.metricsAuth ? metricsAuthGrants("webhook") : []),
      ];
  }
}

/** One question for a SelfSubjectAccessReview (`resourceAttributes`). */
export interface AccessCheck {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** Absent for cluster-scoped grants: "in every namespace". */
  namespace?: string;
  name?: string;
  usedBy: string;
}

/** Flattens a component's grants into one access check per verb, resource and name. */
export function accessChecks(component: Component, namespace: string, names: ObjectNames = DEFAULT_OBJECT_NAMES, options: Partial<PermissionOptions> = {}): AccessCheck[] {
  const checks: AccessCheck[] = [];
  for (const grant of componentPermissions(component, names, options)) {
    for (const full of grant.resources) {
      const [resource = full, subresource] = full.split("/");
      for (const verb of grant.verbs) {
        for (const name of grant.resourceNames ?? [undefined]) {
          checks.push({
            verb,
            group: grant.group,
            resource,
            ...(subresource ? { subresource } : {}),
            ...(grant.scope === "namespace" ? { namespace } : {}),
            ...(name ? { name } : {}),
            usedBy: grant.usedBy,
          });
        }
      }
    }
  }
  return checks;
}
