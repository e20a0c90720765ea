/**
 * @module
 * Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList), which a v1.32 server
 * answers at /api and /apis when the client asks for it: kubectl then needs two requests
 * instead of one per group-version.
 */
import { compareVersions } from "./discovery.ts";
import type { Registry } from "./registry.ts";
import type { ResourceType } from "./types.ts";

export const AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** True when the Accept header prefers aggregated discovery v2 (kubectl lists it first). */
export function wantsAggregated(accept: string | null): boolean {
  const first = (accept ?? "").split(",")[0] ?? "";
  return /as=APIGroupDiscoveryList/.test(first) && /v=v2(;|$)/.test(first) && /g=apidiscovery\.k8s\.io/.test(first);
}

function resource(t: ResourceType, version: string): object {
  const v = t.crd?.versions.find((x) => x.name === version);
  const subresources: object[] = [];
  const kind = { group: t.group, version, kind: t.kind };
  if (t.crd ? v?.statusSubresource : t.status) subresources.push({ subresource: "status", responseKind: kind, verbs: ["get", "patch", "update"] });
  if (t.crd ? v?.scaleSubresource : t.scale) subresources.push({ subresource: "scale", responseKind: { group: "autoscaling", version: "v1", kind: "Scale" }, verbs: ["get", "patch", "update"] });
  if (t.kind === "Pod" && t.group === "") subresources.push({ subresource: "ephemeralcontainers", responseKind: kind, verbs: ["get", "patch", "update"] });
  if (t.kind === "ServiceAccount") subresources.push({ subresource: "token", responseKind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" }, verbs: ["create"] });
  return {
    resource: t.resource,
    responseKind: kind,
    scope: t.namespaced ? "Namespaced" : "Cluster",
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
    ...(subresources.length ? { subresources } : {}),
  };
}

function groupEntry(registry: Registry, group: string, versions: string[]): object {
  return {
    metadata: { name: group, creationTimestamp: null },
    versions: [...versions].sort(compareVersions).map((version) => ({
      version,
      resources: registry.inGroupVersion(group, version).map((t) => resource(t, version)),
      freshness: "Current",
    })),
  };
}

/** The document for /api (core group only) or /apis (every named group). */
export function aggregatedDiscovery(registry: Registry, core: boolean): object {
  const items = core ? [groupEntry(registry, "", ["v1"])] : [...registry.groups()].map(([g, versions]) => groupEntry(registry, g, versions));
  return { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items };
}
