/**
 * @module
 * Webhook certificates from cert-manager (certificate mode `cert-manager`): a self-signed Issuer
 * and a Certificate for the webhook Service's DNS names, written to the Secret the webhook
 * mounts; cert-manager's cainjector fills the VWC's caBundle (annotation on the VWC).
 */
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { IIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer";
import { componentName, type DeployOptions, objectLabels } from "./options.ts";

/** The DNS names a client may use for the webhook Service inside the cluster. */
export function webhookDnsNames(namespace: string): string[] {
  const service = componentName("webhook");
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** `cert-manager.io/inject-ca-from` value for the VWC. */
export function certificateRef(options: DeployOptions): string {
  return `${options.namespace}/${componentName("webhook")}`;
}

/** Issuer + Certificate (90-day certificates renewed 30 days before expiry, ECDSA P-256). */
export function renderCertManagerObjects(options: DeployOptions): (IIssuer | ICertificate)[] {
  const name = componentName("webhook");
  const labels = objectLabels(options, "webhook");
  return [
    { apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: { name, namespace: options.namespace, labels }, spec: { selfSigned: {} } },
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name, namespace: options.namespace, labels },
      spec: {
        secretName: options.names.webhookSecret,
        dnsNames: webhookDnsNames(options.namespace),
        duration: "2160h",
        renewBefore: "720h",
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
        usages: ["server auth", "digital signature", "key encipherment"],
        issuerRef: { kind: "Issuer", name },
      },
    },
  ];
}
