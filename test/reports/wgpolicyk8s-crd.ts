/**
 * @module
 * The `wgpolicyk8s.io/v1alpha2` PolicyReport CRD as the Kubernetes policy working
 * group publishes it (kubernetes-sigs/wg-policy-prototypes, policy-report/crd/v1alpha2),
 * re-typed from its documented fields for our tests: results (policy required;
 * result, severity and status enums; timestamp seconds/nanos required), summary,
 * scope and selectors. Consumers such as Policy Reporter read exactly these fields.
 */

export const objectReference = {
  type: "object",
  properties: Object.fromEntries(["apiVersion", "fieldPath", "kind", "name", "namespace", "resourceVersion", "uid"].map((k) => [k, { type: "string" }])),
};

export const labelSelector = {
  type: "object",
  properties: {
    matchExpressions: {
      type: "array",
      items: {
        type: "object",
        required: ["key", "operator"],
        properties: { key: { type: "string" }, operator: { type: "string" }, values: { type: "array", items: { type: "string" } } },
      },
    },
    matchLabels: { type: "object", additionalProperties: { type: "string" } },
  },
};

const result = {
  type: "object",
  required: ["policy"],
  properties: {
    category: { type: "string" },
    message: { type: "string" },
    policy: { type: "string" },
    properties: { type: "object", additionalProperties: { type: "string" } },
    resourceSelector: labelSelector,
    resources: { type: "array", items: objectReference },
    result: { type: "string", enum: ["pass", "fail", "warn", "error", "skip"] },
    rule: { type: "string" },
    scored: { type: "boolean" },
    severity: { type: "string", enum: ["high", "low", "medium"] },
    source: { type: "string" },
    timestamp: {
      type: "object",
      required: ["nanos", "seconds"],
      properties: { nanos: { type: "integer", format: "int32" }, seconds: { type: "integer", format: "int64" } },
    },
  },
};

export const POLICY_REPORT_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "policyreports.wgpolicyk8s.io" },
  spec: {
    group: "wgpolicyk8s.io",
    names: { kind: "PolicyReport", listKind: "PolicyReportList", plural: "policyreports", singular: "policyreport", shortNames: ["polr"] },
    scope: "Namespaced",
    versions: [
      {
        name: "v1alpha2",
        served: true,
        storage: true,
        additionalPrinterColumns: [
          { jsonPath: ".summary.pass", name: "Pass", type: "integer" },
          { jsonPath: ".summary.fail", name: "Fail", type: "integer" },
          { jsonPath: ".summary.warn", name: "Warn", type: "integer" },
          { jsonPath: ".summary.error", name: "Error", type: "integer" },
          { jsonPath: ".summary.skip", name: "Skip", type: "integer" },
          { jsonPath: ".metadata.creationTimestamp", name: "Age", type: "date" },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              results: { type: "array", items: result },
              scope: objectReference,
              scopeSelector: labelSelector,
              summary: {
                type: "object",
                properties: Object.fromEntries(["error", "fail", "pass", "skip", "warn"].map((k) => [k, { type: "integer" }])),
              },
            },
          },
        },
      },
    ],
  },
};
