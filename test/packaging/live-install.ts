/**
 * @module
 * A small live install for the observability end-to-end test: the API emulator with two
 * namespaces of pods that produce every kind of finding, an enforce and an audit DevOpsPolicy,
 * and the compiled watch, reconcile and webhook processes, each with `--metrics-auth kubernetes` as
 * the generated Deployments run them; plus the Prometheus scrape config prometheus-operator would
 * derive from our generated ServiceMonitors (job = Service name, honor_labels, scheme, TLS and the
 * metrics reader's token), and kube-prometheus-stack's scrape of the API server (job apiserver),
 * whose generated ValidatingWebhookConfiguration sends the emulator's pod writes to the webhook.
 */
import type { Subprocess } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderAdmissionConfiguration } from "../../gen/admission.ts";
import { componentName, resolveDeployOptions } from "../../gen/options.ts";
import { renderServiceMonitor } from "../../gen/observability/service-monitors.ts";
import { METRICS_READER, METRICS_READER_SECRET, renderMetricsReader } from "../../gen/rbac.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import type { Component } from "../../lib/rbac/permissions.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { encodeCaBundle } from "../../gen/webhook-configuration.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, testPolicy } from "../operator/support.ts";
import { LEASE_COMPONENTS } from "../reliability/components.ts";
import { LEASE_FLAGS, startReplica, until, type Replica } from "../reliability/replicas.ts";
import { ensureBinary } from "../support/binary.ts";
import { createTestPki } from "../support/certs.ts";
import { makePod } from "../watch/support.ts";

/** The namespace the install runs in (the alert rules select it). */
export const INSTALL_NAMESPACE = "kube-devops";
/** Workload namespaces: `shop` under an enforce policy, `batch` under an audit one. */
export const NAMESPACES = ["shop", "batch"] as const;
/** A namespace with an enforce policy and no pod yet: the watch scores nothing there. */
export const POLICY_ONLY_NAMESPACE = "locked";

export interface LiveInstall {
  emu: Emulator;
  watch: Replica;
  reconcile: Replica;
  webhook: { proc: Subprocess; url: string; ca: string; caFile: string };
  /** The generated metrics reader's token, as the ServiceMonitors send it from its Secret. */
  tokenFile: string;
  /** The API server's CA, as a scraper in the cluster has it (serviceaccount/ca.crt). */
  apiServerCaFile: string;
  /**
   * Where the emulator finds the webhook's Service: `address` (`127.0.0.1:<port>`) instead of the
   * webhook, as a broken Service or NetworkPolicy would route it; no argument restores the webhook.
   */
  routeWebhookService(address?: string): void;
  /** Posts one raw body to the webhook's /validate; resolves with the HTTP status and the response. */
  post(body: string): Promise<{ status: number; response?: { allowed: boolean; warnings?: string[] } }>;
  stop(): Promise<void>;
}

const CHECKS = { forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true, maxRestartCount: 3, forbidPendingDuration: 300 };

/** makePod's six shapes (clean, :latest, no probes, restarts, Pending, Succeeded), Pending for an hour. */
function fixturePods(namespace: string) {
  const created = new Date(Date.now() - 3_600_000).toISOString();
  return Array.from({ length: 6 }, (_, i) => {
    const pod = makePod(namespace, `${namespace}-${i}`, i);
    return { ...pod, metadata: { ...pod.metadata, creationTimestamp: created } };
  });
}

async function startWebhook(emu: Emulator, dir: string): Promise<LiveInstall["webhook"]> {
  // a year: a healthy install's certificate is nowhere near the expiry alerts' 14 days
  const certs = await generateWebhookCertificates({ serviceName: componentName("webhook"), namespace: INSTALL_NAMESPACE, ipSans: ["127.0.0.1"], validityDays: 365, caValidityDays: 365, now: new Date() });
  const paths = writeCertificateSet(dir, certs);
  const caFile = join(dir, "scrape-ca.crt");
  writeFileSync(caFile, certs.ca.cert);
  const kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  const args = ["webhook", "serve", "--addr", "127.0.0.1:0", "--tls-cert", paths.tlsCert, "--tls-key", paths.tlsKey, "--kubeconfig", kubeconfig, "--log-format", "json", "--metrics-auth", "kubernetes", "--namespace", INSTALL_NAMESPACE];
  const proc = Bun.spawn([ensureBinary(), ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
  let text = "";
  void (async () => {
    for await (const chunk of proc.stderr) text += new TextDecoder().decode(chunk);
  })();
  const url = await until("the webhook's listening line", () => /"url":"(https:[^"]+)"/.exec(text)?.[1] ?? (proc.exitCode === null ? undefined : Promise.reject(new Error(`webhook exited: ${text}`))));
  // Ready once its policy cache has listed: only then do reviews see the policies
  await until("the webhook to be Ready", async () => ((await fetch(`${url}/readyz`, { tls: { ca: certs.ca.cert } })).status === 200 ? true : undefined));
  return { proc, url, ca: certs.ca.cert, caFile };
}

/** Starts the emulator, the fixtures and the three components. */
export async function startLiveInstall(): Promise<LiveInstall> {
  ensureBinary();
  const dir = mkdtempSync(join(tmpdir(), "kd-live-"));
  // the webhook's Service, as the emulator dials it for the generated VWC: the webhook once it listens
  const webhookService = { address: undefined as string | undefined, webhook: undefined as string | undefined };
  const service = componentName("webhook");
  // the API server's certificate names `kubernetes`, the server name kube-prometheus-stack verifies
  const pki = await createTestPki(["localhost", "127.0.0.1", "kubernetes", "kubernetes.default.svc"]);
  const emu = await startEmulator({ pki, webhookServices: (ns, name) => (ns === INSTALL_NAMESPACE && name === service ? webhookService.address : undefined) });
  const started: Subprocess[] = [];
  try {
    const cluster = await prepareCluster(emu, [INSTALL_NAMESPACE, ...NAMESPACES, POLICY_ONLY_NAMESPACE]);
    // the generated metrics reader, and its token where the ServiceMonitors' Secret would hold it
    for (const o of renderMetricsReader(resolveDeployOptions("1.0.0", { namespace: INSTALL_NAMESPACE })) as (KubeObject & { apiVersion: string; kind: string })[]) {
      const plural = `${o.kind.toLowerCase()}s`;
      await emu.store.create(o.apiVersion.includes("/") ? `${plural}.${o.apiVersion.split("/")[0]}` : plural, o as never, { namespace: o.metadata?.namespace });
    }
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, emu.serviceAccountToken(INSTALL_NAMESPACE, METRICS_READER));
    for (const ns of NAMESPACES) for (const pod of fixturePods(ns)) emu.store.load(pod as never);
    await emu.store.create("devopspolicies.devops.stochastic.io", testPolicy("strict", "shop", { ...CHECKS, enforcementMode: "enforce" }) as never, { namespace: "shop" });
    await emu.store.create("devopspolicies.devops.stochastic.io", testPolicy("observe", "batch", { ...CHECKS, enforcementMode: "audit" }) as never, { namespace: "batch" });
    await emu.store.create("devopspolicies.devops.stochastic.io", testPolicy("gate", POLICY_ONLY_NAMESPACE, { ...CHECKS, enforcementMode: "enforce" }) as never, { namespace: POLICY_ONLY_NAMESPACE });
    const [watchSpec, reconcileSpec] = ["watch", "reconcile"].map((n) => LEASE_COMPONENTS.find((c) => c.name === n)!.spec);
    // as the generated Deployments run them (gen/workloads.ts)
    const authorized = ["--metrics-auth", "kubernetes"];
    const watch = await startReplica({ ...watchSpec!, command: [...watchSpec!.command, ...authorized] }, cluster.kubeconfigPath, "watch-0", LEASE_FLAGS);
    started.push(watch.proc);
    // requeue every second: reconciles (and their duration histogram) keep moving between scrapes
    const reconcile = await startReplica({ ...reconcileSpec!, command: [...reconcileSpec!.command, "--requeue-interval", "1s", ...authorized] }, cluster.kubeconfigPath, "reconcile-0", LEASE_FLAGS);
    started.push(reconcile.proc);
    const webhook = await startWebhook(emu, dir);
    started.push(webhook.proc);
    webhookService.webhook = webhookService.address = new URL(webhook.url).host;
    const deploy = resolveDeployOptions("1.0.0", { namespace: INSTALL_NAMESPACE });
    await emu.store.create("validatingwebhookconfigurations.admissionregistration.k8s.io", renderAdmissionConfiguration(deploy, encodeCaBundle(webhook.ca)) as never);
    const apiServerCaFile = join(dir, "apiserver-ca.crt");
    writeFileSync(apiServerCaFile, emu.caPem);
    return {
      emu,
      watch,
      reconcile,
      webhook,
      tokenFile,
      apiServerCaFile,
      routeWebhookService(address) {
        webhookService.address = address ?? webhookService.webhook;
      },
      async post(body) {
        const res = await fetch(`${webhook.url}/validate`, { method: "POST", body, headers: { "Content-Type": "application/json" }, tls: { ca: webhook.ca } });
        const parsed = (await res.json()) as { response?: { allowed: boolean; warnings?: string[] } };
        return { status: res.status, ...(parsed.response ? { response: parsed.response } : {}) };
      },
      async stop() {
        for (const p of started) p.kill("SIGKILL");
        await emu.stop();
      },
    };
  } catch (err) {
    for (const p of started) p.kill("SIGKILL");
    await emu.stop();
    throw err;
  }
}

/** An AdmissionReview (CREATE) of a one-container pod. */
export function podReview(uid: string, namespace: string, container: Record<string, unknown>, annotations?: Record<string, string>): string {
  const object = { apiVersion: "v1", kind: "Pod", metadata: { name: `p-${uid}`, namespace, ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name: "app", ...container }] } };
  return JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid, kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, namespace, operation: "CREATE", userInfo: { username: "alice" }, object } });
}

const PROBES = { livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 } } };

/** One round of reviews: allowed, denied (:latest under enforce), warned (no probes; :latest under audit), exempted (:latest waived). */
export async function sendReviews(install: LiveInstall, round: number): Promise<{ allowed: boolean; warned: boolean }[]> {
  const bodies = [
    podReview(`ok-${round}`, "shop", { image: "nginx:1.27", ...PROBES }),
    podReview(`latest-${round}`, "shop", { image: "nginx:latest", ...PROBES }),
    podReview(`probes-${round}`, "shop", { image: "nginx:1.27" }),
    podReview(`audit-${round}`, "batch", { image: "nginx:latest", ...PROBES }),
    podReview(`exempt-${round}`, "shop", { image: "nginx:latest", ...PROBES }, { "devops.stochastic.io/exempt-checks": "latest_tag", "devops.stochastic.io/exempt-reason": "vendor image, pinned by digest upstream" }),
  ];
  const verdicts = [];
  for (const body of bodies) {
    const { status, response } = await install.post(body);
    if (status !== 200 || !response) throw new Error(`review answered HTTP ${status}`);
    verdicts.push({ allowed: response.allowed, warned: (response.warnings?.length ?? 0) > 0 });
  }
  return verdicts;
}

interface Endpoint {
  port: string;
  scheme?: string;
  honorLabels?: boolean;
  tlsConfig?: { ca?: { secret?: { name: string; key: string } }; serverName?: string; insecureSkipVerify?: boolean };
  authorization?: { type?: string; credentials?: { name: string; key: string } };
}

/**
 * What prometheus-operator generates from the component's generated ServiceMonitor endpoint, as a
 * static job: its scheme and TLS settings, and its bearer token, with the Secrets it names read
 * from files (the webhook's CA, the reader's token). A setting this does not translate fails.
 */
function scrapeJob(component: Component, url: string, install: LiveInstall) {
  const monitor = renderServiceMonitor(resolveDeployOptions("1.0.0", { namespace: INSTALL_NAMESPACE }), component);
  const { port, scheme, honorLabels, tlsConfig, authorization, ...rest } = monitor.spec.endpoints?.[0] as Endpoint & { path?: string; interval?: string };
  if (Object.keys(rest).some((k) => k !== "path" && k !== "interval")) throw new Error(`scrapeJob: cannot translate ${Object.keys(rest).join(", ")} of the ${component} ServiceMonitor`);
  const secretFile = (ref: { name: string; key: string }) => {
    if (ref.name === METRICS_READER_SECRET && ref.key === "token") return install.tokenFile;
    if (ref.name === "kube-devops-webhook-tls" && ref.key === "ca.crt") return install.webhook.caFile;
    throw new Error(`scrapeJob: no file for Secret ${ref.name} key ${ref.key}`);
  };
  const tls = tlsConfig
    ? { tls_config: { ...(tlsConfig.ca?.secret ? { ca_file: secretFile(tlsConfig.ca.secret) } : {}), ...(tlsConfig.serverName ? { server_name: tlsConfig.serverName } : {}), ...(tlsConfig.insecureSkipVerify ? { insecure_skip_verify: true } : {}) } }
    : {};
  const auth = authorization?.credentials ? { authorization: { type: authorization.type ?? "Bearer", credentials_file: secretFile(authorization.credentials) } } : {};
  const service = componentName(component);
  // the target labels prometheus-operator sets: namespace, service, pod, endpoint (job is the Service)
  const labels = { namespace: INSTALL_NAMESPACE, service, pod: `${service}-7d9f8-0`, endpoint: port };
  return { job_name: service, honor_labels: honorLabels === true, scheme: scheme ?? "http", ...tls, ...auth, static_configs: [{ targets: [new URL(url).host], labels }] };
}

/**
 * kube-prometheus-stack's `apiserver` ServiceMonitor as a static job: the `kubernetes` Service in
 * `default` (jobLabel `component` = apiserver), HTTPS verified as server name `kubernetes`, the
 * scraper's ServiceAccount token (here the metrics reader's: its ClusterRole grants get /metrics).
 */
function apiServerJob(install: LiveInstall) {
  return {
    job_name: "apiserver",
    honor_labels: false,
    scheme: "https",
    tls_config: { ca_file: install.apiServerCaFile, server_name: "kubernetes" },
    authorization: { type: "Bearer", credentials_file: install.tokenFile },
    static_configs: [{ targets: [new URL(install.emu.url).host], labels: { namespace: "default", service: "kubernetes", endpoint: "https" } }],
  };
}

/** The Prometheus config: 1 s scrapes and rule evaluations of all three components and the API server. */
export function scrapeConfig(install: LiveInstall): Record<string, unknown> {
  const urls: Record<Component, string> = { watch: install.watch.url, reconcile: install.reconcile.url, webhook: install.webhook.url };
  return {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    scrape_configs: [...(Object.keys(urls) as Component[]).map((c) => scrapeJob(c, urls[c], install)), apiServerJob(install)],
  };
}
