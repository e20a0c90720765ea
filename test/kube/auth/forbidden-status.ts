/**
 * @module
 * The 401/403 Status bodies exactly as the API server writes them
 * (apiserver responsewriters.ForbiddenStatusError + apierrors.NewForbidden).
 */
import type { RequestAttributes } from "./request-attributes.ts";

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { message: string; reason?: string; field?: string }[] };
  code: number;
}

/** The message and Status for a request the authorizer denied. */
export function forbiddenStatus(attrs: RequestAttributes, reason = ""): StatusBody {
  const username = attrs.user.username;
  let msg: string;
  if (!attrs.isResourceRequest) {
    msg = `User "${username}" cannot ${attrs.verb} path "${attrs.path}"`;
  } else {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    msg = attrs.namespace
      ? `User "${username}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.apiGroup}" in the namespace "${attrs.namespace}"`
      : `User "${username}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.apiGroup}" at the cluster scope`;
  }
  if (reason) msg = `${msg}: ${reason}`;
  return forbiddenFor(attrs.isResourceRequest ? attrs.apiGroup : "", attrs.isResourceRequest ? attrs.resource : "", attrs.name, msg);
}

/** apierrors.NewForbidden(groupResource, name, err). */
export function forbiddenFor(group: string, resource: string, name: string, err: string): StatusBody {
  const qualified = group ? `${resource}.${group}` : resource;
  let message: string;
  if (!resource && !group) message = `forbidden: ${err}`;
  else if (!name) message = `${qualified} is forbidden: ${err}`;
  else message = `${qualified} "${name}" is forbidden: ${err}`;
  const details: StatusBody["details"] = {};
  if (name) details.name = name;
  if (group) details.group = group;
  if (resource) details.kind = resource;
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "Forbidden", details, code: 403 };
}

/** What the server answers to a missing or bad credential. */
export function unauthorizedStatus(): StatusBody {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 };
}

/** A 400 BadRequest Status (impersonation misuse). */
export function badRequestStatus(message: string): StatusBody {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "BadRequest", code: 400 };
}
