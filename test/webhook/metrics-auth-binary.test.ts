/**
 * `kube-devops webhook serve --metrics-auth` as shipped (the compiled binary) against the API
 * emulator: by default `/metrics` needs a token of an identity allowed to get it (the generated
 * metrics reader), fails closed while the API server is away and keeps admitting meanwhile; a
 * real Prometheus scrapes it as prometheus-operator configures it from our ServiceMonitor (HTTPS
 * verified with the CA, the reader's token), and gets nothing without the token;
 * `--metrics-auth none` serves it to anyone, as the reference did (decision 0029).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveDeployOptions } from "../../gen/options.ts";
import { METRICS_READER, renderMetricsReader } from "../../gen/rbac.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { ensureBinary, runBinary } from "../support/binary.ts";
import { goodContainer, pod, request, review } from "./fixtures.ts";

const NAMESPACE = "kube-devops";
let emu: Emulator;
let ca: string;
let tls: { tlsCert: string; tlsKey: string };
let kubeconfig: string;
const processes: { proc: ReturnType<typeof Bun.spawn>; log: () => string }[] = [];

/** Starts `webhook serve` with `extra` flags; resolves with its URL once it listens. */
async function serve(extra: string[]): Promise<{ url: string; log: () => string }> {
  const proc = Bun.spawn([ensureBinary(), "webhook", "serve", "--addr", "127.0.0.1:0", "--tls-cert", tls.tlsCert, "--tls-key", tls.tlsKey, "--kubeconfig", kubeconfig, "--log-format", "json", ...extra], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let text = "";
  void (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) text += new TextDecoder().decode(chunk);
  })();
  const entry = { proc, log: () => text };
  processes.push(entry);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const url = /"url":"(https:[^"]+)"/.exec(text)?.[1];
    if (url) return { url, log: entry.log };
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`webhook serve did not start: ${text}`);
    await Bun.sleep(25);
  }
}

async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = server.port ?? 0;
  await server.stop(true);
  return port;
}

const scrape = (url: string, token?: string) => fetch(`${url}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {}, tls: { ca } });

async function validate(url: string): Promise<{ status: number; allowed?: boolean }> {
  const res = await fetch(`${url}/validate`, { method: "POST", body: JSON.stringify(review(request(pod([goodContainer()])))), headers: { "Content-Type": "application/json" }, tls: { ca } });
  return { status: res.status, allowed: ((await res.json()) as { response?: { allowed?: boolean } }).response?.allowed };
}

beforeAll(async () => {
  ensureBinary();
  emu = await startEmulator();
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
  for (const o of renderMetricsReader(resolveDeployOptions("1.0.0", { namespace: NAMESPACE })) as (KubeObject & { apiVersion: string; kind: string })[]) {
    const plural = `${o.kind.toLowerCase()}s`;
    await emu.store.create(o.apiVersion.includes("/") ? `${plural}.${o.apiVersion.split("/")[0]}` : plural, o as never, { namespace: o.metadata?.namespace });
  }
  const dir = mkdtempSync(join(tmpdir(), "kd-metrics-bin-"));
  const certs = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: NAMESPACE, ipSans: ["127.0.0.1"], validityDays: 1, caValidityDays: 1, now: new Date() });
  ca = certs.ca.cert;
  tls = writeCertificateSet(dir, certs);
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
});

afterAll(async () => {
  for (const p of processes) p.proc.kill("SIGKILL");
  await emu?.stop();
});

describe("webhook serve --metrics-auth (binary) against the emulator", () => {
  test("default (kubernetes): 401 without a token, 200 with the metrics reader's; the probes stay open", async () => {
    const { url } = await serve([]);
    const refused = await scrape(url);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    expect((await scrape(url, "forged")).status).toBe(401);
    const res = await scrape(url, emu.serviceAccountToken(NAMESPACE, METRICS_READER));
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^kube_devops_build_info\{component="webhook"/m);
    expect((await fetch(`${url}/healthz`, { tls: { ca } })).status).toBe(200);
    expect([200, 503]).toContain((await fetch(`${url}/readyz`, { tls: { ca } })).status); // open: readiness, not a 401
  });

  test("API server down: /metrics 503 with a log line, /validate still admits; back up, the token works", async () => {
    const { url, log } = await serve(["--metrics-auth", "kubernetes"]);
    const token = emu.serviceAccountToken(NAMESPACE, METRICS_READER);
    await emu.faults.stopListener();
    try {
      expect((await scrape(url, token)).status).toBe(503);
      expect(log()).toContain("cannot authorize a metrics request");
      expect(await validate(url)).toEqual({ status: 200, allowed: true });
    } finally {
      await emu.faults.startListener();
    }
    expect((await scrape(url, token)).status).toBe(200);
  });

  test("a real Prometheus scrapes it with the reader's token, as the ServiceMonitor configures it; without the token the target is down", async () => {
    const { url } = await serve([]);
    const prometheus = Bun.which("prometheus");
    if (!prometheus) throw new Error("prometheus is missing: install the Debian package `prometheus` (.ci/run does this)");
    const dir = mkdtempSync(join(tmpdir(), "kd-metrics-prom-"));
    writeFileSync(join(dir, "ca.crt"), ca);
    writeFileSync(join(dir, "token"), emu.serviceAccountToken(NAMESPACE, METRICS_READER));
    // what prometheus-operator generates from the webhook's ServiceMonitor endpoint (scheme, tlsConfig, authorization)
    const job = (name: string, authorization: string) =>
      `  - job_name: ${name}\n    scheme: https\n    tls_config:\n      ca_file: ${join(dir, "ca.crt")}\n      server_name: kube-devops-webhook.${NAMESPACE}.svc\n${authorization}    static_configs:\n      - targets: ["${new URL(url).host}"]\n`;
    const config = `global:\n  scrape_interval: 1s\nscrape_configs:\n${job("webhook", `    authorization:\n      type: Bearer\n      credentials_file: ${join(dir, "token")}\n`)}${job("anonymous", "")}`;
    writeFileSync(join(dir, "prometheus.yml"), config);
    const port = await freePort();
    const prom = Bun.spawn([prometheus, `--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdout: "ignore", stderr: "ignore" });
    try {
      const query = async (q: string) => ((await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } }).data?.result ?? [];
      const deadline = Date.now() + 30_000;
      let up: Record<string, string> = {};
      while (Object.keys(up).length < 2 || (await query('kube_devops_build_info{job="webhook"}')).length === 0) {
        if (Date.now() > deadline) throw new Error(`Prometheus did not scrape both jobs: ${JSON.stringify(up)}`);
        await Bun.sleep(200);
        up = Object.fromEntries((await query("up").catch(() => [])).map((r) => [r.metric.job ?? "", r.value[1]]));
      }
      expect(up).toEqual({ webhook: "1", anonymous: "0" });
      expect((await query('kube_devops_build_info{job="webhook",component="webhook"}')).length).toBe(1);
    } finally {
      prom.kill("SIGTERM");
      await prom.exited;
    }
  }, 60_000);

  test("--metrics-auth none: /metrics is open, as in the reference", async () => {
    const { url, log } = await serve(["--metrics-auth", "none"]);
    const res = await scrape(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("webhook_requests_total");
    expect(log()).toContain('"metricsAuth":"none"');
  });

  test("an unknown --metrics-auth value is a usage error", () => {
    const { code, stderr } = runBinary(["webhook", "serve", "--metrics-auth", "basic", "--kubeconfig", kubeconfig]);
    expect(code).toBe(2);
    expect(stderr).toContain("--metrics-auth");
  });
});
