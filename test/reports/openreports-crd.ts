/**
 * @module
 * The `openreports.io/v1alpha1` Report CRD, re-typed for our tests from its documented
 * fields (openreports.io API reference): source, scope, scopeSelector, configuration,
 * summary, results (severity critical|high|low|medium|info, result enum, timestamp).
 */

import { labelSelector, objectReference } from "./wgpolicyk8s-crd.ts";

const result = {
  type: "object",
  required: ["policy"],
  properties: {
    source: { type: "string" },
    policy: { type: "string" },
    rule: { type: "string" },
    category: { type: "string" },
    severity: { type: "string", enum: ["critical", "high", "low", "medium", "info"] },
    timestamp: {
      type: "object",
      required: ["nanos", "seconds"],
      properties: { nanos: { type: "integer", format: "int32" }, seconds: { type: "integer", format: "int64" } },
    },
    result: { type: "string", enum: ["pass", "fail", "warn", "error", "skip"] },
    scored: { type: "boolean" },
    resources: { type: "array", items: objectReference },
    resourceSelector: labelSelector,
    message: { type: "string" },
    properties: { type: "object", additionalProperties: { type: "string" } },
  },
};

export const OPEN_REPORT_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "reports.openreports.io" },
  spec: {
    group: "openreports.io",
    names: { kind: "Report", listKind: "ReportList", plural: "reports", singular: "report", shortNames: ["rep"] },
    scope: "Namespaced",
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              source: { type: "string" },
              scope: objectReference,
              scopeSelector: labelSelector,
              configuration: { type: "object", properties: { limits: { type: "object", properties: { maxResults: { type: "integer" }, statusFilter: { type: "array", items: { type: "string", enum: ["pass", "fail", "warn", "error", "skip"] } } } } } },
              summary: {
                type: "object",
                properties: Object.fromEntries(["error", "fail", "pass", "skip", "warn"].map((k) => [k, { type: "integer" }])),
              },
              results: { type: "array", items: result },
            },
          },
        },
      },
    ],
  },
};
