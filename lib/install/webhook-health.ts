/**
 * @module
 * Judges what `check` reads of the webhook: its Service's ready endpoints, the
 * ValidatingWebhookConfiguration (calls this namespace's Service, has a caBundle, failurePolicy),
 * and whether that caBundle verifies the certificate the TLS Secret serves, and until when.
 */
import { findServingCa } from "../webhook/certificate-expiry.ts";
import { loadX509 } from "../webhook/x509.ts";
import { WEBHOOK_NAME } from "../webhook/constants.ts";
import { installCommand, judgeUnread, type DeploymentObject, type HealthLine, type Read } from "./install-health.ts";

/** A certificate this close to expiry is a warning: cert rotation should have happened by now. */
const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

type Endpoint = { addresses?: string[]; targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string }; conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null } };
export type EndpointSliceObject = { addressType?: string; endpoints?: Endpoint[] };

/**
 * Each backend once: a dual-stack Service has one slice per address family, each listing every pod,
 * so pods are counted by their targetRef (an endpoint without one counts as it is).
 */
function distinctEndpoints(slices: readonly EndpointSliceObject[]): Endpoint[] {
  const distinct: Endpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    for (const e of slice.endpoints ?? []) {
      const ref = e.targetRef;
      const key = ref?.uid || (ref?.name ? `${ref.kind ?? ""}/${ref.namespace ?? ""}/${ref.name}` : undefined);
      if (key !== undefined) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      distinct.push(e);
    }
  }
  return distinct;
}

/**
 * The webhook Service's EndpointSlices: at least one ready address, or the API server has nowhere
 * to call. Terminating endpoints (a rolling update's old pods) are counted apart, not as not-ready:
 * kube-proxy sends nothing to them while a ready one exists, and falls back to those still serving
 * only when none is.
 */
export function judgeEndpoints(label: string, read: Read<EndpointSliceObject[]>, namespace: string, service: string): HealthLine {
  const unread = judgeUnread(label, read, { status: "UNKNOWN", detail: "EndpointSlices (discovery.k8s.io/v1) are not served" });
  if (unread || read.state !== "found") return unread as HealthLine;
  const endpoints = distinctEndpoints(read.object);
  const terminating = endpoints.filter((e) => e.conditions?.terminating === true);
  const live = endpoints.filter((e) => e.conditions?.terminating !== true);
  // an unset ready condition means ready (EndpointSlice API)
  const ready = live.filter((e) => e.conditions?.ready !== false).length;
  const notReady = live.length > ready ? `, ${live.length - ready} not ready` : "";
  const others = `${notReady}${terminating.length > 0 ? `, ${terminating.length} terminating` : ""}`;
  const pods = `kubectl -n ${namespace} get pods -l app.kubernetes.io/component=webhook`;
  if (ready === 0) {
    // an unset serving condition means serving (EndpointSlice API; kube-proxy reads it so)
    const serving = terminating.filter((e) => e.conditions?.serving !== false).length;
    if (serving > 0) return { label, status: "WARN", detail: `no ready endpoints of ${namespace}/${service}, only ${serving} terminating that still serve${notReady}`, hint: pods };
    return { label, status: "FAIL", detail: `no ready endpoints of ${namespace}/${service}${others}`, hint: pods };
  }
  return { label, status: "OK", detail: `${ready} ready endpoint${ready === 1 ? "" : "s"}${others}` };
}

/** A metav1.LabelSelector as a webhook's namespaceSelector/objectSelector carries it. */
export type SelectorObject = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }> };
type WebhookEntry = { name?: string; failurePolicy?: string; clientConfig?: { caBundle?: string; url?: string; service?: { name?: string; namespace?: string; port?: number } }; namespaceSelector?: SelectorObject; objectSelector?: SelectorObject; rules?: Array<{ operations?: string[]; apiGroups?: string[]; apiVersions?: string[]; resources?: string[]; scope?: string }>; matchConditions?: Array<{ name?: string; expression?: string }> };
export type WebhookConfigurationObject = { metadata?: { name?: string; annotations?: Record<string, string> }; webhooks?: WebhookEntry[] };

/**
 * Who writes the configuration's caBundle: cert-manager's cainjector when the configuration asks it
 * to (`cert-manager.io/inject-ca-from`, as `deploy --cert-mode cert-manager` writes it), whatever
 * check's --cert-mode says — a day-2 reader seldom knows the flag the install was generated with.
 */
/**
 * The certificate mode the webhook was deployed in, as its Deployment's args say: `deploy` and the
 * chart render `--self-managed` or `--no-self-managed`, and the latter without cert-manager (which
 * bundleWriter reads from the configuration) is `provided` — the `deploy --tls-dir` files, which
 * nothing renews. An explicit `--cert-mode cert-manager` stands; so does `certMode` when the
 * Deployment was not read or says neither. Without this a `--tls-dir` install, checked with the
 * default mode, was told that the webhook writes and renews what only a re-run of cert-generate does.
 */
export function deployedCertMode(deployment: Read<DeploymentObject>, certMode: string): string {
  if (certMode === "cert-manager" || deployment.state !== "found") return certMode;
  const args = deployment.object.spec?.template?.spec?.containers?.flatMap((c) => c.args ?? []) ?? [];
  if (args.includes("--no-self-managed")) return "provided";
  return args.includes("--self-managed") ? "self-managed" : certMode;
}

export function bundleWriter(vwc: WebhookConfigurationObject, certMode: string): string {
  return vwc.metadata?.annotations?.["cert-manager.io/inject-ca-from"] ? "cert-manager" : certMode;
}

/** kube-devops's webhook entry: the one named validate.devops.stochastic.io, else the first. */
export function webhookEntry(vwc: WebhookConfigurationObject): WebhookEntry | undefined {
  return vwc.webhooks?.find((w) => w.name === WEBHOOK_NAME) ?? vwc.webhooks?.[0];
}

export type ServiceObject = { spec?: { ports?: Array<{ name?: string; port?: number; targetPort?: number | string }> } };

/**
 * The pods' port a call to the Service's `port` reaches: its targetPort, a number or a container
 * port's name as given (unset, the API server makes it the port itself); undefined when the Service
 * was not read or has no such port.
 */
export function webhookTargetPort(svc: Read<ServiceObject> | undefined, port: number): number | string | undefined {
  if (svc?.state !== "found") return undefined;
  const match = (svc.object.spec?.ports ?? []).find((p) => p.port === port);
  return match ? (match.targetPort ?? port) : undefined;
}

/**
 * The configuration the API server calls: this namespace's Service, at a port the Service has (the
 * API server resolves `clientConfig.service.port` among the Service's ports: `no service port N
 * found`), a caBundle; its failurePolicy said. `svc` unread (forbidden, failed) judges no port.
 */
export function judgeWebhookConfiguration(label: string, read: Read<WebhookConfigurationObject>, namespace: string, service: string, certMode: string, install = installCommand(namespace), svc?: Read<ServiceObject>): HealthLine {
  const unread = judgeUnread(label, read, { status: "FAIL", detail: "not installed: no pod is checked at admission", hint: install });
  if (unread || read.state !== "found") return unread as HealthLine;
  const entry = webhookEntry(read.object);
  const policy = `failurePolicy ${entry?.failurePolicy ?? "Fail"}`;
  if (!entry) return { label, status: "FAIL", detail: "has no webhooks", hint: install };
  const target = entry.clientConfig?.service;
  if (!target || target.namespace !== namespace || target.name !== service) {
    const calls = target ? `${target.namespace ?? "default"}/${target.name ?? "?"}` : (entry.clientConfig?.url ?? "nothing");
    return { label, status: "FAIL", detail: `calls ${calls}, not ${namespace}/${service}`, hint: install };
  }
  if (svc?.state === "absent") return { label, status: "FAIL", detail: `calls ${namespace}/${service}, which does not exist (${policy})`, hint: install };
  const port = target.port ?? 443;
  const ports = svc?.state === "found" ? (svc.object.spec?.ports ?? []).map((p) => p.port) : undefined;
  if (ports && !ports.includes(port)) {
    const has = ports.length > 0 ? `has port ${ports.join(", ")}` : "has no ports";
    return { label, status: "FAIL", detail: `calls port ${port} of ${namespace}/${service}, which ${has}: the API server cannot call the webhook (${policy})`, hint: `kubectl -n ${namespace} get service ${service} -o yaml; ${install} restores both` };
  }
  if (!entry.clientConfig?.caBundle) {
    return { label, status: "FAIL", detail: `no caBundle: the API server cannot verify the webhook (${policy})`, hint: bundleHint(bundleWriter(read.object, certMode), namespace) };
  }
  return { label, status: "OK", detail: `calls ${namespace}/${service}, caBundle set, ${policy}` };
}

/** Who writes the caBundle (and renews the certificate), by --cert-mode: where to look when it is wrong. */
export function bundleHint(certMode: string, namespace: string, expired?: "ca" | "serving"): string {
  if (certMode === "cert-manager") return "cert-manager's cainjector writes it: kubectl -n cert-manager logs deployment/cert-manager-cainjector";
  if (certMode === "self-managed") return `the webhook writes it (self-managed certificates): kubectl -n ${namespace} logs deployment/kube-devops-webhook`;
  // the namespace names the certificate's DNS names; every other flag must be the install's own, or the re-render reverts them
  const issue = `kube-devops webhook cert-generate --output-dir <that dir> --namespace ${namespace}${expired === "ca" ? " --new-ca (a new CA: the old one expired)" : " (re-issues the serving certificate)"}`;
  return `the webhook serves the files deploy --tls-dir shipped and renews nothing: ${issue}, then kube-devops deploy generate-all -n ${namespace} --tls-dir <that dir> with the flags the install was generated with | kubectl apply -f - (the Secret and the caBundle)`;
}

function days(ms: number): string {
  const d = Math.floor(ms / DAY_MS);
  return d === 1 ? "1 day" : `${d} days`;
}

/**
 * Whether the configuration's caBundle verifies the certificate the TLS Secret serves, and when
 * the first of the two expires (`now` in ms). Only judged when both are readable.
 */
export async function judgeWebhookCertificate(label: string, caBundle: string | undefined, secret: Read<{ data?: Record<string, string> }>, namespace: string, certMode: string, now: number, absentHint = `kubectl -n ${namespace} logs deployment/kube-devops-webhook`): Promise<HealthLine> {
  const unread = judgeUnread(label, secret, { status: "FAIL", detail: "the TLS Secret does not exist: the webhook cannot serve", hint: absentHint });
  if (unread || secret.state !== "found") return unread as HealthLine;
  const chain = Buffer.from(secret.object.data?.["tls.crt"] ?? "", "base64").toString("utf8");
  if (caBundle === undefined) return { label, status: "UNKNOWN", detail: "no caBundle to verify it with (see the line above)" };
  const x509 = await loadX509();
  let leafExpiry: Date;
  try {
    leafExpiry = new x509.X509Certificate(chain).notAfter;
  } catch {
    return { label, status: "FAIL", detail: "tls.crt of the TLS Secret is not a certificate", hint: `kubectl -n ${namespace} delete secret <the TLS Secret> (the webhook generates a new one)` };
  }
  const ca = await findServingCa(chain, Buffer.from(caBundle, "base64").toString("utf8"));
  if (!ca) return { label, status: "FAIL", detail: "the caBundle does not verify the served certificate: every call fails TLS", hint: bundleHint(certMode, namespace) };
  const expiry = Math.min(leafExpiry.getTime(), ca.notAfter.getTime());
  const which = expiry === leafExpiry.getTime() ? "serving certificate" : "CA";
  if (expiry <= now) return { label, status: "FAIL", detail: `verifies, but the ${which} expired ${days(now - expiry)} ago`, hint: bundleHint(certMode, namespace, which === "CA" ? "ca" : "serving") };
  const left = `verifies the serving certificate, ${which} expires in ${days(expiry - now)}`;
  if (expiry - now < EXPIRY_WARNING_DAYS * DAY_MS) return { label, status: "WARN", detail: left, hint: `renew it before then; ${bundleHint(certMode, namespace, which === "CA" ? "ca" : "serving")}` };
  return { label, status: "OK", detail: left };
}
