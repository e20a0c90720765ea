/**
 * CRD structural schema behaviour from the Kubernetes documentation ("Extend the Kubernetes API
 * with CustomResourceDefinitions": pruning, x-kubernetes-preserve-unknown-fields,
 * x-kubernetes-embedded-resource, validation) and kube-openapi's error messages.
 */
import { describe, expect, test } from "bun:test";
import { pruneUnknown, validateSchema } from "./schema.ts";
import { describeFieldError, type FieldError } from "./status.ts";
import type { JsonSchema } from "./types.ts";

const schema: JsonSchema = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      required: ["replicas"],
      properties: {
        replicas: { type: "integer", minimum: 1, maximum: 10 },
        mode: { type: "string", enum: ["audit", "enforce"] },
        name: { type: "string", pattern: "^[a-z]+$", maxLength: 5 },
        items: { type: "array", maxItems: 2, items: { type: "object", properties: { k: { type: "string" } } } },
        labels: { type: "object", additionalProperties: { type: "string" } },
        free: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { known: { type: "object", properties: { a: { type: "string" } } } } },
        nested: { type: "object", "x-kubernetes-embedded-resource": true, properties: { spec: { type: "object" } } },
        opt: { type: "string", nullable: true },
      },
    },
  },
};

const errorsOf = (v: unknown): string[] => {
  const errs: FieldError[] = [];
  validateSchema(v, schema, "", errs);
  return errs.map((e) => `${e.field}: ${describeFieldError(e)}`);
};

describe("pruning", () => {
  test("unknown fields are dropped recursively; apiVersion/kind/metadata are kept at the root", () => {
    const obj = { apiVersion: "x/v1", kind: "X", metadata: { name: "a", bogusMeta: 1 }, spec: { replicas: 1, junk: 1, items: [{ k: "v", extra: 2 }] }, top: 1 };
    const pruned: string[] = [];
    pruneUnknown(obj, schema, true, "", pruned);
    expect(obj).toEqual({ apiVersion: "x/v1", kind: "X", metadata: { name: "a" }, spec: { replicas: 1, items: [{ k: "v" }] } } as any);
    expect(pruned.sort()).toEqual(["spec.items[0].extra", "spec.junk", "top"]);
  });

  test("x-kubernetes-preserve-unknown-fields keeps unknown fields but still prunes inside known ones", () => {
    const obj = { spec: { free: { anything: { deep: 1 }, known: { a: "x", b: "dropped" } } } };
    pruneUnknown(obj, schema);
    expect(obj.spec.free).toEqual({ anything: { deep: 1 }, known: { a: "x" } } as any);
  });

  test("additionalProperties schemas keep map keys", () => {
    const obj = { spec: { labels: { a: "1", b: "2" } } };
    pruneUnknown(obj, schema);
    expect(obj.spec.labels).toEqual({ a: "1", b: "2" });
  });

  test("embedded resources keep apiVersion, kind and metadata", () => {
    const obj = { spec: { nested: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {}, status: {} } } };
    pruneUnknown(obj, schema);
    expect(obj.spec.nested).toEqual({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} } as any);
  });
});

describe("validation", () => {
  test("required, type, bounds, enum, pattern and lengths with kube-openapi messages", () => {
    expect(errorsOf({ spec: {} })).toEqual(["spec.replicas: Required value"]);
    expect(errorsOf({ spec: { replicas: "3" } })).toEqual(['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']);
    expect(errorsOf({ spec: { replicas: 0 } })).toEqual(["spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"]);
    expect(errorsOf({ spec: { replicas: 11 } })).toEqual(["spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"]);
    expect(errorsOf({ spec: { replicas: 1, mode: "x" } })).toEqual(['spec.mode: Unsupported value: "x": supported values: "audit", "enforce"']);
    expect(errorsOf({ spec: { replicas: 1, name: "A" } })).toEqual(["spec.name: Invalid value: \"A\": spec.name in body should match '^[a-z]+$'"]);
    expect(errorsOf({ spec: { replicas: 1, name: "abcdef" } })).toEqual(["spec.name: Too long: may not be more than 5 bytes"]);
    expect(errorsOf({ spec: { replicas: 1, items: [{}, {}, {}] } })).toEqual(["spec.items: Too many: 3: must have at most 2 items"]);
  });

  test("null is accepted only where nullable", () => {
    expect(errorsOf({ spec: { replicas: 1, opt: null } })).toEqual([]);
    expect(errorsOf({ spec: { replicas: 1, mode: null } })).toHaveLength(1);
  });

  test("integers are numbers, but numbers are not integers", () => {
    const errs: FieldError[] = [];
    validateSchema(1.5, { type: "integer" }, "x", errs);
    validateSchema(2, { type: "number" }, "y", errs);
    expect(errs.map((e) => e.field)).toEqual(["x"]);
  });
});
