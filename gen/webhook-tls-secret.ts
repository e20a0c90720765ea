/**
 * @module
 * Certificate bootstrap for plain manifests: the webhook's TLS Secret from the files
 * `kube-devops webhook cert-generate` writes, so the webhook starts with a certificate the VWC's
 * caBundle already trusts. The CA's private key stays on the machine that generated it.
 */
import type { ISecret } from "kubernetes-models/v1/Secret";
import { type DeployOptions, objectLabels } from "./options.ts";

/** The PEM files of a certificate set (`ca.crt`, `tls.crt`, `tls.key`). */
export interface WebhookTlsFiles {
  caCert: string;
  tlsCert: string;
  tlsKey: string;
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** The `kubernetes.io/tls` Secret the webhook Deployment mounts. */
export function renderWebhookTlsSecret(options: DeployOptions, files: WebhookTlsFiles): ISecret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: options.names.webhookSecret, namespace: options.namespace, labels: objectLabels(options, "webhook") },
    type: "kubernetes.io/tls",
    data: { "ca.crt": base64(files.caCert), "tls.crt": base64(files.tlsCert), "tls.key": base64(files.tlsKey) },
  };
}

/** The caBundle value for a CA certificate PEM. */
export function encodeCaBundle(caCert: string): string {
  return base64(caCert);
}
