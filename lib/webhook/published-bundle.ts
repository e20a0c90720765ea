/**
 * @module
 * What a ValidatingWebhookConfiguration publishes as the caBundle of our webhooks, and whether it
 * still carries every certificate a replica must publish. Pure; shared by the caBundle patch
 * (self-managed-certs.ts) and the watch that repairs a replaced configuration (ca-bundle-watch.ts).
 */

/** The Service our webhooks call. */
export interface ServiceRef {
  name: string;
  namespace: string;
}

type Webhook = { clientConfig?: { service?: { name?: string; namespace?: string }; caBundle?: string } };

/** Whether a webhook entry calls our Service (the ones whose caBundle we own). */
export function isOwnWebhook(hook: Webhook, service: ServiceRef): boolean {
  const svc = hook.clientConfig?.service;
  return svc?.name === service.name && svc.namespace === service.namespace;
}

/** The caBundle (base64; "" when unset) of each of our webhooks in `vwc`, in order. */
export function ownCaBundles(vwc: unknown, service: ServiceRef): string[] {
  const hooks = (vwc as { webhooks?: unknown } | undefined)?.webhooks;
  if (!Array.isArray(hooks)) return [];
  return (hooks as Webhook[]).filter((hook) => isOwnWebhook(hook ?? {}, service)).map((hook) => hook.clientConfig?.caBundle ?? "");
}

/** The certificates of a PEM bundle, each as its base64 body without whitespace (so line wrapping does not matter). */
export function pemCertificates(pem: string): Set<string> {
  const certs = new Set<string>();
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) certs.add((m[1] ?? "").replace(/\s+/g, ""));
  return certs;
}

/** Whether the published bundle (base64, as in `clientConfig.caBundle`) holds every certificate of `desiredPem`; extra certificates are fine. */
export function bundleCarries(publishedBase64: string, desiredPem: string): boolean {
  const published = pemCertificates(Buffer.from(publishedBase64, "base64").toString("utf8"));
  const desired = pemCertificates(desiredPem);
  if (desired.size === 0) return true;
  for (const cert of desired) if (!published.has(cert)) return false;
  return true;
}

/** Whether every one of our webhooks (their `ownCaBundles`) carries `desiredPem`. */
export function configurationCarries(bundles: readonly string[], desiredPem: string): boolean {
  return bundles.every((bundle) => bundleCarries(bundle, desiredPem));
}
