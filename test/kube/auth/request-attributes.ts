/**
 * @module
 * Turns an HTTP request into authorization attributes exactly as the API server's
 * RequestInfoFactory does (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go):
 * verb from method + collection/name/watch, namespace, group, resource, subresource, name.
 */

/** Who is asking; `groups` already includes system:authenticated where it applies. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The authorization attributes of one request (authorizer.AttributesRecord). */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  /** Non-resource requests only. */
  path: string;
  namespace: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
}

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);
const SPECIAL_VERBS = new Set(["proxy", "watch"]);

/** The parts of RequestAttributes that come from the URL alone (no user). */
export type RequestInfo = Omit<RequestAttributes, "user">;

/** Computes RequestInfo for `method` on `url` (path + query). */
export function parseRequestInfo(method: string, url: URL | string): RequestInfo {
  const u = typeof url === "string" ? new URL(url, "https://emulator.invalid") : url;
  const path = u.pathname;
  const info: RequestInfo = {
    verb: method.toLowerCase(),
    isResourceRequest: false,
    path,
    namespace: "",
    apiGroup: "",
    apiVersion: "",
    resource: "",
    subresource: "",
    name: "",
  };
  let parts = path.replace(/^\/+|\/+$/g, "").split("/").filter((p) => p !== "").map(decodeURIComponent);
  const prefix = parts[0];
  if (prefix !== "api" && prefix !== "apis") return info;
  parts = parts.slice(1);
  if (prefix === "apis") {
    if (parts.length < 2) return info; // /apis, /apis/<group>: discovery, non-resource
    info.apiGroup = parts[0] ?? "";
    parts = parts.slice(1);
  }
  if (parts.length < 2) return info; // /api, /api/v1: discovery
  info.apiVersion = parts[0] ?? "";
  parts = parts.slice(1);
  info.isResourceRequest = true;

  if (SPECIAL_VERBS.has(parts[0] ?? "")) {
    info.verb = parts[0] ?? "";
    parts = parts.slice(1);
  } else {
    info.verb = verbForMethod(method);
  }
  if (parts[0] === "namespaces") {
    if (parts.length > 1) {
      info.namespace = parts[1] ?? "";
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? "")) parts = parts.slice(2);
    }
  }
  info.resource = parts[0] ?? "";
  if (parts.length >= 2) info.name = parts[1] ?? "";
  if (parts.length >= 3) info.subresource = parts[2] ?? "";

  // A GET/DELETE without a name addresses the collection.
  if (info.name === "") {
    if (info.verb === "get") info.verb = "list";
    else if (info.verb === "delete") info.verb = "deletecollection";
  }
  if (info.verb === "list" && isTrue(u.searchParams.get("watch"))) info.verb = "watch";
  // list/watch narrowed to one object by field selector are authorized against that name.
  if ((info.verb === "list" || info.verb === "watch") && info.name === "") {
    const name = nameFromFieldSelector(u.searchParams.get("fieldSelector"));
    if (name !== undefined) info.name = name;
  }
  return info;
}

function verbForMethod(method: string): string {
  switch (method.toUpperCase()) {
    case "POST":
      return "create";
    case "GET":
    case "HEAD":
      return "get";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      return "";
  }
}

function isTrue(v: string | null): boolean {
  return v === "1" || v === "true";
}

/** `metadata.name=foo` (or `==`) in a field selector, as requestinfo.go extracts it. */
function nameFromFieldSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  for (const term of selector.split(",")) {
    const m = /^\s*metadata\.name\s*(==|=)\s*(.*?)\s*$/.exec(term);
    if (m) return m[2];
  }
  return undefined;
}
