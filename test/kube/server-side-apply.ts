/**
 * @module
 * The HTTP edges of server-side apply: decoding the apply configuration (YAML or JSON) and the
 * 409 Conflict a real server answers when other managers own differing fields.
 */
import { parse as parseYaml } from "yaml";
import { describePath } from "./managed-fields.ts";
import { StatusError, badRequest } from "./status.ts";
import type { KubeObject, ResourceType } from "./types.ts";
import { isObj } from "./util.ts";

/** Parses the body of an application/apply-patch+yaml request; 400 for what a server rejects. */
export function parseApplyConfiguration(body: string, name: string, fieldManager: string | undefined): KubeObject {
  if (!fieldManager) throw badRequest("PATCH, application/apply-patch+yaml requests must provide a fieldManager query parameter");
  let applied: unknown;
  try {
    applied = parseYaml(body);
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
  if (!isObj(applied)) throw badRequest("the apply configuration is not an object");
  const cfg = applied as KubeObject;
  if (!cfg.apiVersion || !cfg.kind) throw badRequest(`invalid object type: ${String(cfg.apiVersion ?? "")}, Kind=${String(cfg.kind ?? "")}`);
  cfg.metadata ??= {};
  if (cfg.metadata.name && cfg.metadata.name !== name) throw badRequest(`the name of the object (${cfg.metadata.name}) does not match the name on the URL (${name})`);
  cfg.metadata.name = name;
  return cfg;
}

/** The object with managedFields timestamps blanked: an apply that changes nothing is a no-op. */
export function withoutManagerTimes(obj: KubeObject): KubeObject {
  const mf = Array.isArray(obj.metadata.managedFields) ? obj.metadata.managedFields.map((e) => ({ ...(e as object), time: "" })) : undefined;
  return { ...obj, metadata: { ...obj.metadata, managedFields: mf } };
}

/** 409 Conflict of server-side apply, worded as structured-merge-diff words it. */
export function applyConflict(t: ResourceType, name: string, conflicts: { manager: string; apiVersion: string; path: string }[]): StatusError {
  const n = conflicts.length;
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(`"${c.manager}" using ${c.apiVersion}`, [...(byManager.get(`"${c.manager}" using ${c.apiVersion}`) ?? []), describePath(c.path)]);
  const parts = [...byManager].map(([who, paths]) => (paths.length === 1 ? `conflict with ${who}: ${paths[0]}` : `conflicts with ${who}:\n${paths.map((p) => `- ${p}`).join("\n")}`));
  const message = `Apply failed with ${n} conflict${n === 1 ? "" : "s"}: ${parts.join("\n")}`;
  return new StatusError(409, "Conflict", message, {
    name,
    ...(t.group ? { group: t.group } : {}),
    kind: t.resource,
    causes: conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: describePath(c.path) })),
  });
}

