/**
 * @module
 * Parses an API path into request attributes (k8s.io/apiserver RequestInfoFactory):
 * group, version, namespace, resource, name, subresource and the API verb.
 */

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix: "api" | "apis" | "";
  group: string;
  version: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after the version when the request is not a resource request (/api/v1). */
  parts: string[];
}

/** As the API server decodes `watch`: present and not "0"/"false" (any case) means true, even empty. */
function isWatchParam(value: string | null): boolean {
  return value !== null && value !== "0" && value.toLowerCase() !== "false";
}

export function parseRequestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const segs = path.split("/").filter((s) => s !== "").map(decodeURIComponent);
  const info: RequestInfo = { isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: "", group: "", version: "", namespace: "", resource: "", subresource: "", name: "", parts: segs };
  let rest: string[];
  if (segs[0] === "api") {
    info.apiPrefix = "api";
    info.version = segs[1] ?? "";
    rest = segs.slice(2);
  } else if (segs[0] === "apis") {
    info.apiPrefix = "apis";
    info.group = segs[1] ?? "";
    info.version = segs[2] ?? "";
    rest = segs.slice(3);
  } else return info;
  if (!info.version || rest.length === 0) return info;
  let watchPrefix = false;
  if (rest[0] === "watch") {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  if (rest[0] === "namespaces" && rest.length > 1) {
    info.namespace = rest[1]!;
    // as RequestInfoFactory: /namespaces/<ns>/status|finalize are subresources of the namespace
    if (rest.length > 2 && rest[2] !== "status" && rest[2] !== "finalize") rest = rest.slice(2);
  }
  info.isResourceRequest = true;
  info.resource = rest[0] ?? "";
  info.name = rest[1] ?? "";
  info.subresource = rest[2] ?? "";
  const watch = watchPrefix || isWatchParam(url.searchParams.get("watch"));
  switch (method) {
    case "GET":
    case "HEAD":
      info.verb = info.name ? (watch ? "watch" : "get") : watch ? "watch" : "list";
      break;
    case "POST":
      info.verb = "create";
      break;
    case "PUT":
      info.verb = "update";
      break;
    case "PATCH":
      info.verb = "patch";
      break;
    case "DELETE":
      info.verb = info.name ? "delete" : "deletecollection";
      break;
  }
  // list/watch narrowed to one object by `metadata.name` are authorized against that name
  // (RequestInfoFactory), which is what lets RBAC resourceNames cover an informer on one object.
  // As there, only for `GET <collection>[?watch=…]`: the deprecated `/watch/` prefix sets the verb
  // before the name is looked at and never gets one, and a name that could not be a path segment
  // is not taken.
  if ((info.verb === "list" || info.verb === "watch") && !info.name && !watchPrefix) {
    const name = nameFromFieldSelector(url.searchParams.get("fieldSelector"));
    if (name !== undefined && isValidPathSegmentName(name)) info.name = name;
  }
  return info;
}

/** apimachinery's path.IsValidPathSegmentName: not "." or "..", no "/" or "%". */
function isValidPathSegmentName(name: string): boolean {
  return name !== "." && name !== ".." && !name.includes("/") && !name.includes("%");
}

/** `metadata.name=foo` (or `==`) in a field selector. */
function nameFromFieldSelector(selector: string | null): string | undefined {
  for (const term of (selector ?? "").split(",")) {
    const m = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (m) return m[1];
  }
  return undefined;
}
