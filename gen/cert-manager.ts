/**
 * @module
 * Certificates from cert-manager (certificate mode `cert-manager`): a CA of our own (a
 * self-signed Issuer signs a long-lived CA Certificate, a CA Issuer uses it) and a serving
 * Certificate for the webhook Service's DNS names from that CA, written to the Secret the
 * webhook mounts; cert-manager's cainjector fills the VWC's caBundle from it (annotation on
 * the VWC). The serving certificate renews every 60 days under the same CA, so the caBundle
 * does not change then: a self-signed serving certificate would be its own CA, and each
 * renewal would change the caBundle at once while the pods still serve the old certificate
 * until the kubelet refreshes the Secret (a minute or two of refused webhook calls).
 * Watch and reconcile, when their `/metrics` is authorized (HTTPS), get a serving Certificate
 * from the same CA too, so their ServiceMonitors verify the server they send the metrics
 * reader's token to (without cert-manager they make a certificate at start that no one can
 * verify: decision 0029).
 */
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { IIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer";
import type { Component } from "../lib/rbac/permissions.ts";
import { componentName, type DeployOptions, objectLabels } from "./options.ts";

/** The DNS names a client may use for a component's Service inside the cluster. */
export function serviceDnsNames(component: Component, namespace: string): string[] {
  const service = componentName(component);
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** The DNS names a client may use for the webhook Service inside the cluster. */
export function webhookDnsNames(namespace: string): string[] {
  return serviceDnsNames("webhook", namespace);
}

/** The components whose `/metrics` certificate cert-manager issues: watch and reconcile serving HTTPS under cert-manager mode. */
export function hasCertManagerMetricsCertificate(options: DeployOptions, component: Component): boolean {
  return component !== "webhook" && options.webhook.certMode === "cert-manager" && options.metricsAuth[component] === "kubernetes";
}

/** The Secret cert-manager writes a component's metrics certificate to (`tls.crt`, `tls.key`, `ca.crt`). */
export function metricsCertificateSecret(component: Component): string {
  return `${componentName(component)}-metrics-tls`;
}

/** The metrics serving Certificate of watch or reconcile: the webhook's lifetime and key, from the same CA. */
export function renderMetricsCertificate(options: DeployOptions, component: Component): ICertificate {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: `${componentName(component)}-metrics`, namespace: options.namespace, labels: objectLabels(options, component) },
    spec: {
      secretName: metricsCertificateSecret(component),
      dnsNames: serviceDnsNames(component, options.namespace),
      duration: "2160h",
      renewBefore: "720h",
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      usages: ["server auth", "digital signature", "key encipherment"],
      issuerRef: { kind: "Issuer", name: `${componentName("webhook")}-ca` },
    },
  };
}

/** `cert-manager.io/inject-ca-from` value for the VWC. */
export function certificateRef(options: DeployOptions): string {
  return `${options.namespace}/${componentName("webhook")}`;
}

/**
 * The CA (self-signed Issuer, 5-year CA Certificate, CA Issuer) and the webhook's serving
 * Certificate (90 days, renewed 30 days before expiry), ECDSA P-256 throughout; the metrics
 * Certificates of watch and reconcile are `renderMetricsCertificate`'s.
 */
export function renderCertManagerObjects(options: DeployOptions): (IIssuer | ICertificate)[] {
  const name = componentName("webhook");
  const ca = `${name}-ca`;
  const selfSigned = `${name}-selfsigned`;
  const labels = objectLabels(options, "webhook");
  const metadata = (objectName: string) => ({ name: objectName, namespace: options.namespace, labels });
  return [
    { apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: metadata(selfSigned), spec: { selfSigned: {} } },
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: metadata(ca),
      spec: {
        isCA: true,
        commonName: ca,
        secretName: ca,
        duration: "43800h",
        renewBefore: "8760h",
        privateKey: { algorithm: "ECDSA", size: 256 },
        issuerRef: { kind: "Issuer", name: selfSigned },
      },
    },
    { apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: metadata(ca), spec: { ca: { secretName: ca } } },
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: metadata(name),
      spec: {
        secretName: options.names.webhookSecret,
        dnsNames: webhookDnsNames(options.namespace),
        duration: "2160h",
        renewBefore: "720h",
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
        usages: ["server auth", "digital signature", "key encipherment"],
        issuerRef: { kind: "Issuer", name: ca },
      },
    },
  ];
}
