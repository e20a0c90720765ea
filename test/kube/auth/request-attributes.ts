/**
 * @module
 * Authorization attributes of a request, exactly as the emulator's router builds them
 * (test/kube/request-info.ts is the RequestInfoFactory); shared by the RBAC modules and
 * their tests.
 */
import type { RequestAttributes, UserInfo } from "../hooks.ts";
import { parseRequestInfo } from "../request-info.ts";

export type { RequestAttributes, UserInfo };

/** The attributes the router hands to the authorize hook for `method url` by `user`. */
export function requestAttributes(user: UserInfo, method: string, url: string): RequestAttributes {
  const info = parseRequestInfo(method, new URL(url, "https://emulator.invalid"));
  return {
    user,
    verb: info.isResourceRequest ? info.verb : method.toLowerCase(),
    isResourceRequest: info.isResourceRequest,
    path: info.path,
    apiGroup: info.group,
    apiVersion: info.version,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name,
  };
}
