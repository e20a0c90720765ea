/**
 * @module
 * Custom resource validation against a CRD's openAPIV3Schema and pruning of unknown fields,
 * following apiextensions-apiserver: prune recursively (apiVersion/kind/metadata kept at the
 * root and in x-kubernetes-embedded-resource objects; x-kubernetes-preserve-unknown-fields
 * keeps unknown fields), then validate types, required, enum, bounds, lengths and patterns
 * with kube-openapi's messages.
 */
import type { FieldError } from "./status.ts";
import type { JsonSchema } from "./types.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

const META_KEYS = new Set(["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields"]);

/** Drops unknown fields of an ObjectMeta (the real decoder does the same). */
function pruneMeta(meta: unknown): void {
  if (!isObj(meta)) return;
  for (const k of Object.keys(meta)) if (!META_KEYS.has(k)) delete meta[k];
}

/**
 * Prunes `value` in place against `schema`; `root` keeps apiVersion/kind/metadata. The paths of
 * dropped fields are appended to `pruned` (for fieldValidation Warn/Strict).
 */
export function pruneUnknown(value: unknown, schema: JsonSchema | undefined, root = true, path = "", pruned?: string[]): void {
  if (!schema) return;
  if (isObj(value)) {
    const embedded = root || schema["x-kubernetes-embedded-resource"] === true;
    const props = schema.properties;
    const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
    const addl = schema.additionalProperties;
    for (const key of Object.keys(value)) {
      if (embedded && (key === "apiVersion" || key === "kind")) continue;
      if (embedded && key === "metadata") {
        pruneMeta(value[key]);
        continue;
      }
      const sub = props?.[key];
      const p = path ? `${path}.${key}` : key;
      if (sub) pruneUnknown(value[key], sub, false, p, pruned);
      else if (isObj(addl)) pruneUnknown(value[key], addl, false, p, pruned);
      else if (!preserve && addl !== true) {
        delete value[key];
        pruned?.push(p);
      }
    }
    for (const s of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
      if (s.properties) for (const [k, sub] of Object.entries(s.properties)) if (k in value && !props?.[k]) pruneUnknown(value[k], sub, false, path ? `${path}.${k}` : k, pruned);
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => pruneUnknown(item, schema.items, false, `${path}[${i}]`, pruned));
  }
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(expected: string, v: unknown): boolean {
  const actual = typeOf(v);
  if (expected === "number") return actual === "number" || actual === "integer";
  return actual === expected;
}

/** Validates `value` against `schema`, appending field errors; `path` is the field path. */
export function validateSchema(value: unknown, schema: JsonSchema | undefined, path: string, errors: FieldError[]): void {
  if (!schema) return;
  if (value === null) {
    if (schema.nullable || schema["x-kubernetes-preserve-unknown-fields"] && !schema.type) return;
    if (schema.type) errors.push({ type: "FieldValueTypeInvalid", field: path, value: "null", hasValue: true, detail: `${path} in body must be of type ${schema.type}: "null"` });
    return;
  }
  if (schema["x-kubernetes-int-or-string"]) {
    if (typeOf(value) !== "integer" && typeOf(value) !== "string") errors.push({ type: "FieldValueTypeInvalid", field: path, value: typeOf(value), hasValue: true, detail: `${path} in body must be of type integer,string: "${typeOf(value)}"` });
  } else if (schema.type && !typeMatches(schema.type, value)) {
    errors.push({ type: "FieldValueTypeInvalid", field: path, value: typeOf(value), hasValue: true, detail: `${path} in body must be of type ${schema.type}: "${typeOf(value)}"` });
    return;
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push({ type: "FieldValueNotSupported", field: path, value, hasValue: true, detail: `supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}` });
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined) {
      if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) errors.push({ type: "FieldValueInvalid", field: path, value, hasValue: true, detail: `${path} in body should be greater than ${schema.exclusiveMinimum ? "" : "or equal to "}${schema.minimum}` });
    }
    if (schema.maximum !== undefined) {
      if (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum) errors.push({ type: "FieldValueInvalid", field: path, value, hasValue: true, detail: `${path} in body should be less than ${schema.exclusiveMaximum ? "" : "or equal to "}${schema.maximum}` });
    }
  }
  if (typeof value === "string") {
    const len = [...value].length;
    if (schema.minLength !== undefined && len < schema.minLength) errors.push({ type: "FieldValueInvalid", field: path, value, hasValue: true, detail: `${path} in body should be at least ${schema.minLength} chars long` });
    if (schema.maxLength !== undefined && len > schema.maxLength) errors.push({ type: "FieldValueTooLong", field: path, value, detail: `may not be more than ${schema.maxLength} bytes` });
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) errors.push({ type: "FieldValueInvalid", field: path, value, hasValue: true, detail: `${path} in body should match '${schema.pattern}'` });
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push({ type: "FieldValueInvalid", field: path, value: value.length, hasValue: true, detail: `${path} in body should have at least ${schema.minItems} items` });
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push({ type: "FieldValueTooMany", field: path, value: value.length, hasValue: true, detail: `must have at most ${schema.maxItems} items` });
    if (schema.items) value.forEach((item, i) => validateSchema(item, schema.items, `${path}[${i}]`, errors));
  }
  if (isObj(value)) {
    const n = Object.keys(value).length;
    if (schema.minProperties !== undefined && n < schema.minProperties) errors.push({ type: "FieldValueInvalid", field: path, value: n, hasValue: true, detail: `${path} in body should have at least ${schema.minProperties} properties` });
    if (schema.maxProperties !== undefined && n > schema.maxProperties) errors.push({ type: "FieldValueTooMany", field: path, value: n, hasValue: true, detail: `must have at most ${schema.maxProperties} items` });
    for (const req of schema.required ?? []) {
      if (value[req] === undefined) errors.push({ type: "FieldValueRequired", field: path ? `${path}.${req}` : req, detail: "" });
    }
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties?.[k] ?? (isObj(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (path === "" && (k === "metadata" || k === "apiVersion" || k === "kind")) continue;
      validateSchema(v, sub, path ? `${path}.${k}` : k, errors);
    }
  }
  for (const s of schema.allOf ?? []) validateSchema(value, s, path, errors);
  if (schema.anyOf && !schema.anyOf.some((s) => countErrors(value, s, path) === 0)) {
    errors.push({ type: "FieldValueInvalid", field: path, value, hasValue: true, detail: `${path} in body must match at least one schema in anyOf` });
  }
  if (schema.oneOf && schema.oneOf.filter((s) => countErrors(value, s, path) === 0).length !== 1) {
    errors.push({ type: "FieldValueInvalid", field: path, value, hasValue: true, detail: `${path} in body must validate one and only one schema (oneOf)` });
  }
  if (schema.not && countErrors(value, schema.not, path) === 0) {
    errors.push({ type: "FieldValueInvalid", field: path, value, hasValue: true, detail: `${path} in body should not validate the schema (not)` });
  }
}

function countErrors(value: unknown, schema: JsonSchema, path: string): number {
  const errs: FieldError[] = [];
  validateSchema(value, schema, path, errs);
  return errs.length;
}

/** Applies `default`s of the schema to absent fields (structural defaulting), in place. */
export function applySchemaDefaults(value: unknown, schema: JsonSchema | undefined): void {
  if (!schema) return;
  if (isObj(value)) {
    for (const [k, sub] of Object.entries(schema.properties ?? {})) {
      if (value[k] === undefined && sub.default !== undefined) value[k] = structuredClone(sub.default);
      if (value[k] !== undefined) applySchemaDefaults(value[k], sub);
    }
    if (isObj(schema.additionalProperties)) for (const v of Object.values(value)) applySchemaDefaults(v, schema.additionalProperties);
  } else if (Array.isArray(value) && schema.items) {
    for (const item of value) applySchemaDefaults(item, schema.items);
  }
}
