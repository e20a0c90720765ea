/**
 * @module
 * The DevOpsPolicy and PolicyAuditResult CustomResourceDefinitions, generated from
 * the valibot schemas in lib/policy/schema.ts (one source), with status subresource,
 * printer columns, shortNames and the `kube-devops` category.
 */
import { API_GROUP, DevOpsPolicySpecSchema, DevOpsPolicyStatusSchema, PolicyAuditResultSpecSchema } from "../lib/policy/schema.ts";
import { toStructuralSchema, type Schema } from "./structural-schema.ts";

export const CATEGORY = "kube-devops";

export interface CrdNames {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  listKind: string;
}

export const DEVOPSPOLICY_NAMES: CrdNames = {
  kind: "DevOpsPolicy",
  plural: "devopspolicies",
  singular: "devopspolicy",
  shortNames: ["dop", "devpol"],
  listKind: "DevOpsPolicyList",
};

export const AUDITRESULT_NAMES: CrdNames = {
  kind: "PolicyAuditResult",
  plural: "policyauditresults",
  singular: "policyauditresult",
  shortNames: ["par", "auditresult"],
  listKind: "PolicyAuditResultList",
};

export type CustomResourceDefinition = {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: Schema;
};

interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "date" | "boolean" | "number";
  jsonPath: string;
  description?: string;
  priority?: number;
}

function column(name: string, type: PrinterColumn["type"], jsonPath: string, description: string, priority?: number): PrinterColumn {
  return { name, type, jsonPath, description, ...(priority === undefined ? {} : { priority }) };
}

const AGE = column("Age", "date", ".metadata.creationTimestamp", "Time since the object was created");

function rootSchema(description: string, properties: Schema): Schema {
  return {
    type: "object",
    description,
    properties: {
      apiVersion: { type: "string", description: "APIVersion of this representation of the object" },
      kind: { type: "string", description: "Kind of the object" },
      metadata: { type: "object" },
      ...properties,
    },
    required: ["spec"],
  };
}

function describe(schema: Schema, description: string): Schema {
  const { type, ...rest } = schema;
  return { type, description, ...rest };
}

/** Conditions are a map keyed by type, so server-side apply merges them per condition. */
function withConditionListMap(status: Schema): Schema {
  const properties = status.properties as Record<string, Schema>;
  const conditions = properties.conditions as Schema;
  return { ...status, properties: { ...properties, conditions: { ...conditions, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] } } };
}

function crd(names: CrdNames, schema: Schema, columns: PrinterColumn[], subresources: Schema | undefined): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${names.plural}.${API_GROUP}`, labels: { "app.kubernetes.io/part-of": "kube-devops" } },
    spec: {
      group: API_GROUP,
      names: { ...names, categories: [CATEGORY] },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          ...(subresources ? { subresources } : {}),
          additionalPrinterColumns: columns,
          schema: { openAPIV3Schema: schema },
        },
      ],
    },
  };
}

/** The DevOpsPolicy CRD: status subresource, printer columns Mode, Score, Class, Violations, Ready, Reason, Age. */
export function renderDevOpsPolicyCrd(): CustomResourceDefinition {
  const schema = rootSchema("DevOpsPolicy declares the DevOps checks for the workloads of its namespace", {
    spec: describe(toStructuralSchema(DevOpsPolicySpecSchema), "The checks, their severities and the enforcement mode"),
    status: describe(withConditionListMap(toStructuralSchema(DevOpsPolicyStatusSchema)), "The last evaluation, written by the operator"),
  });
  return crd(DEVOPSPOLICY_NAMES, schema, [
    // from status: the spec leaves the mode out for audit, and a column cannot default
    column("Mode", "string", ".status.enforcementMode", "The mode the operator applies: audit or enforce"),
    column("Score", "integer", ".status.healthScore", "Governance score 0-100"),
    column("Class", "string", ".status.classification", "Healthy, Stable, Degraded or Critical"),
    column("Violations", "integer", ".status.violations", "Number of violations"),
    // Ready and its reason by default: a policy that checks nothing (InertNamespace, InvalidSpec) has
    // no score, and an empty Score column alone does not say why (decision 0034)
    column("Ready", "string", '.status.conditions[?(@.type=="Ready")].status', "Whether the policy is evaluated: False for a spec that cannot be read or a system namespace"),
    column("Reason", "string", '.status.conditions[?(@.type=="Ready")].reason', "Evaluated, InertNamespace (a system namespace: nothing is evaluated), InvalidSpec"),
    column("Message", "string", ".status.message", "The evaluation summary", 1),
    AGE,
  ], { status: {} });
}

/** The PolicyAuditResult CRD: printer columns Policy, Score, Class, Violations, Age. */
export function renderPolicyAuditResultCrd(): CustomResourceDefinition {
  const schema = rootSchema("PolicyAuditResult is one recorded evaluation of a DevOpsPolicy", {
    spec: describe(toStructuralSchema(PolicyAuditResultSpecSchema), "The evaluation result"),
  });
  return crd(AUDITRESULT_NAMES, schema, [
    column("Policy", "string", ".spec.policyName", "The DevOpsPolicy evaluated"),
    column("Score", "integer", ".spec.healthScore", "Governance score 0-100"),
    column("Class", "string", ".spec.classification", "Healthy, Stable, Degraded or Critical"),
    column("Violations", "integer", ".spec.totalViolations", "Number of violations"),
    column("Pods", "integer", ".spec.totalPods", "Pods evaluated", 1),
    AGE,
  ], undefined);
}

/** Both CRDs in install order (DevOpsPolicy first, as the reference prints them). */
export function renderCrds(): CustomResourceDefinition[] {
  return [renderDevOpsPolicyCrd(), renderPolicyAuditResultCrd()];
}
