/**
 * @module
 * prometheus-operator ServiceMonitors, one per component. Labels that make a Prometheus select
 * them are the caller's (no hard-wired `release: stable`: reference W-D5). The webhook is scraped
 * over HTTPS on its admission port, verified against the CA in its own TLS Secret (decision 0007);
 * watch and reconcile over HTTPS when their `/metrics` is authorized, else plain HTTP; each with the
 * metrics reader's token when its `/metrics` is authorized (decision 0029).
 */
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { COMPONENTS, type Component } from "../../lib/rbac/permissions.ts";
import { componentName, type DeployOptions, objectLabels, selectorLabels } from "../options.ts";
import { METRICS_READER_SECRET } from "../rbac.ts";
import { COMPONENT_PORTS, componentScheme } from "../workloads.ts";

/** The DNS name the webhook's serving certificate is issued for. */
export function webhookServerName(namespace: string): string {
  return `${componentName("webhook")}.${namespace}.svc`;
}

/** One component's ServiceMonitor. */
export function renderServiceMonitor(options: DeployOptions, component: Component): IServiceMonitor {
  const port = COMPONENT_PORTS[component];
  const scheme = componentScheme(options, component);
  const tls =
    component === "webhook"
      ? { tlsConfig: { ca: { secret: { name: options.names.webhookSecret, key: "ca.crt" } }, serverName: webhookServerName(options.namespace) } }
      : scheme === "HTTPS"
        ? // watch and reconcile serve a certificate they made in memory at start (no CA anyone holds),
          // as controller-runtime's metrics server does; unverified TLS still keeps the token off the
          // wire in clear, and the token is only good for `get /metrics` (decision 0029)
          { tlsConfig: { insecureSkipVerify: true } }
        : {};
  // the token controller writes the reader's token into this Secret (gen/rbac.ts renderMetricsReader)
  const authorization =
    options.metricsAuth[component] === "kubernetes" ? { authorization: { type: "Bearer", credentials: { name: METRICS_READER_SECRET, key: "token" } } } : {};
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: componentName(component), namespace: options.namespace, labels: { ...objectLabels(options, component), ...options.monitoring.labels } },
    spec: {
      selector: { matchLabels: selectorLabels(component) },
      namespaceSelector: { matchNames: [options.namespace] },
      // honorLabels: our metrics carry the *workload's* `namespace` label (reference §7); without it
      // Prometheus would rename it to `exported_namespace` and every per-namespace panel would break
      endpoints: [{ port: port.name, path: "/metrics", interval: options.monitoring.interval, scheme: scheme === "HTTPS" ? "https" : "http", honorLabels: true, ...tls, ...authorization }],
    },
  };
}

/** ServiceMonitors for every component. */
export function renderServiceMonitors(options: DeployOptions): IServiceMonitor[] {
  return COMPONENTS.map((c) => renderServiceMonitor(options, c));
}
