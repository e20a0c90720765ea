/**
 * @module
 * Self-managed certificates, the API edge: keeps the webhook's TLS Secret holding a
 * CA and a current serving certificate (creating, renewing or rotating them as
 * lib/webhook/cert-plan.ts decides) and keeps the ValidatingWebhookConfiguration's
 * caBundle equal to that CA. Every replica runs it; concurrent writers are settled
 * by AlreadyExists on create and resourceVersion preconditions on update and patch.
 */
import type { KubeClient } from "../kube/client.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../kube/api-errors.ts";
import { SECRETS, VALIDATING_WEBHOOK_CONFIGURATIONS } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import { KubeDevopsError } from "../errors.ts";
import { caBundleOf, planCertificates, readSecretData, toSecretData, type CertAction, type StoredCertificates } from "./cert-plan.ts";
import { createCertificateAuthority, describeCertificate, issueServingCertificate, type CertificateInfo } from "./certs.ts";
import { serviceDnsNames } from "./constants.ts";
import { foreignWebhookService } from "../install/foreign-install.ts";
import { isOwnWebhook, type ServiceRef } from "./published-bundle.ts";

export interface SelfManagedOptions {
  client: KubeClient;
  namespace: string;
  secretName: string;
  serviceName: string;
  webhookConfigurationName: string;
  now: () => Date;
  validityDays?: number;
  caValidityDays?: number;
  /** How long a staged CA is published before it signs (default 60 s; see cert-plan.ts). */
  promoteAfterMs?: number;
}

export interface CertificateState {
  pair: { cert: string; key: string };
  /** PEM bundle the VWC must carry. */
  caBundle: string;
  /** What this call did to the Secret. */
  action: CertAction;
}

async function infoOf(pem: string | undefined, what: string): Promise<CertificateInfo | undefined> {
  if (!pem) return undefined;
  try {
    return await describeCertificate(pem, what);
  } catch {
    return undefined; // unreadable: planned as missing, so it is replaced
  }
}

async function renew(stored: StoredCertificates | undefined, caInfo: CertificateInfo | undefined, action: Exclude<CertAction, "keep">, options: SelfManagedOptions): Promise<StoredCertificates> {
  const now = options.now();
  const serving = { serviceName: options.serviceName, namespace: options.namespace, validityDays: options.validityDays ?? 365, now };
  const newCa = () => createCertificateAuthority({ validityDays: options.caValidityDays ?? 1825, now });
  if (stored && action === "issue-serving") {
    return { ...stored, server: (await issueServingCertificate(stored.ca, serving)).server };
  }
  if (stored && action === "stage-ca") return { ...stored, next: await newCa() };
  if (stored?.next && action === "promote-ca") {
    const server = (await issueServingCertificate(stored.next, serving)).server;
    return { ca: stored.next, server, next: undefined, previousCa: caInfo && caInfo.notAfter > now ? stored.ca.cert : undefined };
  }
  const ca = await newCa();
  const server = (await issueServingCertificate(ca, serving)).server;
  return { ca, server, previousCa: stored && caInfo && caInfo.notAfter > now ? stored.ca.cert : undefined };
}

/** Makes the Secret hold valid certificates and returns what to serve and which bundle to publish. */
export async function ensureWebhookCertificates(options: SelfManagedOptions): Promise<CertificateState> {
  const { client, namespace, secretName } = options;
  for (let attempt = 0; attempt < 5; attempt++) {
    let secret: KubeObject | undefined;
    try {
      secret = await client.get(SECRETS, secretName, { namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const stored = readSecretData((secret as { data?: unknown } | undefined)?.data);
    const caInfo = await infoOf(stored?.ca.cert, "ca.crt");
    const servingInfo = await infoOf(stored?.server.cert, "tls.crt");
    const nextInfo = await infoOf(stored?.next?.cert, "ca-next.crt");
    const action = planCertificates({ stored, ca: caInfo, serving: servingInfo, next: nextInfo, dnsNames: serviceDnsNames(options.serviceName, namespace), now: options.now(), ...(options.promoteAfterMs === undefined ? {} : { promoteAfterMs: options.promoteAfterMs }) });
    let result = stored;
    if (action !== "keep" || !stored) {
      result = await renew(stored, caInfo, action === "keep" ? "new-ca" : action, options);
      const body = { apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name: secretName, namespace, labels: { "app.kubernetes.io/managed-by": "kube-devops", "app.kubernetes.io/component": "webhook" } }, data: toSecretData(result) };
      try {
        if (secret) await client.update(SECRETS, { ...secret, data: body.data, type: (secret as { type?: string }).type ?? body.type } as KubeObject, { namespace });
        else await client.create(SECRETS, body as KubeObject, { namespace });
      } catch (err) {
        if (isAlreadyExists(err) || isConflict(err)) continue; // another replica wrote first: use theirs
        throw err;
      }
    }
    const previousInfo = await infoOf(result?.previousCa, "ca-previous.crt");
    const certs = result as StoredCertificates;
    return { pair: { cert: certs.server.cert, key: certs.server.key }, caBundle: caBundleOf(certs, previousInfo, options.now()), action };
  }
  throw new KubeDevopsError("KUBE", `Cannot settle the Secret ${namespace}/${secretName}: it kept changing under concurrent writers`);
}

type Webhook = { clientConfig?: { service?: { name?: string; namespace?: string }; caBundle?: string } };

/**
 * What `ensureCaBundle` did: "missing" when the VWC does not exist (yet); "foreign" when none of
 * its webhooks calls our Service but one calls `owner`, another install's (decision 0035): then
 * nothing is patched, so two installs never fight over the bundle; "none" when no webhook of it
 * calls a Service at all (emptied, or `url` webhooks only): nothing to patch, and nothing calls us.
 */
export type CaBundleOutcome = { outcome: "updated" | "unchanged" | "missing" | "conflict" | "none" } | { outcome: "foreign"; owner: ServiceRef };

/** Sets caBundle on our webhooks in the VWC, and only on those. */
export async function ensureCaBundle(options: SelfManagedOptions, caBundlePem: string): Promise<CaBundleOutcome> {
  let vwc: KubeObject & { webhooks?: Webhook[] };
  try {
    vwc = await options.client.get(VALIDATING_WEBHOOK_CONFIGURATIONS, options.webhookConfigurationName);
  } catch (err) {
    if (isNotFound(err)) return { outcome: "missing" };
    throw err;
  }
  const service = { name: options.serviceName, namespace: options.namespace };
  const owner = foreignWebhookService(vwc, service);
  if (owner) return { outcome: "foreign", owner };
  if (!(vwc.webhooks ?? []).some((hook) => isOwnWebhook(hook, service))) return { outcome: "none" };
  const desired = Buffer.from(caBundlePem, "utf8").toString("base64");
  const ops: Array<{ op: "test" | "add"; path: string; value: unknown }> = [];
  (vwc.webhooks ?? []).forEach((hook, i) => {
    if (isOwnWebhook(hook, service) && hook.clientConfig?.caBundle !== desired) {
      ops.push({ op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value: desired });
    }
  });
  if (ops.length === 0) return { outcome: "unchanged" };
  try {
    await options.client.patch(VALIDATING_WEBHOOK_CONFIGURATIONS, options.webhookConfigurationName, { type: "json", ops: [{ op: "test", path: "/metadata/resourceVersion", value: vwc.metadata?.resourceVersion }, ...ops] });
  } catch (err) {
    if (isConflict(err) || (err as { httpStatus?: number }).httpStatus === 422) return { outcome: "conflict" }; // changed meanwhile: next round
    throw err;
  }
  return { outcome: "updated" };
}
