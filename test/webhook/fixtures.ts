/**
 * Builders for admission tests: reviews, pods, workloads and a policy index.
 */
import { compileAdmissionPolicy, PolicyIndex, type AdmissionPolicy } from "../../lib/admission/policy-index.ts";
import { createLogger } from "../../lib/log.ts";
import { createWebhookHandlers } from "../../lib/webhook/app.ts";
import { createWebhookMetrics } from "../../lib/webhook/metrics.ts";
import type { AdmissionRequest } from "../../lib/admission/review.ts";
import type { DevOpsPolicySpec } from "../../lib/policy/schema.ts";

export type Container = Record<string, unknown>;

/** A container with probes and a pinned image: compliant with every check. */
export function goodContainer(name = "app", extra: Container = {}): Container {
  return {
    name,
    image: "registry.example/app:1.2.3",
    livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
    ...extra,
  };
}

export function pod(containers: Container[], meta: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "prod", ...meta }, spec: { containers } };
}

export function deployment(containers: Container[], kind = "Deployment"): Record<string, unknown> {
  const template = { metadata: { labels: { app: "web" } }, spec: { containers } };
  const spec = kind === "CronJob" ? { schedule: "* * * * *", jobTemplate: { spec: { template } } } : { template };
  const apiVersion = kind === "Job" || kind === "CronJob" ? "batch/v1" : "apps/v1";
  return { apiVersion, kind, metadata: { name: "web", namespace: "prod" }, spec };
}

export function request(object: unknown, overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  const kind = (object as { kind?: string } | null)?.kind ?? "Pod";
  return {
    uid: "3f1e6c2a-0000-4000-8000-000000000001",
    kind: { group: "", version: "v1", kind },
    namespace: "prod",
    operation: "CREATE",
    userInfo: { username: "alice" },
    object: object as Record<string, unknown>,
    ...overrides,
  };
}

export function review(req: unknown, apiVersion = "admission.k8s.io/v1"): Record<string, unknown> {
  return { apiVersion, kind: "AdmissionReview", request: req };
}

/** A PolicyIndex holding `specs` as policies p0, p1, ... in `namespace`. */
export function policies(specs: DevOpsPolicySpec[], namespace = "prod"): PolicyIndex {
  const index = new PolicyIndex();
  specs.forEach((spec, i) => index.upsert(compileAdmissionPolicy(namespace, `p${i}`, spec)));
  return index;
}

export const ENFORCE_LATEST: DevOpsPolicySpec = { forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true, enforcementMode: "enforce" };

/** The webhook app over an index with ENFORCE_LATEST in `prod`; log lines captured. */
export function makeApp(options: { policiesFor?: (ns: string) => readonly AdmissionPolicy[]; ready?: boolean; replica?: string } = {}) {
  const index = policies([ENFORCE_LATEST]);
  const lines: string[] = [];
  const metrics = createWebhookMetrics();
  const { app, validate } = createWebhookHandlers({
    ownNamespace: "kube-devops",
    policiesFor: options.policiesFor ?? ((ns) => index.forNamespace(ns)),
    metrics,
    logger: createLogger({ format: "json", level: "debug", write: (l) => void lines.push(l) }),
    readiness: () => ({ ready: options.ready ?? true, reasons: options.ready === false ? ["policy cache not synced"] : [] }),
    ...(options.replica ? { replica: options.replica } : {}),
  });
  return { app, validate, metrics, lines };
}

