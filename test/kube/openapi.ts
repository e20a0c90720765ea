/**
 * @module
 * OpenAPI v3 discovery as far as kubectl's default `--validate=strict` needs it: the
 * /openapi/v3 index and one document per group-version whose PATCH operations carry
 * `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter, so kubectl
 * leaves validation to the server (Strict field validation) instead of asking for /openapi/v2.
 * Schemas are served for custom resources (their openAPIV3Schema); built-in kinds have none.
 */
import type { Registry } from "./registry.ts";
import type { ResourceType } from "./types.ts";

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** A stable hash of the registry generation, as the index's `?hash=` cache buster. */
function hashOf(registry: Registry): string {
  return `emulator-${registry.generation}`;
}

export function openApiIndex(registry: Registry): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const add = (group: string, version: string): void => {
    const p = gvPath(group, version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(registry)}` };
  };
  add("", "v1");
  for (const [group, versions] of registry.groups()) for (const v of versions) add(group, v);
  return { paths };
}

const QUERY = (name: string, type = "string"): object => ({ name, in: "query", schema: { type }, description: "" });

function operations(t: ResourceType, version: string, collection: boolean): Record<string, object> {
  const gvk = { group: t.group, version, kind: t.kind };
  const op = (id: string, params: object[]): object => ({ operationId: id, "x-kubernetes-action": id.split(/(?=[A-Z])/)[0], "x-kubernetes-group-version-kind": gvk, parameters: params, responses: { "200": { description: "OK" } } });
  const write = [QUERY("dryRun"), QUERY("fieldManager"), QUERY("fieldValidation")];
  if (collection) return { get: op(`list${t.kind}`, [QUERY("labelSelector"), QUERY("fieldSelector"), QUERY("limit", "integer")]), post: op(`create${t.kind}`, write) };
  return { get: op(`read${t.kind}`, []), put: op(`replace${t.kind}`, write), patch: op(`patch${t.kind}`, [...write, QUERY("force", "boolean")]), delete: op(`delete${t.kind}`, [QUERY("dryRun")]) };
}

export function openApiDocument(registry: Registry, group: string, version: string): object | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  const base = `/${gvPath(group, version)}`;
  for (const t of types) {
    if (t.virtual) continue;
    const ns = t.namespaced ? "/namespaces/{namespace}" : "";
    paths[`${base}${ns}/${t.resource}`] = operations(t, version, true);
    paths[`${base}${ns}/${t.resource}/{name}`] = operations(t, version, false);
    const schema = t.crd?.versions.find((v) => v.name === version)?.schema;
    if (schema) schemas[`${t.group.split(".").reverse().join(".")}.${version}.${t.kind}`] = { ...schema, "x-kubernetes-group-version-kind": [{ group: t.group, version, kind: t.kind }] };
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.32.0" }, paths, components: { schemas } };
}
