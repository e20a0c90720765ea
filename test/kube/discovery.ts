/**
 * @module
 * Legacy discovery documents (/version, /api, /api/v1, /apis, /apis/<g>/<v>) built from the
 * registry, as a v1.32 server answers them. kubectl accepts these in place of aggregated
 * discovery (see kubectl-wire-notes.md).
 */
import type { Registry } from "./registry.ts";
import type { ResourceType } from "./types.ts";

export const SERVER_VERSION = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0-emulator",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.23.0",
  compiler: "gc",
  platform: "linux/amd64",
};

/** Orders versions as Kubernetes does: GA > beta > alpha, higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] => {
    const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
    if (!m) return [-1, 0, 0];
    return [m[2] === "alpha" ? 1 : m[2] === "beta" ? 2 : 3, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [pa, pb] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i]! - pa[i]!;
  return a.localeCompare(b);
}

export function apiVersions(serverAddress: string): object {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

export function apiGroupList(registry: Registry): object {
  const groups = [...registry.groups().entries()].map(([name, versions]) => {
    const sorted = [...versions].sort(compareVersions);
    return { name, versions: sorted.map((v) => ({ groupVersion: `${name}/${v}`, version: v })), preferredVersion: { groupVersion: `${name}/${sorted[0]}`, version: sorted[0] } };
  });
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

export function apiGroup(registry: Registry, group: string): object | undefined {
  const versions = registry.groups().get(group);
  if (!versions) return undefined;
  const sorted = [...versions].sort(compareVersions);
  return { kind: "APIGroup", apiVersion: "v1", name: group, versions: sorted.map((v) => ({ groupVersion: `${group}/${v}`, version: v })), preferredVersion: { groupVersion: `${group}/${sorted[0]}`, version: sorted[0] } };
}

function resourceEntries(t: ResourceType, version: string): object[] {
  const main = {
    name: t.resource,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.verbs,
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
  };
  const out: object[] = [main];
  const v = t.crd?.versions.find((x) => x.name === version);
  if (t.crd ? v?.statusSubresource : t.status) out.push({ name: `${t.resource}/status`, singularName: "", namespaced: t.namespaced, kind: t.kind, verbs: ["get", "patch", "update"] });
  if (t.crd ? v?.scaleSubresource : t.scale) out.push({ name: `${t.resource}/scale`, singularName: "", namespaced: t.namespaced, group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] });
  if (t.kind === "Pod" && t.group === "") out.push({ name: "pods/ephemeralcontainers", singularName: "", namespaced: true, kind: "Pod", verbs: ["get", "patch", "update"] });
  if (t.kind === "ServiceAccount") out.push({ name: "serviceaccounts/token", singularName: "", namespaced: true, group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", verbs: ["create"] });
  if (t.kind === "Namespace") out.push({ name: "namespaces/finalize", singularName: "", namespaced: false, kind: "Namespace", verbs: ["update"] });
  return out;
}

export function apiResourceList(registry: Registry, group: string, version: string): object | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: types.flatMap((t) => resourceEntries(t, version)),
  };
}
