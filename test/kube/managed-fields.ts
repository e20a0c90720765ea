/**
 * @module
 * Field ownership for server-side apply (structured-merge-diff, simplified): field sets as
 * FieldsV1 trees in metadata.managedFields, "Update" ownership taken by ordinary writes,
 * "Apply" ownership per field manager with conflicts, forced transfer and removal of fields a
 * manager stops applying. Lists are maps (merge keys / x-kubernetes-list-map-keys), sets or
 * atomic, as the schema says.
 */
import { MERGE_KEYS_BY_FIELD, MERGE_PRIMITIVE_FIELDS } from "./patch.ts";
import type { JsonSchema, KubeObject } from "./types.ts";
import { deepEqual, isObj } from "./util.ts";

type Obj = Record<string, unknown>;
const SEP = "\u0000";

/** How list fields are merged: by the built-in merge keys, or by a CRD's schema. */
export interface SchemaContext {
  builtin: boolean;
  schema?: JsonSchema;
}

type ListInfo = { kind: "map"; keys: string[] } | { kind: "set" } | { kind: "atomic" };

function childSchema(schema: JsonSchema | undefined, key: string): JsonSchema | undefined {
  if (!schema) return undefined;
  return schema.properties?.[key] ?? (isObj(schema.additionalProperties) ? schema.additionalProperties : undefined);
}

function listInfo(field: string, items: unknown[], ctx: SchemaContext, schema: JsonSchema | undefined): ListInfo {
  if (ctx.builtin) {
    const k = MERGE_KEYS_BY_FIELD(field, items);
    if (k && items.every(isObj)) return { kind: "map", keys: [k] };
    if (MERGE_PRIMITIVE_FIELDS.has(field)) return { kind: "set" };
    return { kind: "atomic" };
  }
  if (field === "finalizers") return { kind: "set" };
  if (field === "ownerReferences") return { kind: "map", keys: ["uid"] };
  const t = schema?.["x-kubernetes-list-type"];
  if (t === "map" && schema?.["x-kubernetes-list-map-keys"]?.length) return { kind: "map", keys: schema["x-kubernetes-list-map-keys"] };
  if (t === "set") return { kind: "set" };
  return { kind: "atomic" };
}

const itemSeg = (item: Obj, keys: string[]): string => `k:${JSON.stringify(Object.fromEntries(keys.map((k) => [k, item[k]])))}`;

/** Leaf paths (joined segments) → values, for the parts of an object field managers own. */
export function leafValues(obj: Obj, ctx: SchemaContext, skipMetadataSystem = true): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, schema: JsonSchema | undefined, path: string[], field: string): void => {
    if (isObj(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0 && path.length > 0) out.set(path.join(SEP), {});
      for (const k of keys) {
        if (path.length === 0 && (k === "apiVersion" || k === "kind")) continue;
        if (skipMetadataSystem && path.length === 1 && path[0] === "f:metadata" && !["labels", "annotations", "finalizers", "ownerReferences"].includes(k)) continue;
        walk(v[k], childSchema(schema, k), [...path, `f:${k}`], k);
      }
    } else if (Array.isArray(v)) {
      const info = listInfo(field, v, ctx, schema);
      if (info.kind === "map") {
        for (const item of v as Obj[]) {
          const p = [...path, itemSeg(item, info.keys)];
          out.set([...p, "."].join(SEP), item);
          walk(item, schema?.items, p, "");
        }
      } else if (info.kind === "set") {
        for (const item of v) out.set([...path, `v:${JSON.stringify(item)}`].join(SEP), item);
      } else out.set(path.join(SEP), v);
    } else out.set(path.join(SEP), v);
  };
  walk(obj, ctx.schema, [], "");
  return out;
}

/** A FieldsV1 tree from a set of paths. */
export function toFieldsV1(paths: Iterable<string>): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let cur = root;
    for (const seg of p.split(SEP)) {
      cur[seg] ??= {};
      cur = cur[seg] as Obj;
    }
  }
  return root;
}

/** The set of paths of a FieldsV1 tree (leaves and "." markers). */
export function fromFieldsV1(tree: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, path: string[]): void => {
    if (!isObj(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) out.add(path.join(SEP));
    for (const k of keys) walk(node[k], [...path, k]);
  };
  walk(tree, []);
  return out;
}

export interface ManagerEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  subresource?: string;
  fields: Set<string>;
}

export function readManagers(obj: KubeObject): ManagerEntry[] {
  const mf = obj.metadata.managedFields;
  if (!Array.isArray(mf)) return [];
  return mf.filter(isObj).map((e) => ({
    manager: String(e.manager ?? ""),
    operation: e.operation === "Apply" ? "Apply" : "Update",
    apiVersion: String(e.apiVersion ?? ""),
    time: String(e.time ?? ""),
    ...(typeof e.subresource === "string" && e.subresource ? { subresource: e.subresource } : {}),
    fields: fromFieldsV1(e.fieldsV1),
  }));
}

export function writeManagers(obj: KubeObject, entries: ManagerEntry[]): void {
  const kept = entries.filter((e) => e.fields.size > 0);
  obj.metadata.managedFields = kept.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    time: e.time,
    fieldsType: "FieldsV1",
    fieldsV1: toFieldsV1(e.fields),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
  if (kept.length === 0) delete obj.metadata.managedFields;
}

function strip(obj: KubeObject): Obj {
  const { managedFields: _m, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

/** Records an ordinary write: `manager` takes the fields it changed ("Update" operation). */
export function recordUpdate(prev: KubeObject | undefined, next: KubeObject, manager: string, ctx: SchemaContext, time: string, subresource?: string): void {
  const entries = prev ? readManagers(prev) : [];
  const before = prev ? leafValues(strip(prev), ctx) : new Map<string, unknown>();
  const after = leafValues(strip(next), ctx);
  const changed = new Set<string>();
  for (const [p, v] of after) if (!before.has(p) || !deepEqual(before.get(p), v)) changed.add(p);
  for (const e of entries) {
    for (const p of [...e.fields]) if (changed.has(p) || !after.has(p)) e.fields.delete(p);
  }
  if (changed.size > 0) {
    let mine = entries.find((e) => e.manager === manager && e.operation === "Update" && (e.subresource ?? "") === (subresource ?? ""));
    if (!mine) {
      mine = { manager, operation: "Update", apiVersion: String(next.apiVersion), time, ...(subresource ? { subresource } : {}), fields: new Set() };
      entries.push(mine);
    }
    for (const p of changed) mine.fields.add(p);
    mine.time = time;
  }
  writeManagers(next, entries);
}

function segments(path: string): string[] {
  return path.split(SEP);
}

/** `.spec.template.spec.containers[name="app"].image` as the apiserver prints conflicts. */
export function describePath(path: string): string {
  let out = "";
  for (const seg of segments(path)) {
    if (seg === ".") continue;
    if (seg.startsWith("f:")) out += `.${seg.slice(2)}`;
    else if (seg.startsWith("k:")) {
      const k = JSON.parse(seg.slice(2)) as Obj;
      out += `[${Object.entries(k).map(([a, b]) => `${a}=${JSON.stringify(b)}`).join(",")}]`;
    } else if (seg.startsWith("v:")) out += `[=${seg.slice(2)}]`;
  }
  return out;
}

function findItem(list: unknown[], seg: string): number {
  const key = JSON.parse(seg.slice(2)) as Obj;
  return list.findIndex((i) => isObj(i) && Object.entries(key).every(([k, v]) => deepEqual(i[k], v)));
}

/** Removes the field at `path` from `obj` (items when the path ends in "."). */
export function removePath(obj: Obj, path: string): void {
  const segs = segments(path);
  let cur: unknown = obj;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1 || (i === segs.length - 2 && segs[i + 1] === ".");
    if (seg.startsWith("f:")) {
      if (!isObj(cur)) return;
      if (last) {
        delete cur[seg.slice(2)];
        return;
      }
      cur = cur[seg.slice(2)];
    } else if (seg.startsWith("k:") || seg.startsWith("v:")) {
      if (!Array.isArray(cur)) return;
      const idx = seg.startsWith("k:") ? findItem(cur, seg) : cur.findIndex((x) => JSON.stringify(x) === seg.slice(2));
      if (idx < 0) return;
      if (last) {
        cur.splice(idx, 1);
        return;
      }
      cur = cur[idx];
    }
  }
}

/** Merges an applied configuration into the live object (maps recurse, list maps by key). */
export function mergeApplied(live: unknown, cfg: unknown, ctx: SchemaContext, schema: JsonSchema | undefined, field = ""): unknown {
  if (isObj(cfg)) {
    const out: Obj = isObj(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(cfg)) {
      if (v === null) delete out[k];
      else out[k] = mergeApplied(out[k], v, ctx, childSchema(schema, k), k);
    }
    return out;
  }
  if (Array.isArray(cfg)) {
    const info = listInfo(field, cfg, ctx, schema);
    if (info.kind === "atomic" || !Array.isArray(live)) return structuredClone(cfg);
    const out = [...live];
    if (info.kind === "set") {
      for (const v of cfg) if (!out.some((x) => deepEqual(x, v))) out.push(v);
      return out;
    }
    for (const item of cfg as Obj[]) {
      const idx = findItem(out, itemSeg(item, info.keys));
      if (idx >= 0) out[idx] = mergeApplied(out[idx], item, ctx, schema?.items);
      else out.push(structuredClone(item));
    }
    return out;
  }
  return cfg;
}

export interface ApplyResult {
  object: KubeObject;
  conflicts: { manager: string; apiVersion: string; path: string }[];
}

/**
 * Server-side apply of `cfg` by `manager` onto `live` (undefined: create). Conflicts with other
 * managers' differing fields are reported unless `force`, which takes them over.
 */
export function applyConfiguration(live: KubeObject | undefined, cfg: KubeObject, manager: string, force: boolean, ctx: SchemaContext, time: string): ApplyResult {
  const entries = live ? readManagers(live) : [];
  const applied = leafValues(cfg as Obj, ctx, true);
  for (const k of [...applied.keys()]) if (k === "f:metadata" + SEP + "f:name" || k === "f:metadata" + SEP + "f:namespace") applied.delete(k);
  const liveValues = live ? leafValues(strip(live), ctx) : new Map<string, unknown>();
  const conflicts: ApplyResult["conflicts"] = [];
  for (const e of entries) {
    if (e.manager === manager && e.operation === "Apply") continue;
    for (const p of e.fields) {
      if (!applied.has(p) || p.endsWith(`${SEP}.`)) continue;
      if (liveValues.has(p) && deepEqual(liveValues.get(p), applied.get(p))) continue;
      if (force) e.fields.delete(p);
      else conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, path: p });
    }
  }
  if (conflicts.length > 0) return { object: live!, conflicts };
  let mine = entries.find((e) => e.manager === manager && e.operation === "Apply");
  const base = (live ? structuredClone(strip(live)) : {}) as Obj;
  if (mine) {
    const othersOwn = new Set(entries.filter((e) => e !== mine).flatMap((e) => [...e.fields]));
    const dropped = [...mine.fields].filter((p) => !applied.has(p) && !othersOwn.has(p));
    // a dropped list item goes whole: its own fields need no separate removal (and would
    // break the item's key before the item is found)
    const items = dropped.filter((p) => p.endsWith(`${SEP}.`)).map((p) => p.slice(0, -1));
    for (const p of dropped) if (p.endsWith(`${SEP}.`) || !items.some((i) => p.startsWith(i))) removePath(base, p);
  }
  const merged = mergeApplied(base, cfg, ctx, ctx.schema) as KubeObject;
  if (!mine) {
    mine = { manager, operation: "Apply", apiVersion: String(cfg.apiVersion ?? live?.apiVersion ?? ""), time, fields: new Set() };
    entries.push(mine);
  }
  mine.fields = new Set(applied.keys());
  mine.time = time;
  writeManagers(merged, entries);
  return { object: merged, conflicts: [] };
}
