/**
 * @module
 * A small live install for the observability end-to-end test: the API emulator with two
 * namespaces of pods that produce every kind of finding, an enforce and an audit DevOpsPolicy,
 * and the compiled watch, reconcile and webhook processes; plus the Prometheus scrape config
 * prometheus-operator would derive from our ServiceMonitors (job = Service name, honor_labels).
 */
import type { Subprocess } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { componentName } from "../../gen/options.ts";
import { webhookServerName } from "../../gen/observability/service-monitors.ts";
import { COMPONENT_PORTS } from "../../gen/workloads.ts";
import type { Component } from "../../lib/rbac/permissions.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, testPolicy } from "../operator/support.ts";
import { LEASE_COMPONENTS } from "../reliability/components.ts";
import { LEASE_FLAGS, startReplica, until, type Replica } from "../reliability/replicas.ts";
import { ensureBinary } from "../support/binary.ts";
import { makePod } from "../watch/support.ts";

/** The namespace the install runs in (the alert rules select it). */
export const INSTALL_NAMESPACE = "kube-devops";
/** Workload namespaces: `shop` under an enforce policy, `batch` under an audit one. */
export const NAMESPACES = ["shop", "batch"] as const;

export interface LiveInstall {
  emu: Emulator;
  watch: Replica;
  reconcile: Replica;
  webhook: { proc: Subprocess; url: string; ca: string; caFile: string };
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
  // --metrics-auth none: the token path is proven with a real Prometheus in test/webhook/metrics-auth-binary.test.ts
  const args = ["webhook", "serve", "--addr", "127.0.0.1:0", "--tls-cert", paths.tlsCert, "--tls-key", paths.tlsKey, "--kubeconfig", kubeconfig, "--log-format", "json", "--metrics-auth", "none", "--namespace", INSTALL_NAMESPACE];
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
  const emu = await startEmulator();
  const started: Subprocess[] = [];
  try {
    const cluster = await prepareCluster(emu, [INSTALL_NAMESPACE, ...NAMESPACES]);
    for (const ns of NAMESPACES) for (const pod of fixturePods(ns)) emu.store.load(pod as never);
    await emu.store.create("devopspolicies.devops.stochastic.io", testPolicy("strict", "shop", { ...CHECKS, enforcementMode: "enforce" }) as never, { namespace: "shop" });
    await emu.store.create("devopspolicies.devops.stochastic.io", testPolicy("observe", "batch", { ...CHECKS, enforcementMode: "audit" }) as never, { namespace: "batch" });
    const [watchSpec, reconcileSpec] = ["watch", "reconcile"].map((n) => LEASE_COMPONENTS.find((c) => c.name === n)!.spec);
    const watch = await startReplica(watchSpec!, cluster.kubeconfigPath, "watch-0", LEASE_FLAGS);
    started.push(watch.proc);
    // requeue every second: reconciles (and their duration histogram) keep moving between scrapes
    const reconcile = await startReplica({ ...reconcileSpec!, command: [...reconcileSpec!.command, "--requeue-interval", "1s"] }, cluster.kubeconfigPath, "reconcile-0", LEASE_FLAGS);
    started.push(reconcile.proc);
    const webhook = await startWebhook(emu, dir);
    started.push(webhook.proc);
    return {
      emu,
      watch,
      reconcile,
      webhook,
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
export function podReview(uid: string, namespace: string, container: Record<string, unknown>): string {
  const object = { apiVersion: "v1", kind: "Pod", metadata: { name: `p-${uid}`, namespace }, spec: { containers: [{ name: "app", ...container }] } };
  return JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid, kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, namespace, operation: "CREATE", userInfo: { username: "alice" }, object } });
}

const PROBES = { livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 } } };

/** One round of reviews: allowed, denied (:latest under enforce), warned (no probes; :latest under audit). */
export async function sendReviews(install: LiveInstall, round: number): Promise<{ allowed: boolean; warned: boolean }[]> {
  const bodies = [
    podReview(`ok-${round}`, "shop", { image: "nginx:1.27", ...PROBES }),
    podReview(`latest-${round}`, "shop", { image: "nginx:latest", ...PROBES }),
    podReview(`probes-${round}`, "shop", { image: "nginx:1.27" }),
    podReview(`audit-${round}`, "batch", { image: "nginx:latest", ...PROBES }),
  ];
  const verdicts = [];
  for (const body of bodies) {
    const { status, response } = await install.post(body);
    if (status !== 200 || !response) throw new Error(`review answered HTTP ${status}`);
    verdicts.push({ allowed: response.allowed, warned: (response.warnings?.length ?? 0) > 0 });
  }
  return verdicts;
}

/** What prometheus-operator generates from one ServiceMonitor endpoint, as a static job. */
function scrapeJob(component: Component, url: string, caFile: string) {
  const port = COMPONENT_PORTS[component];
  const service = componentName(component);
  const tls = port.scheme === "HTTPS" ? { scheme: "https", tls_config: { ca_file: caFile, server_name: webhookServerName(INSTALL_NAMESPACE) } } : {};
  // the target labels prometheus-operator sets: namespace, service, pod, endpoint (job is the Service)
  const labels = { namespace: INSTALL_NAMESPACE, service, pod: `${service}-7d9f8-0`, endpoint: port.name };
  return { job_name: service, honor_labels: true, ...tls, static_configs: [{ targets: [new URL(url).host], labels }] };
}

/** The Prometheus config: 1 s scrapes and rule evaluations of all three components. */
export function scrapeConfig(install: LiveInstall): Record<string, unknown> {
  const urls: Record<Component, string> = { watch: install.watch.url, reconcile: install.reconcile.url, webhook: install.webhook.url };
  return {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    scrape_configs: (Object.keys(urls) as Component[]).map((c) => scrapeJob(c, urls[c], install.webhook.caFile)),
  };
}
