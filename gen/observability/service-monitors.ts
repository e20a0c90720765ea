/**
 * @module
 * prometheus-operator ServiceMonitors, one per component. Labels that make a Prometheus select
 * them are the caller's (no hard-wired `release: stable`: reference W-D5). The webhook is scraped
 * over HTTPS on its admission port, verified against the CA in its own TLS Secret (decision 0007);
 * watch and reconcile over HTTPS when their `/metrics` is authorized (verified when cert-manager
 * issues their certificate: cert-manager mode), else plain HTTP; each with the metrics reader's
 * token when its `/metrics` is authorized (decision 0029).
 */
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { COMPONENTS, type Component } from "../../lib/rbac/permissions.ts";
import { hasCertManagerMetricsCertificate, metricsCertificateSecret } from "../cert-manager.ts";
import { componentName, type DeployOptions, objectLabels, selectorLabels } from "../options.ts";
import { METRICS_READER_SECRET } from "../rbac.ts";
import { COMPONENT_PORTS, componentScheme } from "../workloads.ts";

type Endpoint = NonNullable<IServiceMonitor["spec"]["endpoints"]>[number];

/** The DNS name the webhook's serving certificate is issued for. */
export function webhookServerName(namespace: string): string {
  return serverName("webhook", namespace);
}

/** The DNS name a component's serving certificate is issued for (cert-manager's name it too). */
function serverName(component: Component, namespace: string): string {
  return `${componentName(component)}.${namespace}.svc`;
}

/** How the ServiceMonitor's scrape verifies the component's certificate, or nothing for plain HTTP. */
function tlsOf(options: DeployOptions, component: Component): Pick<Endpoint, "tlsConfig"> {
  if (component === "webhook") return { tlsConfig: { ca: { secret: { name: options.names.webhookSecret, key: "ca.crt" } }, serverName: webhookServerName(options.namespace) } };
  // cert-manager issued it from the webhook's CA, which its Secret carries as ca.crt
  if (hasCertManagerMetricsCertificate(options, component)) return { tlsConfig: { ca: { secret: { name: metricsCertificateSecret(component), key: "ca.crt" } }, serverName: serverName(component, options.namespace) } };
  // watch and reconcile serve a certificate they made in memory at start (no CA anyone holds), as
  // controller-runtime's metrics server does; unverified TLS still keeps the token off the wire in
  // clear, and the token is only good for `get /metrics` (decision 0029)
  if (componentScheme(options, component) === "HTTPS") return { tlsConfig: { insecureSkipVerify: true } };
  return {};
}

/** One component's ServiceMonitor. */
export function renderServiceMonitor(options: DeployOptions, component: Component): IServiceMonitor {
  const port = COMPONENT_PORTS[component];
  const scheme = componentScheme(options, component);
  const tls = tlsOf(options, component);
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
