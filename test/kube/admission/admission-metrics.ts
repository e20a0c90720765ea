/**
 * @module
 * The emulator's `/metrics`: the kube-apiserver's admission-webhook series, recorded per webhook
 * call exactly as the validating dispatcher records them (ObserveWebhook, ObserveWebhookRejection,
 * ObserveWebhookFailOpen), with the names, labels and help of lib/metrics/apiserver-admission.ts.
 */
import { Counter, Histogram, Registry } from "prom-client";
import { APISERVER_ADMISSION_METRICS as M, CALLING_WEBHOOK_ERROR, VALIDATING_TYPE, capStatusCode } from "../../../lib/metrics/apiserver-admission.ts";
import type { WebhookCall } from "./validating-admission.ts";

export interface AdmissionMetrics {
  readonly registry: Registry;
  /** Records one call (validating-admission's `observe`). */
  record(call: WebhookCall): void;
  /** The Prometheus text exposition, as `GET /metrics` answers it. */
  text(): Promise<string>;
}

/** A registry of its own per emulator: parallel emulators never share counts. */
export function createAdmissionMetrics(): AdmissionMetrics {
  const registry = new Registry();
  // the API server's CounterVecs only show a series once it is first incremented: so do these
  const failOpen = new Counter({ name: M.failOpen.name, help: M.failOpen.help, labelNames: [...M.failOpen.labels], registers: [registry] });
  const rejection = new Counter({ name: M.rejection.name, help: M.rejection.help, labelNames: [...M.rejection.labels], registers: [registry] });
  const request = new Counter({ name: M.request.name, help: M.request.help, labelNames: [...M.request.labels], registers: [registry] });
  const duration = new Histogram({ name: M.duration.name, help: M.duration.help, labelNames: [...M.duration.labels], buckets: [...M.duration.buckets], registers: [registry] });
  return {
    registry,
    record(call) {
      const rejected = call.outcome === "denied" || call.outcome === "failed-closed";
      const code = String(capStatusCode(call.code));
      const base = { name: call.name, type: VALIDATING_TYPE };
      if (call.outcome === "denied") rejection.inc({ ...base, operation: call.operation, error_type: "no_error", rejection_code: code });
      if (call.outcome === "failed-closed") rejection.inc({ ...base, operation: call.operation, error_type: CALLING_WEBHOOK_ERROR, rejection_code: code });
      request.inc({ ...base, operation: call.operation, code, rejected: String(rejected) });
      duration.observe({ ...base, operation: call.operation, rejected: String(rejected) }, call.seconds);
      if (call.outcome === "failed-open") failOpen.inc(base);
    },
    text: () => registry.metrics(),
  };
}
