/**
 * Authentication (tokens, ServiceAccount tokens) and impersonation, with literal headers.
 */
import { describe, expect, test } from "bun:test";
import { createAuthenticator } from "./authenticator.ts";
import { applyImpersonation } from "./impersonation.ts";
import { createRbacAuthorizer } from "./rbac-authorizer.ts";
import { answerSelfSubjectAccessReview, answerSelfSubjectRulesReview } from "./access-reviews.ts";
import type { UserInfo } from "./request-attributes.ts";

function bearer(token: string): Headers {
  return new Headers({ authorization: `Bearer ${token}` });
}

describe("authenticator", () => {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const uids = new Map([["ops/kube-devops", "uid-1"]]);
  const authn = createAuthenticator({ now: () => now, serviceAccountUid: (ns, n) => uids.get(`${ns}/${n}`) });
  authn.addToken("admin-token", { username: "admin", groups: ["system:masters"] });

  test("static tokens, anonymous, and 401 for an unknown token", () => {
    expect(authn.authenticate(bearer("admin-token"))).toEqual({ user: { username: "admin", groups: ["system:masters", "system:authenticated"] } });
    expect(authn.authenticate(new Headers())).toEqual({ user: { username: "system:anonymous", groups: ["system:unauthenticated"] } });
    expect(authn.authenticate(bearer("nope"))).toEqual({ unauthorized: true });
  });

  test("a minted ServiceAccount token is the SA with its groups until it expires", () => {
    const { token, expirationTimestamp } = authn.mintServiceAccountToken("ops", "kube-devops", { expirationSeconds: 600 }, "uid-1");
    expect(expirationTimestamp).toBe("2026-01-01T00:10:00Z");
    expect(authn.authenticate(bearer(token))).toEqual({
      user: {
        username: "system:serviceaccount:ops:kube-devops",
        uid: "uid-1",
        groups: ["system:serviceaccounts", "system:serviceaccounts:ops", "system:authenticated"],
      },
    });
    const [h, b] = token.split(".");
    expect(authn.authenticate(bearer(`${h}.${b}.forged`))).toEqual({ unauthorized: true });
    now += 601_000;
    expect(authn.authenticate(bearer(token))).toEqual({ unauthorized: true });
  });

  test("a token outlives neither its ServiceAccount nor a re-created one", () => {
    const { token } = authn.mintServiceAccountToken("ops", "kube-devops", {}, "uid-1");
    uids.set("ops/kube-devops", "uid-2");
    expect(authn.authenticate(bearer(token))).toEqual({ unauthorized: true });
    uids.delete("ops/kube-devops");
    expect(authn.authenticate(bearer(authn.mintServiceAccountToken("ops", "kube-devops").token))).toEqual({ unauthorized: true });
  });
});

describe("impersonation", () => {
  const authz = createRbacAuthorizer({
    clusterRoleBindings: () => [
      { metadata: { name: "imp" }, subjects: [{ kind: "User", name: "alice" }], roleRef: { kind: "ClusterRole", name: "imp" } },
    ],
    roleBindings: () => [],
    clusterRoles: () => [{ metadata: { name: "imp" }, rules: [{ apiGroups: [""], resources: ["users"], resourceNames: ["bob"], verbs: ["impersonate"] }] }],
    role: () => undefined,
  });
  const admin: UserInfo = { username: "admin", groups: ["system:masters", "system:authenticated"] };
  const alice: UserInfo = { username: "alice", groups: ["system:authenticated"] };

  test("the admin becomes a ServiceAccount with the SA groups", () => {
    const r = applyImpersonation(admin, new Headers({ "impersonate-user": "system:serviceaccount:ops:kd" }), authz.authorize);
    expect(r).toEqual({ user: { username: "system:serviceaccount:ops:kd", groups: ["system:serviceaccounts", "system:serviceaccounts:ops", "system:authenticated"] } });
  });
  test("explicit groups replace the implied ones", () => {
    const h = new Headers({ "impersonate-user": "carol" });
    h.append("impersonate-group", "devs");
    h.append("impersonate-group", "ops");
    expect(applyImpersonation(admin, h, authz.authorize)).toEqual({ user: { username: "carol", groups: ["devs", "ops", "system:authenticated"] } });
  });
  test("others need the impersonate verb for exactly that name", () => {
    expect(applyImpersonation(alice, new Headers({ "impersonate-user": "bob" }), authz.authorize)).toMatchObject({ user: { username: "bob" } });
    const denied = applyImpersonation(alice, new Headers({ "impersonate-user": "system:serviceaccount:ops:kd" }), authz.authorize);
    expect(denied).toMatchObject({
      status: {
        code: 403,
        message: 'serviceaccounts "kd" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ops"',
      },
    });
  });
  test("groups without a user are a bad request", () => {
    expect(applyImpersonation(admin, new Headers({ "impersonate-group": "x" }), authz.authorize)).toMatchObject({ status: { code: 400 } });
  });
});

describe("self reviews", () => {
  const authz = createRbacAuthorizer({
    clusterRoleBindings: () => [],
    roleBindings: (ns) =>
      ns === "ops" ? [{ metadata: { name: "rb", namespace: "ops" }, subjects: [{ kind: "User", name: "alice" }], roleRef: { kind: "ClusterRole", name: "cr" } }] : [],
    clusterRoles: () => [{ metadata: { name: "cr" }, rules: [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "patch"] }] }],
    role: () => undefined,
  });
  const alice: UserInfo = { username: "alice", groups: ["system:authenticated"] };
  test("SelfSubjectAccessReview answers like the authorizer", () => {
    const yes = answerSelfSubjectAccessReview({ spec: { resourceAttributes: { namespace: "ops", verb: "patch", group: "apps", resource: "deployments" } } }, alice, authz);
    expect(yes.status).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "rb/ops" of ClusterRole "cr" to User "alice"' });
    const no = answerSelfSubjectAccessReview({ spec: { resourceAttributes: { namespace: "dev", verb: "patch", group: "apps", resource: "deployments" } } }, alice, authz);
    expect(no.status).toEqual({ allowed: false });
  });
  test("SelfSubjectRulesReview lists the namespace's rules", () => {
    expect(answerSelfSubjectRulesReview({ spec: { namespace: "ops" } }, alice, authz).status).toEqual({
      resourceRules: [{ verbs: ["get", "patch"], apiGroups: ["apps"], resources: ["deployments"] }],
      nonResourceRules: [],
      incomplete: false,
    });
    expect(answerSelfSubjectRulesReview({ spec: { namespace: "dev" } }, alice, authz).status).toMatchObject({ resourceRules: [] });
  });
});
