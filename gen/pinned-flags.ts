/**
 * @module
 * Flags of each component whose values other generated objects depend on — RBAC pinned to a
 * Lease or Secret by name, a Service port, a mounted path, grants rendered for one mode. Set in
 * `extraArgs`, they would run the component against objects it may not touch or ports nothing
 * routes to, so the chart's schema refuses them; the chart's own values set them instead.
 */
import type { Component } from "../lib/rbac/permissions.ts";

export interface PinnedFlag {
  flag: string;
  why: string;
}

/** `--metrics-auth` decides grants, schemes and ServiceMonitors; the TLS files are cert-manager's mount or none. */
const METRICS_LISTENER: PinnedFlag[] = [
  { flag: "--metrics-auth", why: "<component>.metricsAuth decides it, the grants it needs, the probes' scheme and the ServiceMonitor" },
  { flag: "--metrics-tls-cert", why: "the chart mounts cert-manager's certificate (webhook.certificate.mode cert-manager) or none, and the ServiceMonitor verifies only that one" },
  { flag: "--metrics-tls-key", why: "the chart mounts cert-manager's certificate (webhook.certificate.mode cert-manager) or none, and the ServiceMonitor verifies only that one" },
];

const LEASE: PinnedFlag[] = [
  { flag: "--lease-name", why: "the Role grants the Lease by name" },
  { flag: "--lease-namespace", why: "the Role grants the Lease in the release namespace" },
];

export const PINNED_FLAGS: Record<Component, readonly PinnedFlag[]> = {
  watch: [...LEASE, { flag: "--metrics-addr", why: "the Service, probes and ServiceMonitor use its port" }, ...METRICS_LISTENER],
  reconcile: [
    ...LEASE,
    { flag: "--metrics-addr", why: "the Service, probes and ServiceMonitor use its port" },
    ...METRICS_LISTENER,
    { flag: "--reports", why: "the ClusterRole grants the report resources of reconcile.reports only" },
  ],
  webhook: [
    { flag: "--addr", why: "the Service, probes, ServiceMonitor and webhook configuration use its port" },
    { flag: "--tls-cert", why: "the TLS Secret is mounted at the generated path" },
    { flag: "--tls-key", why: "the TLS Secret is mounted at the generated path" },
    { flag: "--tls-secret", why: "the Role grants the TLS Secret by name" },
    { flag: "--service-name", why: "the certificate must name the generated Service" },
    { flag: "--webhook-configuration", why: "the ClusterRole grants the webhook configuration by name" },
    { flag: "--self-managed", why: "webhook.certificate.mode decides the mode and the grants it needs" },
    { flag: "--no-self-managed", why: "webhook.certificate.mode decides the mode and the grants it needs" },
    { flag: "--metrics-auth", why: "webhook.metricsAuth decides it and the grants it needs" },
    { flag: "--namespace", why: "the Role grants the TLS Secret, and the webhook configuration excludes, the release namespace" },
  ],
};

/** A JSON-schema pattern matching an extraArgs item that sets one of `component`'s pinned flags (`--f`, `--f=v`). */
export function pinnedFlagPattern(component: Component): string {
  return `^(${PINNED_FLAGS[component].map((p) => p.flag).join("|")})(=.*)?$`;
}
