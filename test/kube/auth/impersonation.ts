/**
 * @module
 * Impersonation headers (Impersonate-User/-Group/-Uid/-Extra-*) as the API server's
 * WithImpersonation filter handles them: every impersonated value is authorized with
 * the `impersonate` verb for the requester, then the request runs as the new user.
 */
import type { Decision } from "./rbac-authorizer.ts";
import { badRequestStatus, forbiddenStatus, type StatusBody } from "./forbidden-status.ts";
import { parseServiceAccountUsername, serviceAccountGroups } from "./rbac-rules.ts";
import type { RequestAttributes, UserInfo } from "./request-attributes.ts";

export type ImpersonationResult = { user: UserInfo } | { status: StatusBody };

/** Splits a header fetch joined from repeated headers ("a, b"). */
function headerValues(headers: Headers, name: string): string[] {
  const v = headers.get(name);
  if (v === null) return [];
  return v.split(/,\s*/).filter((s) => s !== "");
}

function attrs(requester: UserInfo, resource: string, name: string, extra: Partial<RequestAttributes> = {}): RequestAttributes {
  return {
    user: requester,
    verb: "impersonate",
    isResourceRequest: true,
    path: "",
    namespace: "",
    apiGroup: "",
    apiVersion: "",
    resource,
    subresource: "",
    name,
    ...extra,
  };
}

/** Returns the requester unchanged when no impersonation header is present. */
export function applyImpersonation(requester: UserInfo, headers: Headers, authorize: (a: RequestAttributes) => Decision): ImpersonationResult {
  const username = headers.get("impersonate-user");
  const groups = headerValues(headers, "impersonate-group");
  const uid = headers.get("impersonate-uid");
  const extras: [string, string[]][] = [];
  headers.forEach((value, key) => {
    const k = key.toLowerCase();
    if (k.startsWith("impersonate-extra-")) extras.push([decodeURIComponent(k.slice("impersonate-extra-".length)), value.split(/,\s*/)]);
  });
  if (username === null) {
    if (groups.length > 0 || uid !== null || extras.length > 0) {
      return { status: badRequestStatus("requested impersonation of groups, extra or uid without impersonating a user") };
    }
    return { user: requester };
  }

  const checks: RequestAttributes[] = [];
  const sa = parseServiceAccountUsername(username);
  checks.push(sa ? attrs(requester, "serviceaccounts", sa.name, { namespace: sa.namespace }) : attrs(requester, "users", username));
  for (const g of groups) checks.push(attrs(requester, "groups", g));
  for (const [key, values] of extras) {
    for (const v of values) checks.push(attrs(requester, "userextras", v, { apiGroup: "authentication.k8s.io", subresource: key }));
  }
  if (uid !== null) checks.push(attrs(requester, "uids", uid, { apiGroup: "authentication.k8s.io" }));
  for (const check of checks) {
    const decision = authorize(check);
    if (!decision.allowed) return { status: forbiddenStatus(check, decision.reason) };
  }

  let finalGroups = [...groups];
  if (sa && groups.length === 0) finalGroups = serviceAccountGroups(sa.namespace);
  if (username === "system:anonymous") {
    if (!finalGroups.includes("system:unauthenticated")) finalGroups.push("system:unauthenticated");
  } else if (!finalGroups.includes("system:authenticated")) {
    finalGroups.push("system:authenticated");
  }
  const user: UserInfo = { username, groups: finalGroups };
  if (uid !== null) user.uid = uid;
  if (extras.length > 0) user.extra = Object.fromEntries(extras);
  return { user };
}
