/**
 * The CRD's CEL rules (`x-kubernetes-validations`) are the twins of the valibot
 * checks: each rule compiles, and on a table of inputs the API server's verdict
 * (the rule, evaluated with Kubernetes' quantity library modelled here) equals
 * the verdict of lib/policy's schema.
 */
import { describe, expect, test } from "bun:test";
import { Environment } from "@marcbachmann/cel-js";
import { renderCrds } from "../../gen/crd.ts";
import { checkPolicySpec } from "../../lib/policy/parse-policy.ts";
import { compareQuantities, parseQuantity } from "../../lib/quantity.ts";

type Node = Record<string, unknown>;

class Quantity {
  constructor(readonly text: string) {}
}

/** Kubernetes' CEL quantity library, the part our rules use: quantity(string), Quantity.compareTo. */
const env = new Environment()
  .registerType("Quantity", { ctor: Quantity, fields: {} })
  .registerVariable("self", "map")
  .registerFunction("quantity(string): Quantity", (text: string) => {
    if (parseQuantity(text) === undefined) throw new Error(`invalid quantity ${text}`);
    return new Quantity(text);
  })
  .registerFunction({ name: "compareTo", receiverType: "Quantity", returnType: "int", params: [{ name: "other", type: "Quantity" }], handler: (a: Quantity, b: Quantity) => BigInt(compareQuantities(a.text, b.text) ?? 0) });

/** Every rule of every CRD, with the dotted path of the schema node carrying it. */
function rules(): { path: string; rule: string; message: string }[] {
  const found: { path: string; rule: string; message: string }[] = [];
  const walk = (node: Node, path: string): void => {
    for (const r of (node["x-kubernetes-validations"] as Node[] | undefined) ?? []) found.push({ path, rule: r.rule as string, message: r.message as string });
    for (const [key, child] of Object.entries((node.properties as Record<string, Node>) ?? {})) walk(child, path ? `${path}.${key}` : key);
    if (node.items) walk(node.items as Node, `${path}[]`);
  };
  for (const crd of renderCrds()) walk(((crd.spec.versions as Node[])[0]?.schema as Node).openAPIV3Schema as Node, "");
  return found;
}

describe("CEL twins", () => {
  test("there are rules, and each one compiles", () => {
    expect(rules().map((r) => r.path)).toEqual(["spec.defaultResources", "spec.defaultResources"]);
    for (const r of rules()) expect(env.check(r.rule)).toMatchObject({ valid: true, type: "bool" });
  });

  const cases: Record<string, string>[] = [
    {},
    { cpuRequest: "100m" },
    { cpuRequest: "100m", cpuLimit: "1" },
    { cpuRequest: "1", cpuLimit: "500m" },
    { cpuRequest: "0.5", cpuLimit: "500m" },
    { memoryRequest: "1Gi", memoryLimit: "1024Mi" },
    { memoryRequest: "1G", memoryLimit: "1Gi" },
    { memoryRequest: "2Gi", memoryLimit: "1500Mi" },
    { cpuRequest: "2", cpuLimit: "4", memoryRequest: "512Mi", memoryLimit: "256Mi" },
  ];

  for (const resources of cases) {
    test(`same verdict for ${JSON.stringify(resources)}`, () => {
      const server = rules().every((r) => env.evaluate(r.rule, { self: resources }) === true);
      expect(server).toBe(checkPolicySpec({ defaultResources: resources }).ok);
    });
  }
});
