/**
 * @module
 * Turns a valibot schema into a Kubernetes structural openAPIV3Schema: the
 * converter's OpenAPI 3.0 output, normalised for apiextensions (no `$ref`, no
 * `additionalProperties: false`, no `type: null`, a type on every node, integer formats).
 */
import { toJsonSchema, type JsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { celTwinOf } from "../lib/policy/schema.ts";

export type Schema = Record<string, unknown>;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Converts with errorMode "throw" (the default): an unsupported action fails the build. */
export function toStructuralSchema(schema: v.GenericSchema): Schema {
  const json = toJsonSchema(schema, {
    target: "openapi-3.0",
    overrideAction: ({ valibotAction, jsonSchema }) => {
      if (valibotAction.type !== "partial_check") return undefined;
      const twin = celTwinOf(valibotAction);
      if (!twin) throw new Error("a cross-field check without a CEL twin cannot go into the CRD");
      const existing = (jsonSchema as Schema)["x-kubernetes-validations"] as unknown[] | undefined;
      return { ...jsonSchema, "x-kubernetes-validations": [...(existing ?? []), twin] } as JsonSchema;
    },
  });
  return normalise(json as Schema, (json as Schema).$defs as Record<string, Schema> | undefined);
}

function inlineRef(ref: string, defs: Record<string, Schema> | undefined): Schema {
  const name = ref.replace(/^#\/(\$defs|definitions|components\/schemas)\//, "");
  const target = defs?.[name];
  if (!target) throw new Error(`unresolvable $ref ${ref}`);
  return target;
}

function typeOfEnum(values: unknown[]): string {
  const types = new Set(values.map((item) => (typeof item === "number" && Number.isInteger(item) ? "integer" : typeof item)));
  if (types.size !== 1) throw new Error(`a structural enum needs one type, got ${[...types].join(", ")}`);
  return [...types][0] as string;
}

/** Recursively rewrites one node; exported for tests of the individual rules. */
export function normalise(node: Schema, defs?: Record<string, Schema>): Schema {
  if (typeof node.$ref === "string") return normalise({ ...inlineRef(node.$ref, defs), ...omit(node, ["$ref"]) }, defs);
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema" || key === "$defs" || key === "definitions" || key === "propertyNames") continue;
    if (key === "additionalProperties" && value === false) continue;
    if (key === "required" && Array.isArray(value) && value.length === 0) continue;
    if (key === "properties") out.properties = mapValues(value as Record<string, Schema>, (p) => normalise(p, defs));
    else if (key === "items") out.items = normalise(value as Schema, defs);
    else if (key === "additionalProperties" && typeof value === "object") out.additionalProperties = normalise(value as Schema, defs);
    else if (key === "anyOf" || key === "oneOf") Object.assign(out, collapseNullable(value as Schema[], defs));
    else if (key === "const") out.enum = [value];
    else out[key] = value;
  }
  if (out.type === undefined && Array.isArray(out.enum)) out.type = typeOfEnum(out.enum);
  if (out.type === "integer" && out.format === undefined) out.format = fitsInt32(out) ? "int32" : "int64";
  return orderKeys(out);
}

function fitsInt32(node: Schema): boolean {
  const [min, max] = [node.minimum, node.maximum];
  return typeof min === "number" && typeof max === "number" && min >= INT32_MIN && max <= INT32_MAX;
}

/** `anyOf: [X, {type: null}]` (valibot nullable) becomes X with `nullable: true`. */
function collapseNullable(options: Schema[], defs?: Record<string, Schema>): Schema {
  const rest = options.filter((o) => o.type !== "null");
  if (rest.length !== 1) throw new Error("a structural schema cannot hold a union; model it as one type");
  return { ...normalise(rest[0] as Schema, defs), ...(rest.length < options.length ? { nullable: true } : {}) };
}

/** A stable, readable key order: type and format first, then description, then the rest. */
function orderKeys(node: Schema): Schema {
  const first = ["type", "format", "description", "nullable", "enum"];
  const ordered: Schema = {};
  for (const key of first) if (key in node) ordered[key] = node[key];
  for (const [key, value] of Object.entries(node)) if (!(key in ordered)) ordered[key] = value;
  return ordered;
}

function omit(node: Schema, keys: string[]): Schema {
  return Object.fromEntries(Object.entries(node).filter(([k]) => !keys.includes(k)));
}

function mapValues(record: Record<string, Schema>, fn: (value: Schema) => Schema): Record<string, Schema> {
  return Object.fromEntries(Object.entries(record).map(([k, value]) => [k, fn(value)]));
}
