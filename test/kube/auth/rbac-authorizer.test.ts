/**
 * The RBAC evaluator against Kubernetes' documented semantics, with literal objects:
 * every rule shape gen/ emits, binding scopes, subjects, aggregation, reasons.
 */
import { describe, expect, test } from "bun:test";
import { createRbacAuthorizer, type RbacSource } from "./rbac-authorizer.ts";
import { forbiddenStatus } from "./forbidden-status.ts";
import { requestAttributes, type RequestAttributes, type UserInfo } from "./request-attributes.ts";
import type { Binding, ClusterRole, Role } from "./rbac-rules.ts";

const SA: UserInfo = {
  username: "system:serviceaccount:ops:kube-devops",
  groups: ["system:serviceaccounts", "system:serviceaccounts:ops", "system:authenticated"],
};

function source(objs: { roles?: Role[]; clusterRoles?: ClusterRole[]; roleBindings?: Binding[]; clusterRoleBindings?: Binding[] }): RbacSource {
  return {
    clusterRoleBindings: () => objs.clusterRoleBindings ?? [],
    roleBindings: (ns) => (objs.roleBindings ?? []).filter((b) => b.metadata.namespace === ns),
    clusterRoles: () => objs.clusterRoles ?? [],
    role: (ns, name) => (objs.roles ?? []).find((r) => r.metadata.namespace === ns && r.metadata.name === name),
  };
}

function req(user: UserInfo, method: string, url: string): RequestAttributes {
  return requestAttributes(user, method, url);
}

const ANY: UserInfo = { username: "x", groups: [] };
const parseRequestInfo = (method: string, url: string) => requestAttributes(ANY, method, url);

const saSubject = { kind: "ServiceAccount", name: "kube-devops", namespace: "ops" };

function clusterGrant(rules: ClusterRole["rules"], extra: Partial<Parameters<typeof source>[0]> = {}) {
  return createRbacAuthorizer(
    source({
      clusterRoles: [{ metadata: { name: "r" }, rules }],
      clusterRoleBindings: [{ metadata: { name: "b" }, subjects: [saSubject], roleRef: { kind: "ClusterRole", name: "r" } }],
      ...extra,
    }),
  );
}

describe("request attributes (RequestInfoFactory)", () => {
  test("verbs from method, collection and watch", () => {
    expect(parseRequestInfo("GET", "/api/v1/namespaces/a/pods").verb).toBe("list");
    expect(parseRequestInfo("GET", "/api/v1/namespaces/a/pods?watch=true").verb).toBe("watch");
    expect(parseRequestInfo("GET", "/api/v1/namespaces/a/pods/p").verb).toBe("get");
    expect(parseRequestInfo("DELETE", "/api/v1/namespaces/a/pods").verb).toBe("deletecollection");
    expect(parseRequestInfo("PATCH", "/apis/apps/v1/namespaces/a/deployments/d/scale")).toMatchObject({
      verb: "patch",
      apiGroup: "apps",
      resource: "deployments",
      subresource: "scale",
      name: "d",
      namespace: "a",
    });
  });
  test("a namespace is its own namespace; namespace status is a subresource", () => {
    expect(parseRequestInfo("GET", "/api/v1/namespaces/a")).toMatchObject({ resource: "namespaces", name: "a", namespace: "a" });
    expect(parseRequestInfo("PUT", "/api/v1/namespaces/a/status")).toMatchObject({ resource: "namespaces", name: "a", subresource: "status" });
  });
  test("list narrowed by metadata.name carries the name", () => {
    expect(parseRequestInfo("GET", "/api/v1/namespaces/a/configmaps?fieldSelector=metadata.name%3Dcfg").name).toBe("cfg");
  });
  test("as RequestInfoFactory: a named list/watch only through GET <collection>, with a name that can be a path segment", () => {
    const vwcs = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
    expect(parseRequestInfo("GET", `${vwcs}?watch=true&fieldSelector=metadata.name%3Dkd`)).toMatchObject({ verb: "watch", name: "kd" });
    expect(parseRequestInfo("GET", `${vwcs}?fieldSelector=metadata.name%3D%3Dkd,metadata.labels.x%3Dy`)).toMatchObject({ verb: "list", name: "kd" });
    // a selector that does not require one exact name leaves the request unnamed
    expect(parseRequestInfo("GET", `${vwcs}?fieldSelector=metadata.name!%3Dkd`)).toMatchObject({ verb: "list", name: "" });
    // the deprecated /watch/ prefix decides the verb before the name is looked at: never named
    expect(parseRequestInfo("GET", "/apis/admissionregistration.k8s.io/v1/watch/validatingwebhookconfigurations?fieldSelector=metadata.name%3Dkd")).toMatchObject({ verb: "watch", name: "" });
    // path.IsValidPathSegmentName
    for (const bad of ["..", "a%2Fb", "a%25b"]) expect(parseRequestInfo("GET", `${vwcs}?fieldSelector=metadata.name%3D${bad}`).name).toBe("");
    // `watch` decodes as the API server's bool parameter: anything but absent, 0 or false (any case)
    for (const on of ["1", "true", "True", "yes", ""]) expect(parseRequestInfo("GET", `${vwcs}?watch=${on}`).verb).toBe("watch");
    for (const off of ["0", "false", "FALSE"]) expect(parseRequestInfo("GET", `${vwcs}?watch=${off}`).verb).toBe("list");
  });
  test("discovery paths are non-resource requests", () => {
    expect(parseRequestInfo("GET", "/apis/apps")).toMatchObject({ isResourceRequest: false, verb: "get", path: "/apis/apps" });
    expect(parseRequestInfo("GET", "/api/v1").isResourceRequest).toBe(false);
  });
});

describe("rule shapes", () => {
  test("plain resource rule allows listed verbs only", () => {
    const a = clusterGrant([{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
    expect(a.authorize(req(SA, "GET", "/api/v1/pods")).allowed).toBe(true);
    expect(a.authorize(req(SA, "GET", "/api/v1/namespaces/x/pods?watch=1")).allowed).toBe(true);
    expect(a.authorize(req(SA, "DELETE", "/api/v1/namespaces/x/pods/p")).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", "/apis/apps/v1/deployments")).allowed).toBe(false);
  });
  test("subresources are separate resources; */scale matches any scale", () => {
    const a = clusterGrant([
      { apiGroups: ["devops.stochastic.io"], resources: ["devopspolicies/status"], verbs: ["update", "patch"] },
      { apiGroups: ["apps"], resources: ["*/scale"], verbs: ["get"] },
    ]);
    expect(a.authorize(req(SA, "PATCH", "/apis/devops.stochastic.io/v1/devopspolicies/p/status")).allowed).toBe(true);
    expect(a.authorize(req(SA, "PATCH", "/apis/devops.stochastic.io/v1/devopspolicies/p")).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", "/apis/apps/v1/namespaces/a/deployments/d/scale")).allowed).toBe(true);
    expect(a.authorize(req(SA, "GET", "/apis/apps/v1/namespaces/a/deployments/d")).allowed).toBe(false);
    // pods allows no subresource
    const p = clusterGrant([{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]);
    expect(p.authorize(req(SA, "GET", "/api/v1/namespaces/a/pods/x/status")).allowed).toBe(false);
  });
  test("resourceNames restrict get/update but can never allow create or an unnamed list", () => {
    const a = clusterGrant([{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["kube-devops-leader"], verbs: ["get", "update", "create", "list"] }]);
    expect(a.authorize(req(SA, "GET", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/kube-devops-leader")).allowed).toBe(true);
    expect(a.authorize(req(SA, "PUT", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/kube-devops-leader")).allowed).toBe(true);
    expect(a.authorize(req(SA, "GET", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/other")).allowed).toBe(false);
    expect(a.authorize(req(SA, "POST", "/apis/coordination.k8s.io/v1/namespaces/ops/leases")).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", "/apis/coordination.k8s.io/v1/namespaces/ops/leases")).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", "/apis/coordination.k8s.io/v1/namespaces/ops/leases?fieldSelector=metadata.name%3Dkube-devops-leader")).allowed).toBe(true);
  });
  test("resourceNames allow list and watch of exactly that object by fieldSelector metadata.name, nothing wider", () => {
    const a = clusterGrant([{ apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], resourceNames: ["kd"], verbs: ["get", "list", "watch"] }]);
    const vwcs = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
    expect(a.authorize(req(SA, "GET", `${vwcs}?fieldSelector=metadata.name%3Dkd`)).allowed).toBe(true);
    expect(a.authorize(req(SA, "GET", `${vwcs}?watch=1&resourceVersion=5&fieldSelector=metadata.name%3Dkd`)).allowed).toBe(true);
    expect(a.authorize(req(SA, "GET", `${vwcs}?watch=1&fieldSelector=metadata.name%3Dother`)).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", `${vwcs}?watch=1`)).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", `${vwcs}?watch=1&labelSelector=app%3Dkd`)).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", `${vwcs}?fieldSelector=metadata.name!%3Dkd`)).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", "/apis/admissionregistration.k8s.io/v1/watch/validatingwebhookconfigurations?fieldSelector=metadata.name%3Dkd")).allowed).toBe(false);
    // without list/watch in the rule, the named forms are refused too
    const getOnly = clusterGrant([{ apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], resourceNames: ["kd"], verbs: ["get", "patch"] }]);
    expect(getOnly.authorize(req(SA, "GET", `${vwcs}?watch=1&fieldSelector=metadata.name%3Dkd`)).allowed).toBe(false);
  });
  test("wildcards in verbs, groups and resources; nonResourceURLs with a trailing *", () => {
    const a = clusterGrant([
      { apiGroups: ["*"], resources: ["*"], verbs: ["list"] },
      { nonResourceURLs: ["/metrics", "/healthz/*"], verbs: ["get"] },
    ]);
    expect(a.authorize(req(SA, "GET", "/apis/apps/v1/namespaces/a/deployments/d/status?x")).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", "/apis/batch/v1/jobs")).allowed).toBe(true);
    expect(a.authorize(req(SA, "GET", "/metrics")).allowed).toBe(true);
    expect(a.authorize(req(SA, "GET", "/healthz/ping")).allowed).toBe(true);
    expect(a.authorize(req(SA, "POST", "/metrics")).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", "/metricsx")).allowed).toBe(false);
  });
});

describe("binding scopes and subjects", () => {
  const objs = {
    roles: [{ metadata: { name: "lease", namespace: "ops" }, rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["*"] }] }],
    clusterRoles: [{ metadata: { name: "reader" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }] }],
    roleBindings: [
      { metadata: { name: "lease", namespace: "ops" }, subjects: [{ kind: "ServiceAccount", name: "kube-devops" }], roleRef: { kind: "Role", name: "lease" } },
      { metadata: { name: "read", namespace: "team-a" }, subjects: [saSubject], roleRef: { kind: "ClusterRole", name: "reader" } },
    ],
  };
  const a = createRbacAuthorizer(source(objs));
  test("a Role grants only in its namespace (SA subject defaults to the binding's namespace)", () => {
    expect(a.authorize(req(SA, "PUT", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/l")).allowed).toBe(true);
    expect(a.authorize(req(SA, "PUT", "/apis/coordination.k8s.io/v1/namespaces/other/leases/l")).allowed).toBe(false);
  });
  test("a ClusterRole bound by a RoleBinding grants in that namespace only, never cluster-wide", () => {
    expect(a.authorize(req(SA, "GET", "/api/v1/namespaces/team-a/pods")).allowed).toBe(true);
    expect(a.authorize(req(SA, "GET", "/api/v1/namespaces/team-b/pods")).allowed).toBe(false);
    expect(a.authorize(req(SA, "GET", "/api/v1/pods")).allowed).toBe(false);
  });
  test("the allow reason names the binding as the real server does", () => {
    expect(a.authorize(req(SA, "GET", "/api/v1/namespaces/team-a/pods")).reason).toBe(
      'RBAC: allowed by RoleBinding "read/team-a" of ClusterRole "reader" to ServiceAccount "kube-devops/ops"',
    );
  });
  test("Group and User subjects; system:serviceaccounts:<ns> covers every SA of a namespace", () => {
    const g = createRbacAuthorizer(
      source({
        clusterRoles: objs.clusterRoles,
        clusterRoleBindings: [{ metadata: { name: "g" }, subjects: [{ kind: "Group", name: "system:serviceaccounts:ops" }], roleRef: { kind: "ClusterRole", name: "reader" } }],
      }),
    );
    expect(g.authorize(req(SA, "GET", "/api/v1/pods")).allowed).toBe(true);
    const other = { username: "system:serviceaccount:dev:x", groups: ["system:serviceaccounts", "system:serviceaccounts:dev"] };
    expect(g.authorize(req(other, "GET", "/api/v1/pods")).allowed).toBe(false);
    const u = createRbacAuthorizer(
      source({ clusterRoles: objs.clusterRoles, clusterRoleBindings: [{ metadata: { name: "u" }, subjects: [{ kind: "User", name: "alice" }], roleRef: { kind: "ClusterRole", name: "reader" } }] }),
    );
    expect(u.authorize(req({ username: "alice", groups: [] }, "GET", "/api/v1/pods")).allowed).toBe(true);
    expect(u.authorize(req({ username: "bob", groups: ["alice"] }, "GET", "/api/v1/pods")).allowed).toBe(false);
  });
  test("system:masters bypasses RBAC; a missing role shows up in the deny reason", () => {
    const m = createRbacAuthorizer(
      source({ clusterRoleBindings: [{ metadata: { name: "x" }, subjects: [saSubject], roleRef: { kind: "ClusterRole", name: "gone" } }] }),
    );
    expect(m.authorize(req({ username: "admin", groups: ["system:masters"] }, "DELETE", "/api/v1/nodes/n")).allowed).toBe(true);
    expect(m.authorize(req(SA, "GET", "/api/v1/pods"))).toEqual({ allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found' });
  });
});

describe("aggregated ClusterRoles", () => {
  test("the aggregated role carries the rules of every selected role", () => {
    const a = clusterGrant(undefined, {
      clusterRoles: [
        { metadata: { name: "r" }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "rbac.example/aggregate-to-r": "true" } }] }, rules: [] },
        { metadata: { name: "p1", labels: { "rbac.example/aggregate-to-r": "true" } }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] },
        { metadata: { name: "p2", labels: { other: "x" } }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }] },
      ],
    });
    expect(a.authorize(req(SA, "GET", "/api/v1/namespaces/a/pods/p")).allowed).toBe(true);
    expect(a.authorize(req(SA, "GET", "/api/v1/namespaces/a/secrets/s")).allowed).toBe(false);
  });
});

describe("forbidden message", () => {
  test("namespaced, cluster-scoped, subresource and non-resource shapes", () => {
    const ns = forbiddenStatus(req(SA, "GET", "/apis/apps/v1/namespaces/a/deployments/web"));
    expect(ns.message).toBe('deployments.apps "web" is forbidden: User "system:serviceaccount:ops:kube-devops" cannot get resource "deployments" in API group "apps" in the namespace "a"');
    expect(ns).toMatchObject({ code: 403, reason: "Forbidden", details: { name: "web", group: "apps", kind: "deployments" } });
    expect(forbiddenStatus(req(SA, "GET", "/api/v1/nodes")).message).toBe(
      'nodes is forbidden: User "system:serviceaccount:ops:kube-devops" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    expect(forbiddenStatus(req(SA, "PUT", "/api/v1/namespaces/a/pods/p/status")).message).toBe(
      'pods "p" is forbidden: User "system:serviceaccount:ops:kube-devops" cannot update resource "pods/status" in API group "" in the namespace "a"',
    );
    expect(forbiddenStatus(req(SA, "GET", "/metrics")).message).toBe('forbidden: User "system:serviceaccount:ops:kube-devops" cannot get path "/metrics"');
  });
});
