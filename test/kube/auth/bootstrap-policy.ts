/**
 * @module
 * The bootstrap RBAC objects every real cluster starts with that matter to clients:
 * discovery and version for every authenticated user, self-reviews (`kubectl auth can-i`),
 * and cluster-admin for system:masters. Rules copied from the kube-apiserver's
 * bootstrappolicy (v1.32), so a ServiceAccount gets neither more nor less than in a cluster.
 */

const RBAC = "rbac.authorization.k8s.io/v1";
const META = (name: string) => ({
  name,
  labels: { "kubernetes.io/bootstrapping": "rbac-defaults" },
  annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
});

function clusterRole(name: string, rules: Record<string, string[]>[]) {
  return { apiVersion: RBAC, kind: "ClusterRole", metadata: META(name), rules };
}

function binding(name: string, role: string, groups: string[]) {
  return {
    apiVersion: RBAC,
    kind: "ClusterRoleBinding",
    metadata: META(name),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: groups.map((g) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: g })),
  };
}

/** ClusterRoles and ClusterRoleBindings to seed into a fresh emulator. */
export function bootstrapRbacObjects(): Record<string, unknown>[] {
  return [
    clusterRole("cluster-admin", [
      { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
      { nonResourceURLs: ["*"], verbs: ["*"] },
    ]),
    clusterRole("system:discovery", [
      {
        nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"],
        verbs: ["get"],
      },
    ]),
    clusterRole("system:public-info-viewer", [
      { nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"], verbs: ["get"] },
    ]),
    clusterRole("system:basic-user", [
      { apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], verbs: ["create"] },
      { apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"], verbs: ["create"] },
    ]),
    binding("cluster-admin", "cluster-admin", ["system:masters"]),
    binding("system:discovery", "system:discovery", ["system:authenticated"]),
    binding("system:public-info-viewer", "system:public-info-viewer", ["system:authenticated", "system:unauthenticated"]),
    binding("system:basic-user", "system:basic-user", ["system:authenticated"]),
  ];
}
