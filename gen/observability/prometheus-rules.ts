/**
 * @module
 * A PrometheusRule with the alerts an operator of kube-devops acts on: a webhook that is down,
 * slow or failing open (fail-open means a silent loss of admission checks), the API server unable
 * to call it (apiserver-alerts.ts: its own metrics, decision 0030), reconcile errors,
 * failing remediations, score drops, certificates near expiry, and leader election gone wrong.
 */
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { COMPONENTS } from "../../lib/rbac/permissions.ts";
import { componentName, type DeployOptions, objectLabels } from "../options.ts";
import { apiServerAlertRules } from "./apiserver-alerts.ts";

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: "critical" | "warning" | "info" };
  annotations: { summary: string; description: string };
}

const DAY = 86400;

function alert(name: string, expr: string, forDuration: string, severity: AlertRule["labels"]["severity"], summary: string, description: string): AlertRule {
  return { alert: name, expr, for: forDuration, labels: { severity }, annotations: { summary, description } };
}

/** The alert rules; `job` is the Service name (ServiceMonitor default). */
export function alertRules(namespace: string): AlertRule[] {
  const job = (c: (typeof COMPONENTS)[number]) => `job="${componentName(c)}",namespace="${namespace}"`;
  return [
    ...COMPONENTS.map((c) =>
      alert(
        `KubeDevops${c[0]?.toUpperCase()}${c.slice(1)}Down`,
        `absent(up{${job(c)}} == 1)`,
        "5m",
        c === "webhook" ? "critical" : "warning",
        `kube-devops ${c} has no scrapeable replica`,
        c === "webhook"
          ? "No webhook replica answers, or every scrape is refused (401/403/503 from its authorized /metrics: see the target's error in Prometheus). If the webhook is down it fails open, so pods are admitted without any DevOpsPolicy check."
          : `No ${c} replica answers on /metrics in namespace ${namespace}, or every scrape is refused (401/403/503 from its authorized /metrics: see the target's error in Prometheus).`,
      ),
    ),
    alert(
      "KubeDevopsWebhookSlow",
      "histogram_quantile(0.99, sum by (le) (rate(webhook_request_duration_seconds_bucket[5m]))) > 1",
      "10m",
      "warning",
      "The webhook's own p99 admission latency is above 1s",
      "p99 admission latency measured inside the webhook is {{ $value | humanizeDuration }}; close to the VWC timeout the API server gives up and admits without checks. Time spent before the webhook answers (network, TLS, timeouts) only the API server sees: KubeDevopsApiServerWebhookSlow.",
    ),
    alert(
      "KubeDevopsWebhookFailingOpen",
      "sum(rate(webhook_errors_total[5m])) > 0",
      "10m",
      "warning",
      "The webhook allows requests because of its own internal errors",
      "{{ $value | humanize }} admission requests/s reached the webhook but were allowed without a verdict because it failed internally (fail-open inside the webhook). Check the webhook logs. Calls that never reach the webhook are the API server's to count: KubeDevopsWebhookUnreachable, KubeDevopsApiServerFailingOpen.",
    ),
    ...apiServerAlertRules(namespace),
    alert(
      "KubeDevopsWebhookPoliciesStale",
      `max(webhook_policy_cache_age_seconds{${job("webhook")}}) > 300`,
      // the age is the time since the last list page, event or bookmark (under ~60 s when healthy: a
      // bookmark a minute); 1m confirms it, so this fires ~6 min after the watch last heard anything
      "1m",
      "warning",
      "A webhook replica admits with DevOpsPolicies it has not refreshed for over 5 minutes",
      "A webhook replica has not heard from the API server's DevOpsPolicy watch for {{ $value | humanizeDuration }}. It keeps judging with the policies as it last saw them (it stays ready: replicas going unready together would leave nothing to ask), so policy changes since then are not applied. Check the webhook logs (policy watch failed) and its access to the API server.",
    ),
    alert(
      "KubeDevopsWatchScoresStale",
      `max(watch_cache_age_seconds{${job("watch")}}) > 300`,
      // as above, for the pod watch (test/packaging/observability.test.ts runs promtool test rules on both)
      "1m",
      "warning",
      "The governance scores kube-devops watch exports are over 5 minutes old",
      "The watch leader has not heard from the API server's pod watch for {{ $value | humanizeDuration }}. It keeps exporting the scores as it last computed them (cluster_health_score, namespace_health_score, namespace_violations), so pods changed since then are not reflected. Check the watch logs (pod_watch_error) and its access to the API server.",
    ),
    alert(
      "KubeDevopsWebhookCertificateReloadFailing",
      "sum(increase(webhook_certificate_reload_errors_total[15m])) > 0",
      "15m",
      "warning",
      "The webhook cannot load its new certificate",
      "The webhook keeps serving its previous certificate because the new files or Secret do not load. Check the webhook logs and the certificate Secret before the old certificate expires.",
    ),
    alert(
      "KubeDevopsReconcileErrors",
      "sum(rate(devopspolicy_reconcile_errors_total[10m])) / clamp_min(sum(rate(devopspolicy_reconcile_total[10m])), 1e-9) > 0.1",
      "15m",
      "warning",
      "More than 10% of DevOpsPolicy reconciliations fail",
      "{{ $value | humanizePercentage }} of reconciliations fail; policy status and metrics go stale.",
    ),
    alert(
      "KubeDevopsRemediationsFailing",
      "sum(increase(devopspolicy_remediations_failed_total[30m])) > 0",
      "0m",
      "warning",
      "Enforcement could not patch workloads",
      "{{ $value | humanize }} remediation patches failed in the last 30 minutes.",
    ),
    alert(
      "KubeDevopsClusterScoreDrop",
      "max(cluster_health_score) <= max(max_over_time(cluster_health_score[1h])) - 10",
      "10m",
      "warning",
      "The cluster health score dropped by 10 points or more within an hour",
      "The cluster governance score is {{ $value }}; see the Namespace Health Scores panel for where it fell.",
    ),
    alert(
      "KubeDevopsPolicyScoreDrop",
      // written as the loss (then minus now), so $value is the positive number of points lost
      "max by (namespace, policy) (devopspolicy_health_score offset 1h) - max by (namespace, policy) (devopspolicy_health_score) >= 10",
      "10m",
      "warning",
      "A policy's health score dropped by 10 points or more within an hour",
      "Policy {{ $labels.policy }} in {{ $labels.namespace }} lost {{ $value }} points.",
    ),
    alert(
      "KubeDevopsCriticalViolations",
      'sum by (namespace, policy) (devopspolicy_violations_by_severity{severity="critical"}) > 0',
      "30m",
      "info",
      "Critical-severity policy violations persist",
      "{{ $value }} critical violations under policy {{ $labels.policy }} in {{ $labels.namespace }}.",
    ),
    alert(
      "KubeDevopsCertificateExpiringSoon",
      `min by (certificate) (webhook_certificate_expiration_timestamp_seconds) - time() < ${14 * DAY}`,
      "1h",
      "warning",
      "A webhook certificate expires within 14 days",
      "The {{ $labels.certificate }} certificate expires in {{ $value | humanizeDuration }}; renewal should have happened by now.",
    ),
    alert(
      "KubeDevopsCertificateExpiryCritical",
      `min by (certificate) (webhook_certificate_expiration_timestamp_seconds) - time() < ${3 * DAY}`,
      "10m",
      "critical",
      "A webhook certificate expires within 3 days",
      "The {{ $labels.certificate }} certificate expires in {{ $value | humanizeDuration }}; after that the API server cannot call the webhook.",
    ),
    alert(
      "KubeDevopsNoLeader",
      "sum by (component) (kube_devops_leader_status) < 1",
      "2m",
      "critical",
      "No replica holds the leader lease",
      "No {{ $labels.component }} replica is leader: scores (watch) or policies (reconcile) are not being updated.",
    ),
    alert(
      "KubeDevopsSplitBrain",
      "sum by (component) (kube_devops_leader_status) > 1",
      "1m",
      "critical",
      "More than one replica believes it is leader",
      "{{ $value }} {{ $labels.component }} replicas report leadership at once.",
    ),
  ];
}

/** The rule groups, as `promtool check rules` reads them under `groups:`. */
export function ruleGroups(namespace: string): { name: string; rules: AlertRule[] }[] {
  return [{ name: "kube-devops", rules: alertRules(namespace) }];
}

/** The PrometheusRule object. */
export function renderPrometheusRule(options: DeployOptions): IPrometheusRule {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "kube-devops", namespace: options.namespace, labels: { ...objectLabels(options), ...options.monitoring.labels } },
    spec: { groups: ruleGroups(options.namespace) },
  };
}
