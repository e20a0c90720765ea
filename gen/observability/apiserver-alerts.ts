/**
 * @module
 * Alerts on the API server's view of its calls to our webhook (decision 0030): calls that fail
 * before a verdict (broken Service, NetworkPolicy, caBundle, TLS, timeouts) never reach the
 * webhook's own metrics; under failurePolicy Ignore the pod is simply admitted unchecked.
 */
import { APISERVER_ADMISSION_METRICS as M, CALLING_WEBHOOK_ERROR, SLOW_CALL_BUCKET, VALIDATING_TYPE } from "../../lib/metrics/apiserver-admission.ts";
import { WEBHOOK_CONTAINER_PORT, WEBHOOK_NAME, WEBHOOK_TLS_SECRET } from "../../lib/webhook/constants.ts";
import { componentName } from "../options.ts";
import type { AlertRule } from "./prometheus-rules.ts";

/** Our webhook's series: the API server labels them with the webhook's name inside the VWC. */
const OURS = `name="${WEBHOOK_NAME}",type="${VALIDATING_TYPE}"`;

/** Where to look when the API server cannot call the webhook; `namespace` is the install's. */
function whatToCheck(namespace: string): string {
  const service = componentName("webhook");
  return (
    `Check, in this order: the Service ${namespace}/${service} has ready endpoints (kubectl -n ${namespace} get endpointslices -l kubernetes.io/service-name=${service}); ` +
    `no NetworkPolicy in ${namespace} drops traffic from the API server to the webhook pods' port ${WEBHOOK_CONTAINER_PORT}; ` +
    `the caBundle of ValidatingWebhookConfiguration ${service} is the CA that signed the serving certificate (ca.crt of Secret ${namespace}/${WEBHOOK_TLS_SECRET}); ` +
    `the API server log for failed calling webhook "${WEBHOOK_NAME}" (connection refused, context deadline exceeded, x509/TLS errors). ` +
    "Needs the API server's /metrics scraped (kube-prometheus-stack does by default, job apiserver); the fail-open counter exists since Kubernetes 1.24."
  );
}

/** The API-server-side rules, in the same group as the others. */
export function apiServerAlertRules(namespace: string): AlertRule[] {
  const failOpen = `sum(rate(${M.failOpen.name}{${OURS}}[5m]))`;
  const requests = `sum(rate(${M.request.name}{${OURS}}[5m]))`;
  const callErrors = `sum(rate(${M.rejection.name}{${OURS},error_type="${CALLING_WEBHOOK_ERROR}"}[5m]))`;
  const calls = `sum(rate(${M.duration.name}_count{${OURS}}[5m]))`;
  const fastCalls = `sum(rate(${M.duration.name}_bucket{${OURS},le="${SLOW_CALL_BUCKET}"}[5m]))`;
  return [
    {
      alert: "KubeDevopsWebhookUnreachable",
      // a ratio: 0/0 (no admission traffic) is NaN and never fires
      expr: `${failOpen} / ${requests} > 0.5`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "The API server cannot call the webhook: pods are admitted without any check",
        description: `The API server failed to call ${WEBHOOK_NAME} on {{ $value | humanizePercentage }} of its calls and admitted those requests unchecked (failurePolicy Ignore), while the webhook itself may look healthy. ${whatToCheck(namespace)}`,
      },
    },
    {
      alert: "KubeDevopsApiServerFailingOpen",
      expr: `${failOpen} > 0`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Some webhook calls fail and the API server admits those requests unchecked",
        description: `{{ $value | humanize }} calls/s to ${WEBHOOK_NAME} fail in the API server (no answer, timeout, TLS, invalid response) and are admitted without a verdict (failurePolicy Ignore); the webhook never counts them. Timeouts: see KubeDevopsApiServerWebhookSlow. ${whatToCheck(namespace)}`,
      },
    },
    {
      alert: "KubeDevopsApiServerFailingClosed",
      expr: `${callErrors} > 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "The API server rejects requests because it cannot call the webhook",
        description: `{{ $value | humanize }} requests/s are rejected with failed calling webhook "${WEBHOOK_NAME}" (failurePolicy Fail): pods and workloads in the selected namespaces cannot be created or updated, and controllers retry. ${whatToCheck(namespace)} If the webhook cannot be fixed quickly, set failurePolicy Ignore (chart webhook.failurePolicy).`,
      },
    },
    {
      alert: "KubeDevopsApiServerWebhookSlow",
      // 0/0 (no calls) is NaN and never fires; the 2.5 s bucket exists in every release
      expr: `(${calls} - ${fastCalls}) / ${calls} > 0.05`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `More than 5% of the API server's calls to the webhook take over ${SLOW_CALL_BUCKET}s`,
        description: `{{ $value | humanizePercentage }} of the API server's calls to ${WEBHOOK_NAME} take longer than ${SLOW_CALL_BUCKET}s (including network, TLS and calls that time out), close to the VWC timeout (3s by default): past it the API server gives up and admits (Ignore) or rejects (Fail) without a verdict (with a timeout of ${SLOW_CALL_BUCKET}s or less, timed-out calls end inside this bucket and show only in KubeDevopsApiServerFailingOpen, KubeDevopsWebhookUnreachable or KubeDevopsApiServerFailingClosed). If KubeDevopsWebhookSlow is quiet the time is spent outside the webhook: network, DNS, NetworkPolicy drops (a dropped SYN waits for the timeout), or CPU throttling of the webhook pods. Needs the API server's /metrics scraped.`,
      },
    },
  ];
}
