/**
 * @module
 * The webhook's Prometheus metrics on its own registry: the reference's three
 * (same names, labels and help) plus warnings, fail-open errors, certificate
 * expiry and build info. Label values are bounded: operations are the four
 * Kubernetes verbs or UNKNOWN; violations are check ids.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { METRICS } from "../metrics/names.ts";
import { COMMIT, VERSION } from "../version.ts";

/** From 100 µs (a cached verdict) to 5 s (beyond any API server timeout). */
export const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const OPERATIONS = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

export interface WebhookMetrics {
  registry: Registry;
  requests: Counter<"operation" | "allowed">;
  denials: Counter<"namespace" | "violation">;
  warnings: Counter<"namespace" | "violation">;
  errors: Counter<"reason">;
  duration: Histogram;
  certificateExpiry: Gauge<"certificate">;
  /** `webhook_requests_total{operation, allowed}` += 1, through cached label children (the hot path). */
  countRequest(operation: unknown, allowed: boolean): void;
}

function help(name: keyof typeof METRICS): { name: string; help: string } {
  return { name, help: METRICS[name].help };
}

/** Creates the metrics on `registry` (a fresh one by default). */
export function createWebhookMetrics(registry = new Registry()): WebhookMetrics {
  const registers = [registry];
  const buildInfo = new Gauge({ ...help("kube_devops_build_info"), labelNames: ["component", "version", "commit"], registers });
  buildInfo.set({ component: "webhook", version: VERSION, commit: COMMIT }, 1);
  const requests = new Counter({ ...help("webhook_requests_total"), labelNames: ["operation", "allowed"], registers });
  const children = new Map<string, { inc(): void }>();
  return {
    registry,
    requests,
    countRequest(operation, allowed) {
      const op = operationLabel(operation);
      const key = allowed ? op : `${op}!`;
      let child = children.get(key);
      if (!child) {
        child = requests.labels({ operation: op, allowed: String(allowed) });
        children.set(key, child);
      }
      child.inc();
    },
    denials: new Counter({ ...help("webhook_denials_total"), labelNames: ["namespace", "violation"], registers }),
    warnings: new Counter({ ...help("webhook_warnings_total"), labelNames: ["namespace", "violation"], registers }),
    errors: new Counter({ ...help("webhook_errors_total"), labelNames: ["reason"], registers }),
    duration: new Histogram({ ...help("webhook_request_duration_seconds"), buckets: DURATION_BUCKETS, registers }),
    certificateExpiry: new Gauge({ ...help("webhook_certificate_expiration_timestamp_seconds"), labelNames: ["certificate"], registers }),
  };
}

/** The operation label: one of the four verbs, else UNKNOWN (bounded cardinality). */
export function operationLabel(operation: unknown): string {
  return typeof operation === "string" && OPERATIONS.has(operation) ? operation : "UNKNOWN";
}
