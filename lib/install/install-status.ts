/**
 * @module
 * What `check` reads of the install in -n: a handful of GETs and LISTs (no watch), each judged as
 * one line by install-health.ts / webhook-health.ts. Reads the identity may not make are UNKNOWN.
 */
import { isForbidden, isNotFound, isUnservedResource } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { CERT_MANAGER_CERTIFICATES, CUSTOM_RESOURCE_DEFINITIONS, DEPLOYMENTS, DEVOPS_POLICIES, ENDPOINT_SLICES, LEASES, SECRETS, SERVICES, VALIDATING_WEBHOOK_CONFIGURATIONS, type ResourceType } from "../kube/resources.ts";
import { DEFAULT_OBJECT_NAMES, type Component } from "../rbac/permissions.ts";
import { installCommand, judgeCrd, judgeDeployment, judgeLease, judgePolicies, type CrdObject, type DeploymentObject, type HealthLine, type LeaseObject, type PolicyObject, type Read, type RefusedRead } from "./install-health.ts";
import { judgeCertificate, metricsTlsSecret, parseCertificateRef, waitingPods, withMissingSecret, type CertificateObject, type CertificateRead } from "./cert-manager-health.ts";
import { namespaceState } from "./install-preflight.ts";
import { judgeReach, probeWebhookReach } from "./webhook-reach.ts";
import { bundleWriter, deployedCertMode, judgeEndpoints, judgeWebhookCertificate, judgeWebhookConfiguration, webhookEntry, webhookTargetPort, type EndpointSliceObject, type ServiceObject, type WebhookConfigurationObject } from "./webhook-health.ts";

export interface InstallStatusOptions {
  namespace: string;
  /** The components to look at (--component); the CRDs are every component's. */
  components: readonly Component[];
  /** This binary's version: a Deployment running another is a warning. */
  version: string;
  certMode: string;
  now: number;
  /** The CRDs this binary generates (gen/crd.ts), to compare the installed ones with. */
  crds: readonly CrdObject[];
  /** A component's Deployment (and, for the webhook, Service) name (gen/options.ts componentName). */
  componentName: (component: Component) => string;
  /** A fresh nonce for the webhook's reachability ping (webhook-reach.ts). */
  nonce: string;
  /** Where kube-devops is installed instead (check's Other installs CONFLICT): installing in -n would take it over. */
  installedIn?: string;
}

/** The options and the install command every hint gives. */
type ReadOptions = InstallStatusOptions & { install: string };

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function read<T>(what: string, refused: RefusedRead, call: () => Promise<T>): Promise<Read<T>> {
  try {
    return { state: "found", object: await call() };
  } catch (err) {
    if (isNotFound(err)) return { state: "absent" };
    if (isForbidden(err)) return { state: "forbidden", what, refused };
    return { state: "error", message: errorText(err) };
  }
}

function getRead<T>(client: KubeClient, type: ResourceType, name: string, namespace?: string): Promise<Read<T>> {
  const where = namespace ? ` in ${namespace}` : "";
  const refused = { verb: "get", group: type.group, resource: type.plural, name, ...(namespace ? { namespace } : {}) };
  return read(`get ${type.plural}/${name}${where}`, refused, () => client.get(type, name, namespace ? { namespace } : {}) as Promise<T>);
}

function listRead<T>(client: KubeClient, type: ResourceType, options: { namespace?: string; labelSelector?: string } = {}): Promise<Read<T[]>> {
  const where = options.namespace ? ` in ${options.namespace}` : " in all namespaces";
  const refused = { verb: "list", group: type.group, resource: type.plural, ...(options.namespace ? { namespace: options.namespace } : { allNamespaces: type.namespaced }) };
  return read(`list ${type.plural}${where}`, refused, async () => (await client.listAll<T>(type, options)).items);
}

/** The command the hints give to install: generate-all alone fails on every namespaced object when -n does not exist. */
async function readInstallCommand(client: KubeClient, namespace: string): Promise<string> {
  const state = await namespaceState(client, namespace).catch(() => "unknown" as const);
  return installCommand(namespace, { createNamespace: state === "absent" });
}

/** The install's lines, in the order `check` prints them. */
export async function readInstallStatus(client: KubeClient, status: InstallStatusOptions): Promise<HealthLine[]> {
  // manifests for -n rebind the ClusterRoleBindings and webhook configuration of the install elsewhere
  const install = status.installedIn
    ? `kube-devops is installed in ${status.installedIn}: installing in ${status.namespace} takes over its ClusterRoleBindings and webhook configuration (see the Other installs line)`
    : await readInstallCommand(client, status.namespace);
  const options = { ...status, install };
  const { components } = options;
  const has = (c: Component) => components.includes(c);
  const crdLines = Promise.all(options.crds.map(async (g) => judgeCrd(`CRD ${g.metadata?.name?.split(".")[0]}`, await getRead<CrdObject>(client, CUSTOM_RESOURCE_DEFINITIONS, g.metadata?.name ?? ""), g, status.installedIn ? undefined : install)));
  // each component's lines name it, for check's -o json
  const componentLines = Promise.all(components.map(async (c) => (await readComponent(client, options, c)).map((l) => ({ ...l, component: c }))));
  const policies = has("watch") || has("reconcile") ? [judgePolicies("DevOpsPolicies", await listRead<PolicyObject>(client, DEVOPS_POLICIES))] : [];
  return [...(await crdLines), ...(await componentLines).flat(), ...policies];
}

/** A component's Deployment, then its leader (watch, reconcile) or its webhook lines. */
async function readComponent(client: KubeClient, options: ReadOptions, c: Component): Promise<HealthLine[]> {
  const { namespace, version, now, componentName } = options;
  const name = componentName(c);
  const read = await getRead<DeploymentObject>(client, DEPLOYMENTS, name, namespace);
  const deployment = await explainMissingSecret(client, judgeDeployment(`Deployment ${c}`, read, namespace, version, options.install), read, namespace);
  // a component that is not installed has no leader or endpoints to report: its one FAIL says it
  if (read.state === "absent") return c === "webhook" ? [deployment, ...(await readWebhook(client, options, read, false)).filter((l) => l.label !== "Webhook endpoints")] : [deployment];
  if (c === "webhook") return [deployment, ...(await readWebhook(client, options, read))];
  const lease = c === "watch" ? DEFAULT_OBJECT_NAMES.watchLease : DEFAULT_OBJECT_NAMES.reconcileLease;
  return [deployment, judgeLease(`Leader ${c}`, await getRead<LeaseObject>(client, LEASES, lease, namespace), namespace, name, now)];
}

/**
 * A Deployment whose pods wait to start — not Available, or a rollout stuck or in progress (a
 * switch to cert-manager mode: the old pods serve, the new ones wait) — while its template mounts a
 * `-metrics-tls` Secret (cert-manager's, for watch and reconcile): one GET says whether they wait
 * for it. Unreadable, the hint is as it was.
 */
async function explainMissingSecret(client: KubeClient, line: HealthLine, read: Read<DeploymentObject>, namespace: string): Promise<HealthLine> {
  const pods = waitingPods(line);
  if (!pods || read.state !== "found") return line;
  const secret = metricsTlsSecret(read.object.spec?.template?.spec?.volumes);
  if (!secret) return line;
  return (await getRead(client, SECRETS, secret, namespace)).state === "absent" ? withMissingSecret(line, secret, namespace, pods) : line;
}

/** The webhook's lines; `ping`: also send the dry-run pod (not for a webhook that is not installed). */
async function readWebhook(client: KubeClient, options: ReadOptions, deployment: Read<DeploymentObject>, ping = true): Promise<HealthLine[]> {
  const lines = await readWebhookPieces(client, options, deployment);
  const vwc = lines.vwc;
  const entry = vwc.state === "found" ? webhookEntry(vwc.object) : undefined;
  const service = entry?.clientConfig?.service;
  // unread, the configuration's selectors cannot say where to send the pod: the line says which read is missing
  if (ping && vwc.state === "forbidden") return [...lines.lines, { ...judgeReach({ kind: "configuration-unreadable", name: DEFAULT_OBJECT_NAMES.webhookConfiguration }, options.namespace, "Fail"), ...(vwc.refused ? { refused: vwc.refused } : {}) }];
  // a read the API server failed: the configuration line FAILs; this one says the ping was not sent, not that it passed
  if (ping && vwc.state === "error") return [...lines.lines, judgeReach({ kind: "configuration-failed", name: DEFAULT_OBJECT_NAMES.webhookConfiguration }, options.namespace, "Fail")];
  // only through a configuration that calls this install: else the line above says what it calls
  if (!ping || !entry || service?.namespace !== options.namespace || service.name !== options.componentName("webhook")) return lines.lines;
  const targetPort = webhookTargetPort(lines.svc, service.port ?? 443);
  return [...lines.lines, await probeWebhookReach(client, entry, { namespace: options.namespace, nonce: options.nonce, ...(targetPort === undefined ? {} : { targetPort }) })];
}

async function readWebhookPieces(client: KubeClient, options: ReadOptions, deployment: Read<DeploymentObject>): Promise<{ lines: HealthLine[]; vwc: Read<WebhookConfigurationObject>; svc: Read<ServiceObject> }> {
  const { namespace, componentName, install } = options;
  const certMode = deployedCertMode(deployment, options.certMode);
  const service = componentName("webhook");
  const [slices, vwc, svc] = await Promise.all([
    listRead<EndpointSliceObject>(client, ENDPOINT_SLICES, { namespace, labelSelector: `kubernetes.io/service-name=${service}` }),
    getRead<WebhookConfigurationObject>(client, VALIDATING_WEBHOOK_CONFIGURATIONS, DEFAULT_OBJECT_NAMES.webhookConfiguration),
    getRead<ServiceObject>(client, SERVICES, service, namespace),
  ]);
  const configuration = judgeWebhookConfiguration("Webhook configuration", vwc, namespace, service, certMode, install, svc);
  const lines = [judgeEndpoints("Webhook endpoints", slices, namespace, service), configuration];
  // the certificate is judged only against a configuration that calls this install with a bundle
  if (configuration.status !== "OK" || vwc.state !== "found") return { lines, vwc, svc };
  return { lines: [...lines, ...(await readCertificates(client, { ...options, certMode }, vwc.object, deployment))], vwc, svc };
}

/**
 * The webhook's certificate lines: under cert-manager (the configuration's inject-ca-from, or
 * --cert-mode cert-manager) its Certificate's Ready condition; then, in every mode, whether the
 * caBundle verifies what the Secret the pods mount serves — the Secret the Deployment's `tls`
 * volume names, else the Certificate's secretName, else the generated name.
 */
async function readCertificates(client: KubeClient, { namespace, certMode, now, componentName, install }: ReadOptions, vwc: WebhookConfigurationObject, deployment: Read<DeploymentObject>): Promise<HealthLine[]> {
  const annotation = vwc.metadata?.annotations?.["cert-manager.io/inject-ca-from"];
  const writer = bundleWriter(vwc, certMode);
  const mounted = deployment.state === "found" ? deployment.object.spec?.template?.spec?.volumes?.find((v) => v.name === "tls")?.secret?.secretName : undefined;
  let certificate: HealthLine | undefined;
  let issued: string | undefined;
  if (writer === "cert-manager") {
    const ref = parseCertificateRef(annotation) ?? { namespace, name: componentName("webhook") };
    const read = await readCertificate(client, ref);
    issued = read.state === "found" ? read.object.spec?.secretName : undefined;
    certificate = judgeCertificate("cert-manager Certificate", read, ref, mounted ?? issued ?? DEFAULT_OBJECT_NAMES.webhookSecret, now, install);
  }
  const secretName = mounted ?? issued ?? DEFAULT_OBJECT_NAMES.webhookSecret;
  const secret = await getRead<{ data?: Record<string, string> }>(client, SECRETS, secretName, namespace);
  // a Secret not issued yet: the Certificate's line already says why, once
  if (certificate && certificate.status !== "OK" && secret.state === "absent") return [certificate];
  const absentHint = certificate ? `cert-manager writes it: kubectl -n ${namespace} describe certificate ${parseCertificateRef(annotation)?.name ?? componentName("webhook")}` : undefined;
  const line = await judgeWebhookCertificate("Webhook certificate", webhookEntry(vwc)?.clientConfig?.caBundle, secret, namespace, writer, now, absentHint);
  return [...(certificate ? [certificate] : []), line];
}

/** The Certificate, or `unserved` when cert-manager's CRD is not installed (a 404 for the type, not the object). */
async function readCertificate(client: KubeClient, ref: { namespace: string; name: string }): Promise<CertificateRead> {
  try {
    return { state: "found", object: await client.get<CertificateObject>(CERT_MANAGER_CERTIFICATES, ref.name, { namespace: ref.namespace }) };
  } catch (err) {
    if (isUnservedResource(err)) return { state: "unserved" };
    if (isNotFound(err)) return { state: "absent" };
    const refused = { verb: "get", group: CERT_MANAGER_CERTIFICATES.group, resource: CERT_MANAGER_CERTIFICATES.plural, name: ref.name, namespace: ref.namespace };
    if (isForbidden(err)) return { state: "forbidden", what: `get certificates.cert-manager.io/${ref.name} in ${ref.namespace}`, refused };
    return { state: "error", message: errorText(err) };
  }
}
