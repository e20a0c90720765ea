/**
 * @module
 * The three PATCH content types: RFC 6902 JSON patch (incl. `test`), RFC 7386 merge patch and
 * Kubernetes strategic merge patch with the list merge keys of the built-in types
 * (containers by name, ports by containerPort/port, env by name, volumes by name, volumeMounts
 * by mountPath, ...) and the `$patch`, `$retainKeys`, `$setElementOrder` and
 * `$deleteFromPrimitiveList` directives.
 */
import { StatusError, badRequest } from "./status.ts";
import { deepEqual, isObj } from "./util.ts";

type Json = unknown;
type Obj = Record<string, unknown>;

/** The 422 a real server answers when a JSON patch cannot be applied (incl. failed `test`). */
function patchApplyError(message: string): StatusError {
  return new StatusError(422, "Invalid", "the server rejected our request due to an error in our request", { causes: [{ reason: "UnexpectedServerResponse", message }] });
}

function unescapePointer(seg: string): string {
  return seg.replace(/~1/g, "/").replace(/~0/g, "~");
}

function parsePointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw patchApplyError(`invalid JSON pointer: ${path}`);
  return path.slice(1).split("/").map(unescapePointer);
}

function locate(doc: Json, segs: string[], what: string): { parent: Obj | Json[]; key: string } {
  let cur: Json = doc;
  for (const seg of segs.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else cur = undefined;
    if (cur === undefined || cur === null) throw patchApplyError(`${what} operation does not apply: doc is missing path: "/${segs.join("/")}": missing value`);
  }
  if (!Array.isArray(cur) && !isObj(cur)) throw patchApplyError(`${what} operation does not apply: doc is missing path: "/${segs.join("/")}": missing value`);
  return { parent: cur as Obj | Json[], key: segs[segs.length - 1] ?? "" };
}

function getAt(doc: Json, path: string, what: string): Json {
  const segs = parsePointer(path);
  if (segs.length === 0) return doc;
  const { parent, key } = locate(doc, segs, what);
  const v = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (v === undefined) throw patchApplyError(`${what} operation does not apply: doc is missing path: "${path}": missing value`);
  return v;
}

function removeAt(doc: Json, path: string, what: string): Json {
  const { parent, key } = locate(doc, parsePointer(path), what);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw patchApplyError(`${what} operation does not apply: doc is missing path: "${path}": missing value`);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw patchApplyError(`${what} operation does not apply: doc is missing path: "${path}": missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: Json, path: string, value: Json, what: string, replace: boolean): Json {
  const segs = parsePointer(path);
  if (segs.length === 0) return value;
  const { parent, key } = locate(doc, segs, what);
  if (Array.isArray(parent)) {
    const i = key === "-" ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length)) throw patchApplyError(`${what} operation does not apply: doc is missing path: "${path}": missing value`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(key in parent)) throw patchApplyError(`${what} operation does not apply: doc is missing key: ${path}: missing value`);
    parent[key] = value;
  }
  return doc;
}

/** Applies an RFC 6902 JSON patch to a copy of `doc`. */
export function applyJsonPatch(doc: Json, patchText: string): Json {
  let ops: unknown;
  try {
    ops = JSON.parse(patchText);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
  if (!Array.isArray(ops)) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  let out = structuredClone(doc);
  for (const op of ops as Obj[]) {
    const path = String(op.path ?? "");
    switch (op.op) {
      case "add":
        out = addAt(out, path, structuredClone(op.value), "add", false);
        break;
      case "replace":
        out = addAt(out, path, structuredClone(op.value), "replace", true);
        break;
      case "remove":
        removeAt(out, path, "remove");
        break;
      case "move": {
        const v = removeAt(out, String(op.from), "move");
        out = addAt(out, path, v, "move", false);
        break;
      }
      case "copy":
        out = addAt(out, path, structuredClone(getAt(out, String(op.from), "copy")), "copy", false);
        break;
      case "test": {
        const v = getAt(out, path, "test");
        if (!deepEqual(v, op.value)) throw patchApplyError(`testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw badRequest(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return out;
}

/** Applies an RFC 7386 merge patch. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** Lists whose elements merge by a key (patchMergeKey) in the built-in types. */
const MERGE_KEYS: Record<string, string | ((items: unknown[]) => string)> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  imagePullSecrets: "name",
  hostAliases: "ip",
  conditions: "type",
  ownerReferences: "uid",
  topologySpreadConstraints: "topologyKey",
  resourceClaims: "name",
  secrets: "name",
  webhooks: "name",
  podIPs: "ip",
  hostIPs: "ip",
  addresses: "type",
  ports: (items) => (items.some((i) => isObj(i) && "containerPort" in i) ? "containerPort" : "port"),
};

/** Primitive lists with patchStrategy=merge (set semantics). */
const MERGE_PRIMITIVE = new Set(["finalizers"]);

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  const k = MERGE_KEYS[field];
  return typeof k === "function" ? k(items) : k;
}

/** The merge key of a built-in list field (shared with server-side apply). */
export const MERGE_KEYS_BY_FIELD = mergeKeyFor;
export const MERGE_PRIMITIVE_FIELDS: ReadonlySet<string> = MERGE_PRIMITIVE;

function mergeList(orig: unknown, patch: unknown[], key: string): unknown[] {
  if (patch.some((p) => isObj(p) && p.$patch === "replace")) {
    return patch.filter((p) => !(isObj(p) && p.$patch === "replace")).map((p) => strategicMerge({}, p));
  }
  const out = Array.isArray(orig) ? [...orig] : [];
  for (const item of patch) {
    if (!isObj(item)) {
      out.push(item);
      continue;
    }
    const idx = out.findIndex((o) => isObj(o) && deepEqual(o[key], item[key]));
    if (item.$patch === "delete") {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], item);
    else out.push(strategicMerge({}, item));
  }
  return out;
}

function reorder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const pos = (v: unknown): number => order.findIndex((o) => (key && isObj(o) && isObj(v) ? deepEqual(o[key], v[key]) : deepEqual(o, v)));
  const listed = list.filter((v) => pos(v) >= 0).sort((a, b) => pos(a) - pos(b));
  const rest = list.filter((v) => pos(v) < 0);
  return [...listed, ...rest];
}

/** Applies a strategic merge patch (built-in types only; CRs get 415 from the caller). */
export function strategicMerge(original: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  if (patch.$patch === "delete") return undefined;
  if (patch.$patch === "replace") {
    const { $patch: _p, ...rest } = patch;
    return strategicMerge({}, rest);
  }
  const out: Obj = isObj(original) ? { ...original } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  const orders: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch" || k === "$retainKeys") continue;
    if (k.startsWith("$setElementOrder/")) {
      if (Array.isArray(v)) orders.push([k.slice("$setElementOrder/".length), v]);
      continue;
    }
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      const field = k.slice("$deleteFromPrimitiveList/".length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = (out[field] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const key = mergeKeyFor(k, [...v, ...(Array.isArray(out[k]) ? (out[k] as unknown[]) : [])]);
      if (key && v.every((i) => isObj(i))) out[k] = mergeList(out[k], v, key);
      else if (MERGE_PRIMITIVE.has(k)) {
        const cur = Array.isArray(out[k]) ? [...(out[k] as unknown[])] : [];
        for (const x of v) if (!cur.some((c) => deepEqual(c, x))) cur.push(x);
        out[k] = cur;
      } else out[k] = v.map((i) => (isObj(i) ? strategicMerge({}, i) : i));
    } else if (isObj(v)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  for (const [field, order] of orders) {
    if (Array.isArray(out[field])) out[field] = reorder(out[field] as unknown[], order, mergeKeyFor(field, order));
  }
  return out;
}

export const PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"] as const;
export type PatchType = (typeof PATCH_TYPES)[number];
