/**
 * @module
 * The ValidatingWebhookConfiguration for `validate.devops.stochastic.io`: fail open
 * (`Ignore`), a short timeout, our namespace and the control plane's excluded by name,
 * rules only for Pods and the workload kinds whose pod templates we validate, and matchConditions
 * that keep the API server from calling it when the verdict can only be a warning (decision 0036).
 */
import { WEBHOOK_MATCH_CONDITIONS } from "../lib/admission/match-conditions.ts";
import {
  WEBHOOK_EXCLUDED_NAMESPACES,
  WEBHOOK_NAME,
  WEBHOOK_NAMESPACE,
  WEBHOOK_PATH,
  WEBHOOK_SERVICE_NAME,
  WEBHOOK_SERVICE_PORT,
  WEBHOOK_TIMEOUT_SECONDS,
} from "../lib/webhook/constants.ts";

export const FAILURE_POLICIES = ["Ignore", "Fail"] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

export interface WebhookConfigurationOptions {
  /** base64 of the PEM CA bundle (one or more certificates: old and new CA during a rotation). */
  caBundle: string;
  serviceName?: string;
  namespace?: string;
  port?: number;
  failurePolicy?: FailurePolicy;
  timeoutSeconds?: number;
  /** Labels for metadata (e.g. app.kubernetes.io/*); none by default. */
  labels?: Record<string, string>;
  /** More namespaces never sent to the webhook, besides WEBHOOK_EXCLUDED_NAMESPACES and `namespace`. */
  excludedNamespaces?: readonly string[];
}

/**
 * The resources the webhook validates: Pods (and their `ephemeralcontainers` subresource,
 * through which `kubectl debug` adds containers to a running pod) and every pod-template
 * owner we can read.
 */
export const WEBHOOK_RULES = [
  { apiGroups: [""], apiVersions: ["v1"], resources: ["pods", "pods/ephemeralcontainers"] },
  { apiGroups: ["apps"], apiVersions: ["v1"], resources: ["deployments", "statefulsets", "daemonsets", "replicasets"] },
  { apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs", "cronjobs"] },
] as const;

/** Base64 of a PEM bundle, as the caBundle field wants it. */
export function encodeCaBundle(pem: string): string {
  return Buffer.from(pem, "utf8").toString("base64");
}

/** Builds the VWC object (pure; the caller reads the CA file and serialises). */
export function renderWebhookConfiguration(options: WebhookConfigurationOptions): Record<string, unknown> {
  const serviceName = options.serviceName ?? WEBHOOK_SERVICE_NAME;
  const namespace = options.namespace ?? WEBHOOK_NAMESPACE;
  const excluded = [...new Set([...WEBHOOK_EXCLUDED_NAMESPACES, namespace, ...(options.excludedNamespaces ?? [])])];
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: serviceName, ...(options.labels ? { labels: { ...options.labels } } : {}) },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ["v1"],
        clientConfig: {
          service: { name: serviceName, namespace, path: WEBHOOK_PATH, port: options.port ?? WEBHOOK_SERVICE_PORT },
          caBundle: options.caBundle,
        },
        rules: WEBHOOK_RULES.map((rule) => ({
          apiGroups: [...rule.apiGroups],
          apiVersions: [...rule.apiVersions],
          resources: [...rule.resources],
          operations: ["CREATE", "UPDATE"],
          scope: "Namespaced",
        })),
        failurePolicy: options.failurePolicy ?? "Ignore",
        matchPolicy: "Equivalent",
        sideEffects: "None",
        timeoutSeconds: options.timeoutSeconds ?? WEBHOOK_TIMEOUT_SECONDS,
        namespaceSelector: {
          matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: excluded }],
        },
        // 1.28+ (GA 1.30); dropped by 1.27 with its gate off; refused by strict validation before 1.27 (decision 0036)
        matchConditions: WEBHOOK_MATCH_CONDITIONS.map((c) => ({ name: c.name, expression: c.expression })),
      },
    ],
  };
}
