/**
 * @module
 * The kube-apiserver's own admission-webhook metrics that kube-devops alerts on: how the API
 * server saw its calls to our webhook (failed and let through, failed and rejected, how long).
 * Copied from the API server's source (k8s.io/apiserver/pkg/admission/metrics/metrics.go and the
 * validating dispatcher), so the alert rules, the test API emulator that exports them and the
 * checks of both share one definition. kube-devops never exports these.
 */

export interface ApiServerMetricDef {
  name: string;
  type: "counter" | "histogram";
  /** Label names as the API server declares them. */
  labels: readonly string[];
  /** The HELP text the API server prints (its stability level first). */
  help: string;
  /** The first Kubernetes minor release that exports it under this name. */
  since: string;
  /** Histogram buckets (upper bounds, seconds), as of Kubernetes 1.27 (earlier releases stop at 2.5). */
  buckets?: readonly number[];
}

/** The `type` label the validating dispatcher gives every one of these series (mutating ones say `admit`). */
export const VALIDATING_TYPE = "validating";

/** `error_type` of a rejection because the API server could not call the webhook (or its answer was invalid). */
export const CALLING_WEBHOOK_ERROR = "calling_webhook_error";

/**
 * A duration bucket every release since 1.14 has, just under our default 3 s VWC timeout: calls
 * beyond it are about to time out (the 10 s and 25 s buckets only arrived in 1.27).
 */
export const SLOW_CALL_BUCKET = "2.5";

export const APISERVER_ADMISSION_METRICS = {
  failOpen: {
    name: "apiserver_admission_webhook_fail_open_count",
    type: "counter",
    labels: ["name", "type"],
    help: "[ALPHA] Admission webhook fail open count, identified by name and broken out for each admission type (validating or mutating).",
    since: "1.24",
  },
  rejection: {
    name: "apiserver_admission_webhook_rejection_count",
    type: "counter",
    labels: ["name", "type", "operation", "error_type", "rejection_code"],
    help: "[ALPHA] Admission webhook rejection count, identified by name and broken out for each admission type (validating or admit) and operation. Additional labels specify an error type (calling_webhook_error or apiserver_internal_error if an error occurred; no_error otherwise) and optionally a non-zero rejection code if the webhook rejects the request with an HTTP status code (honored by the apiserver when the code is greater or equal to 400). Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.",
    since: "1.16",
  },
  request: {
    name: "apiserver_admission_webhook_request_total",
    type: "counter",
    labels: ["name", "type", "operation", "code", "rejected"],
    help: "[ALPHA] Admission webhook request total, identified by name and broken out for each admission type (validating or mutating) and operation. Additional labels specify whether the request was rejected or not and an HTTP status code. Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.",
    since: "1.23",
  },
  duration: {
    name: "apiserver_admission_webhook_admission_duration_seconds",
    type: "histogram",
    labels: ["name", "type", "operation", "rejected"],
    help: "[STABLE] Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).",
    since: "1.14",
    buckets: [0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10, 25],
  },
} as const satisfies Record<string, ApiServerMetricDef>;

/** Every series name these metrics expose (a histogram adds `_bucket`, `_sum`, `_count`). */
export function apiServerSeriesNames(): Set<string> {
  return new Set(
    Object.values(APISERVER_ADMISSION_METRICS).flatMap((m: ApiServerMetricDef) => (m.type === "histogram" ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name])),
  );
}

/** The API server caps status codes in labels at 600 (bounded cardinality). */
export function capStatusCode(code: number): number {
  return Math.min(code, 600);
}
