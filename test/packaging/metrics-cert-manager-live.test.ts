/**
 * `--cert-mode cert-manager` end to end for watch's and reconcile's /metrics: each compiled
 * component runs with the args its generated Deployment has (mount paths pointed at a directory
 * laid out as cert-manager's Secret: tls.crt, tls.key, ca.crt), on a certificate issued for the
 * DNS names the generated Certificate asks for; a real Prometheus scrapes them as
 * prometheus-operator would from the generated ServiceMonitors — verified against the Secret's
 * ca.crt under the ServiceMonitor's serverName, with the metrics reader's token. A job that
 * trusts another CA must fail, so the verification is real.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderMetricsCertificate } from "../../gen/cert-manager.ts";
import { resolveDeployOptions } from "../../gen/options.ts";
import { renderServiceMonitor } from "../../gen/observability/service-monitors.ts";
import { METRICS_READER, METRICS_READER_SECRET, renderMetricsReader } from "../../gen/rbac.ts";
import { componentArgs, METRICS_TLS_DIR } from "../../gen/workloads.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { createCertificateAuthority, generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster } from "../operator/support.ts";
import { LEASE_COMPONENTS } from "../reliability/components.ts";
import { LEASE_FLAGS, startReplica, until, type Replica } from "../reliability/replicas.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";

const NAMESPACE = "kube-devops";
const options = resolveDeployOptions("1.0.0", { namespace: NAMESPACE, webhook: { ...resolveDeployOptions("1.0.0").webhook, certMode: "cert-manager" } });
const COMPONENTS = ["watch", "reconcile"] as const;

let emu: Emulator;
let prometheus: Prometheus | undefined;
const replicas: Replica[] = [];

/** The Secret cert-manager would write for the component's generated Certificate, as files. */
async function issueAsCertManager(component: (typeof COMPONENTS)[number], dir: string): Promise<{ secretDir: string; secretName: string }> {
  const certificate = renderMetricsCertificate(options, component);
  const issued = await generateWebhookCertificates({ serviceName: `kube-devops-${component}`, namespace: NAMESPACE, dnsSans: certificate.spec!.dnsNames!, validityDays: 1, caValidityDays: 1, now: new Date() });
  const secretDir = join(dir, certificate.spec!.secretName);
  mkdirSync(secretDir);
  writeFileSync(join(secretDir, "tls.crt"), issued.server.cert);
  writeFileSync(join(secretDir, "tls.key"), issued.server.key, { mode: 0o600 });
  writeFileSync(join(secretDir, "ca.crt"), issued.ca.cert);
  return { secretDir, secretName: certificate.spec!.secretName };
}

/** The scrape job prometheus-operator derives from the generated ServiceMonitor, Secrets read from `files`. */
function scrapeJob(component: (typeof COMPONENTS)[number], target: string, files: Record<string, string>, jobName = `kube-devops-${component}`) {
  const endpoint = renderServiceMonitor(options, component).spec.endpoints![0]!;
  const file = (ref: { name: string; key: string }) => {
    const path = files[`${ref.name}/${ref.key}`];
    if (!path) throw new Error(`no file for Secret ${ref.name} key ${ref.key}`);
    return path;
  };
  const tls = endpoint.tlsConfig!;
  if (tls.insecureSkipVerify) throw new Error(`the ${component} ServiceMonitor does not verify`);
  return {
    job_name: jobName,
    scheme: endpoint.scheme,
    tls_config: { ca_file: file(tls.ca!.secret! as { name: string; key: string }), server_name: tls.serverName },
    authorization: { type: "Bearer", credentials_file: file(endpoint.authorization!.credentials as { name: string; key: string }) },
    static_configs: [{ targets: [new URL(target).host] }],
  };
}

describe("cert-manager mode: Prometheus verifies watch's and reconcile's /metrics", () => {
  const files: Record<string, string> = {};
  const urls: Record<string, string> = {};
  let otherCa = "";

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-metrics-cm-"));
    emu = await startEmulator();
    const cluster = await prepareCluster(emu, [NAMESPACE]);
    for (const o of renderMetricsReader(options) as (KubeObject & { apiVersion: string; kind: string })[]) {
      const plural = `${o.kind.toLowerCase()}s`;
      await emu.store.create(o.apiVersion.includes("/") ? `${plural}.${o.apiVersion.split("/")[0]}` : plural, o as never, { namespace: o.metadata?.namespace });
    }
    files[`${METRICS_READER_SECRET}/token`] = join(dir, "token");
    writeFileSync(files[`${METRICS_READER_SECRET}/token`]!, emu.serviceAccountToken(NAMESPACE, METRICS_READER));
    for (const component of COMPONENTS) {
      const { secretDir, secretName } = await issueAsCertManager(component, dir);
      files[`${secretName}/ca.crt`] = join(secretDir, "ca.crt");
      // the generated Deployment's args, its mount path pointing at this Secret's files
      const args = componentArgs(options, component).map((a) => a.replace(`${METRICS_TLS_DIR}/`, `${secretDir}/`));
      expect(args).toContain(join(secretDir, "tls.crt"));
      const spec = LEASE_COMPONENTS.find((c) => c.name === component)!.spec;
      const replica = await startReplica({ ...spec, command: args }, cluster.kubeconfigPath, `${component}-0`, LEASE_FLAGS);
      replicas.push(replica);
      urls[component] = replica.url;
    }
    otherCa = join(dir, "other-ca.crt");
    writeFileSync(otherCa, (await createCertificateAuthority({ validityDays: 1, now: new Date() })).cert);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    for (const r of replicas) r.proc.kill("SIGKILL");
    await emu?.stop();
  });

  test("the scrapes the ServiceMonitors describe succeed, and one trusting another CA fails", async () => {
    const jobs = COMPONENTS.flatMap((c) => {
      const job = scrapeJob(c, urls[c]!, files);
      return [job, { ...job, job_name: `${c}-other-ca`, tls_config: { ...job.tls_config, ca_file: otherCa } }];
    });
    prometheus = await startPrometheus({ global: { scrape_interval: "1s", scrape_timeout: "900ms" }, scrape_configs: jobs });
    const up = async () => Object.fromEntries((await prometheus!.query("up")).map((s) => [s.metric.job, s.value[1]]));
    const seen = await until("every job scraped once", async () => {
      const now = await up();
      return Object.keys(now).length === jobs.length ? now : undefined;
    });
    expect(seen).toEqual({ "kube-devops-watch": "1", "watch-other-ca": "0", "kube-devops-reconcile": "1", "reconcile-other-ca": "0" });
    // and what the verified scrape read is the component's own metrics
    expect((await prometheus.query('kube_devops_build_info{job="kube-devops-watch"}')).map((s) => s.metric.component)).toEqual(["watch"]);
    expect((await prometheus.query('kube_devops_build_info{job="kube-devops-reconcile"}')).map((s) => s.metric.component)).toEqual(["reconcile"]);
  }, 60_000);
});
