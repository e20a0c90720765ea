/**
 * The generated CRDs: pinned as YAML, structural, and carrying every field of the
 * reference (upstream-behaviour §2.1, §2.2) under the same name and type.
 */
import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { renderCrds, renderDevOpsPolicyCrd, renderPolicyAuditResultCrd } from "../../gen/crd.ts";
import { usesLatestTag } from "../../lib/checks/image-ref.ts";
import { normalise, type Schema } from "../../gen/structural-schema.ts";
import { toYaml } from "../../gen/to-yaml.ts";

type Node = Record<string, unknown>;

function versionOf(crd: { spec: Node }): Node {
  return (crd.spec.versions as Node[])[0] as Node;
}

function openApi(crd: { spec: Node }): Node {
  return (versionOf(crd).schema as Node).openAPIV3Schema as Node;
}

function at(schema: Node, path: string): Node | undefined {
  let node: Node | undefined = schema;
  for (const key of path.split(".")) node = (node?.properties as Record<string, Node> | undefined)?.[key];
  return node;
}

/** Walks every schema node with its path. */
function walk(node: Node, path: string, visit: (node: Node, path: string) => void): void {
  visit(node, path);
  for (const [key, child] of Object.entries((node.properties as Record<string, Node>) ?? {})) walk(child, `${path}.${key}`, visit);
  if (node.items) walk(node.items as Node, `${path}[]`, visit);
  if (typeof node.additionalProperties === "object") walk(node.additionalProperties as Node, `${path}{}`, visit);
}

// The reference's fields (§2.1, §2.2) and their schema types.
const REFERENCE_FIELDS: Record<string, [string, Record<string, string>]> = {
  DevOpsPolicy: ["spec", {
    forbidLatestTag: "boolean", requireLivenessProbe: "boolean", requireReadinessProbe: "boolean",
    maxRestartCount: "integer", forbidPendingDuration: "integer", enforcementMode: "string",
    defaultProbe: "object", "defaultProbe.tcpPort": "integer", "defaultProbe.initialDelaySeconds": "integer", "defaultProbe.periodSeconds": "integer",
    defaultResources: "object", "defaultResources.cpuRequest": "string", "defaultResources.cpuLimit": "string",
    "defaultResources.memoryRequest": "string", "defaultResources.memoryLimit": "string",
    severityOverrides: "object", "severityOverrides.latestTag": "string", "severityOverrides.missingLiveness": "string",
    "severityOverrides.missingReadiness": "string", "severityOverrides.highRestarts": "string", "severityOverrides.pending": "string",
  }],
  DevOpsPolicyStatus: ["status", {
    observedGeneration: "integer", healthy: "boolean", healthScore: "integer", violations: "integer", lastEvaluated: "string",
    message: "string", remediationsApplied: "integer", remediationsFailed: "integer", remediatedWorkloads: "array",
  }],
  PolicyAuditResult: ["spec", {
    policyName: "string", clusterName: "string", timestamp: "string", healthScore: "integer", totalViolations: "integer",
    totalPods: "integer", classification: "string", violations: "array",
  }],
};

describe("crd generate output", () => {
  test("is pinned (review the snapshot diff when the schema changes)", () => {
    expect(toYaml(renderCrds())).toMatchSnapshot();
  });

  test("is deterministic and parses back into the same two objects", () => {
    const text = toYaml(renderCrds());
    expect(toYaml(renderCrds())).toBe(text);
    const docs = text.split(/^---$/m).map((d) => parse(d));
    expect(docs.map((d) => d.metadata.name)).toEqual(["devopspolicies.devops.stochastic.io", "policyauditresults.devops.stochastic.io"]);
  });
});

describe("reference fields", () => {
  for (const [name, [root, fields]] of Object.entries(REFERENCE_FIELDS)) {
    const crd = name === "PolicyAuditResult" ? renderPolicyAuditResultCrd() : renderDevOpsPolicyCrd();
    for (const [field, type] of Object.entries(fields)) {
      test(`${name} ${root}.${field} is a ${type}`, () => {
        expect(at(openApi(crd), `${root}.${field}`)?.type).toBe(type);
      });
    }
  }

  test("enums keep the reference's strings", () => {
    const schema = openApi(renderDevOpsPolicyCrd());
    expect(at(schema, "spec.enforcementMode")?.enum).toEqual(["audit", "enforce"]);
    expect(at(schema, "spec.severityOverrides.highRestarts")?.enum).toEqual(["critical", "high", "medium", "low"]);
  });

  test("the audit result's required fields are the reference's", () => {
    const spec = at(openApi(renderPolicyAuditResultCrd()), "spec") as Node;
    expect([...(spec.required as string[])].sort()).toEqual(["classification", "healthScore", "policyName", "timestamp", "totalPods", "totalViolations"]);
    const item = (at(openApi(renderPolicyAuditResultCrd()), "spec.violations") as Node).items as Node;
    expect([...(item.required as string[])].sort()).toEqual(["containerName", "message", "podName", "severity", "violationType"]);
  });
});

describe("structural schema", () => {
  for (const crd of renderCrds()) {
    test(`${crd.metadata.name}: every node typed; no $ref, additionalProperties:false, type null; integers formatted`, () => {
      const problems: string[] = [];
      walk(openApi(crd), "", (node, path) => {
        if (node.type === undefined) problems.push(`${path}: no type`);
        if (node.type === "null") problems.push(`${path}: type null`);
        if ("$ref" in node || "$schema" in node) problems.push(`${path}: $ref/$schema`);
        if (node.additionalProperties === false) problems.push(`${path}: additionalProperties false`);
        if (node.type === "integer" && !["int32", "int64"].includes(node.format as string)) problems.push(`${path}: integer without format`);
        if (Array.isArray(node.required) && node.required.length === 0) problems.push(`${path}: empty required`);
      });
      expect(problems).toEqual([]);
      expect(openApi(crd).required).toEqual(["spec"]);
    });
  }

  test("the normaliser inlines $ref, collapses nullable unions and types enums", () => {
    const out = normalise(
      { $schema: "x", type: "object", additionalProperties: false, required: [], properties: { a: { $ref: "#/$defs/A" }, b: { anyOf: [{ type: "string" }, { type: "null" }] }, c: { const: "x" } } },
      { A: { type: "integer", minimum: 0, maximum: 10 } } as Record<string, Schema>,
    );
    expect(out).toEqual({ type: "object", properties: { a: { type: "integer", format: "int32", minimum: 0, maximum: 10 }, b: { type: "string", nullable: true }, c: { type: "string", enum: ["x"] } } });
  });

  test("the normaliser refuses a union it cannot make structural", () => {
    expect(() => normalise({ anyOf: [{ type: "string" }, { type: "integer" }] })).toThrow(/union/);
  });
});

describe("kubectl surface", () => {
  test("DevOpsPolicy: status subresource, printer columns, shortNames, category", () => {
    const crd = renderDevOpsPolicyCrd();
    const version = versionOf(crd);
    expect(version.subresources).toEqual({ status: {} });
    const columns = (version.additionalPrinterColumns as Node[]).filter((c) => c.priority === undefined).map((c) => c.name);
    expect(columns).toEqual(["Mode", "Score", "Class", "Violations", "Ready", "Reason", "Age"]);
    const names = crd.spec.names as Node;
    expect(names.shortNames).toEqual(["dop", "devpol"]);
    expect(names.categories).toEqual(["kube-devops"]);
    expect(at(openApi(crd), "status.classification")?.enum).toEqual(["Healthy", "Stable", "Degraded", "Critical"]);
    expect(at(openApi(crd), "status.conditions")?.["x-kubernetes-list-map-keys"]).toEqual(["type"]);
  });

  test("PolicyAuditResult: printer columns and shortName, no status subresource", () => {
    const version = versionOf(renderPolicyAuditResultCrd());
    expect(version.subresources).toBeUndefined();
    expect((version.additionalPrinterColumns as Node[]).filter((c) => c.priority === undefined).map((c) => c.name)).toEqual(["Policy", "Score", "Class", "Violations", "Age"]);
  });

  test("defaultResources quantities are non-negative in the CRD too (the API server refuses -100m)", () => {
    const pattern = new RegExp(at(openApi(renderDevOpsPolicyCrd()), "spec.defaultResources.cpuRequest")?.pattern as string);
    expect(pattern.test("100m")).toBe(true);
    expect(pattern.test("-100m")).toBe(false);
  });

  test("defaultResources carries the CEL twins of request <= limit", () => {
    const rules = at(openApi(renderDevOpsPolicyCrd()), "spec.defaultResources")?.["x-kubernetes-validations"] as Node[];
    expect(rules.map((r) => r.message)).toEqual(["cpuRequest must not exceed cpuLimit", "memoryRequest must not exceed memoryLimit"]);
  });
});

describe("kubectl explain", () => {
  // The operator trial read "Flag containers whose image ends with :latest" and took an untagged
  // `busybox` for compliant, while the check flags it (decision 0002) and passes a digest-pinned :latest.
  test("spec.forbidLatestTag says what the check flags: untagged images too, not digest-pinned ones", () => {
    const spec = (openApi(renderDevOpsPolicyCrd()).properties as Node).spec as Node;
    const description = String(((spec.properties as Node).forbidLatestTag as Node).description);
    expect([usesLatestTag("busybox"), usesLatestTag("nginx:latest"), usesLatestTag("nginx:latest@sha256:0123")]).toEqual([true, true, false]);
    expect(description).toContain(":latest");
    expect(description).toContain("no tag");
    expect(description).toContain("digest");
  });
});

describe("kubectl explain status", () => {
  // It read "the evaluation that last changed this status": a lastEvaluated 9 minutes old then looks
  // like a stuck operator, while an unchanged status is only rewritten by the heartbeat (decision 0011).
  test("status.lastEvaluated says it is refreshed by the heartbeat too, so its age tells whether the operator runs", () => {
    const status = (openApi(renderDevOpsPolicyCrd()).properties as Node).status as Node;
    const description = String(((status.properties as Node).lastEvaluated as Node).description);
    expect(description).toContain("--status-heartbeat");
    expect(description).not.toContain("last changed");
  });
});

describe("kubectl explain coverage", () => {
  // The operator trial found `kubectl explain` saying <no description> for remediationsApplied (a running
  // total) beside remediationsFailed (the last evaluation's count), and for every PolicyAuditResult field.
  function undescribed(node: Node, path: string, out: string[]): string[] {
    for (const [key, child] of Object.entries((node.properties as Record<string, Node> | undefined) ?? {})) {
      if (path === "" && ["apiVersion", "kind", "metadata"].includes(key)) continue;
      if (!child.description) out.push(`${path}.${key}`);
      undescribed(child, `${path}.${key}`, out);
      if (child.items) undescribed(child.items as Node, `${path}.${key}[]`, out);
    }
    return out;
  }

  test("every field of both CRDs has a description", () => {
    expect(undescribed(openApi(renderDevOpsPolicyCrd()), "", [])).toEqual([]);
    expect(undescribed(openApi(renderPolicyAuditResultCrd()), "", [])).toEqual([]);
  });

  test("the conditions description names both condition types the operator writes", () => {
    const status = (openApi(renderDevOpsPolicyCrd()).properties as Node).status as Node;
    const description = String(((status.properties as Node).conditions as Node).description);
    expect(description).toContain("Ready");
    expect(description).toContain("SpecValid");
  });
});
