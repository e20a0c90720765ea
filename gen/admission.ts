/**
 * @module
 * The webhook's ValidatingWebhookConfiguration as deployed: the webhook engineer's builder
 * (gen/webhook-configuration.ts) with the deploy options applied — the namespace, failure policy,
 * timeout, extra excluded namespaces and, per certificate mode, where the caBundle comes from.
 */
import { renderWebhookConfiguration } from "./webhook-configuration.ts";
import { certificateRef } from "./cert-manager.ts";
import { componentName, type DeployOptions, objectLabels } from "./options.ts";
import { servicePort } from "./services.ts";

type Webhook = { clientConfig: { caBundle?: string } };
type Vwc = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; webhooks: Webhook[] } & Record<string, unknown>;

/**
 * The VWC. Without `caBundle` (base64 PEM) the field is left out: in self-managed mode the webhook
 * patches its own CA in, in cert-manager mode the cainjector does (annotation), and leaving it out
 * keeps `kubectl apply` and `helm upgrade` from ever resetting a CA that was filled in.
 */
export function renderAdmissionConfiguration(options: DeployOptions, caBundle?: string): Vwc {
  const vwc = renderWebhookConfiguration({
    caBundle: "",
    serviceName: componentName("webhook"),
    namespace: options.namespace,
    port: servicePort("webhook"),
    failurePolicy: options.webhook.failurePolicy,
    timeoutSeconds: options.webhook.timeoutSeconds,
    labels: objectLabels(options, "webhook"),
    excludedNamespaces: options.webhook.excludedNamespaces,
  }) as Vwc;
  for (const webhook of vwc.webhooks) {
    if (caBundle) webhook.clientConfig.caBundle = caBundle;
    else delete webhook.clientConfig.caBundle;
  }
  if (options.webhook.certMode === "cert-manager") vwc.metadata.annotations = { "cert-manager.io/inject-ca-from": certificateRef(options) };
  return vwc;
}
