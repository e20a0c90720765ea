/**
 * @module
 * Assembles the generators into what `deploy generate-*` and `observability generate-*` print,
 * in an order `kubectl apply -f` can apply in one pass (Namespace, CRDs, RBAC, Services, workloads,
 * certificates, then the admission configuration that points at the webhook).
 */
import type { INamespace } from "kubernetes-models/v1/Namespace";
import { renderAdmissionConfiguration } from "./admission.ts";
import { hasCertManagerMetricsCertificate, renderCertManagerObjects, renderMetricsCertificate } from "./cert-manager.ts";
import { renderCrds } from "./crd.ts";
import { renderDashboardConfigMap } from "./observability/dashboard.ts";
import { renderPrometheusRule } from "./observability/prometheus-rules.ts";
import { renderServiceMonitors } from "./observability/service-monitors.ts";
import { type DeployOptions, objectLabels } from "./options.ts";
import { renderRbac } from "./rbac.ts";
import { renderServices } from "./services.ts";
import { encodeCaBundle, renderWebhookTlsSecret, type WebhookTlsFiles } from "./webhook-tls-secret.ts";
import { renderWorkloads } from "./workloads.ts";
import { COMPONENTS } from "../lib/rbac/permissions.ts";

/** A Kubernetes object as gen/ returns it. */
export type Manifest = { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } };

/** The Namespace object (only rendered when asked: a chart or a GitOps tool usually owns it). */
export function renderNamespace(options: DeployOptions): INamespace {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: options.namespace, labels: objectLabels(options) } };
}

/** The CRDs (gen/crd.ts) with our recommended labels. */
export function renderLabelledCrds(options: DeployOptions): Manifest[] {
  return renderCrds().map((crd) => ({ ...crd, metadata: { ...crd.metadata, labels: { ...objectLabels(options), ...(crd.metadata as { labels?: Record<string, string> }).labels } } }));
}

export interface DeploySelection {
  createNamespace: boolean;
  /** Certificate files from `webhook cert-generate`: rendered as the TLS Secret + caBundle. */
  webhookTls?: WebhookTlsFiles;
}

/** Everything `deploy generate-all` prints. */
export function renderDeployManifests(given: DeployOptions, selection: DeploySelection): Manifest[] {
  // certificates from files: the webhook serves them as they are instead of managing its own
  const options: DeployOptions = selection.webhookTls ? { ...given, webhook: { ...given.webhook, certMode: "provided" } } : given;
  return [
    ...(selection.createNamespace ? [renderNamespace(options)] : []),
    ...renderLabelledCrds(options),
    ...renderRbac(options),
    ...renderServices(options),
    ...renderWorkloads(options),
    ...(options.webhook.certMode === "cert-manager" ? renderCertManagerObjects(options) : []),
    ...COMPONENTS.filter((c) => hasCertManagerMetricsCertificate(options, c)).map((c) => renderMetricsCertificate(options, c)),
    ...(selection.webhookTls ? [renderWebhookTlsSecret(options, selection.webhookTls)] : []),
    renderAdmissionConfiguration(options, selection.webhookTls ? encodeCaBundle(selection.webhookTls.caCert) : undefined),
  ];
}

/** Everything `observability generate-all` prints. */
export function renderObservabilityManifests(options: DeployOptions): Manifest[] {
  return [...renderServiceMonitors(options), renderDashboardConfigMap(options), renderPrometheusRule(options)];
}
