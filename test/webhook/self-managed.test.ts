/**
 * `webhook serve --self-managed` (compiled binary, two replicas) against the API
 * emulator: the first replica creates the TLS Secret, both serve a certificate from
 * that one CA, the VWC's caBundle is set, and a nearly expired certificate is renewed
 * under the same CA and picked up by both replicas without a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { connect } from "../../lib/kube/connect.ts";
import { readSecretData, toSecretData } from "../../lib/webhook/cert-plan.ts";
import { createCertificateAuthority, describeCertificate, issueServingCertificate } from "../../lib/webhook/certs.ts";
import { ensureWebhookCertificates } from "../../lib/webhook/self-managed-certs.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { ensureBinary } from "../support/binary.ts";

let emu: Emulator;
let dir: string;
const replicas: Array<{ proc: ReturnType<typeof Bun.spawn>; stderr: string[]; url: string }> = [];

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${replicas.map((r) => r.stderr.join("")).join("\n---\n")}`);
    await Bun.sleep(100);
  }
}

async function startReplica(kubeconfig: string) {
  const stderr: string[] = [];
  const proc = Bun.spawn([ensureBinary(), "webhook", "serve", "--self-managed", "--addr", "127.0.0.1:0", "--cert-check-interval", "1", "--namespace", "kube-devops", "--kubeconfig", kubeconfig, "--log-format", "json"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
    stdout: "ignore",
    stderr: "pipe",
  });
  void (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr.push(new TextDecoder().decode(chunk));
  })();
  const replica = { proc, stderr, url: "" };
  replicas.push(replica);
  replica.url = await until("the listening line", async () => /"url":"(https:[^"]+)"/.exec(stderr.join(""))?.[1]);
  return replica;
}

/** The serial the replica presents (TLS handshake trusting `ca`). */
async function servedSerial(url: string, ca: string): Promise<string> {
  const tls = await import("node:tls");
  const port = Number(new URL(url).port);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca, servername: "kube-devops-webhook.kube-devops.svc" }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on("error", reject);
  });
}

async function secretCerts() {
  const secret = (await emu.store.get("secrets", "kube-devops", "kube-devops-webhook-tls")) as { data?: unknown; type?: string; metadata: { resourceVersion?: string } };
  const certs = readSecretData(secret.data);
  if (!certs) throw new Error("incomplete secret");
  return { secret, certs };
}

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "kd-selfmanaged-"));
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-devops" } });
  const vwc = renderWebhookConfiguration({ caBundle: "" }) as { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
  for (const hook of vwc.webhooks) delete hook.clientConfig.caBundle; // as the generated manifests ship it
  await emu.store.create("validatingwebhookconfigurations.admissionregistration.k8s.io", vwc as never);
  const kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  await Promise.all([startReplica(kubeconfig), startReplica(kubeconfig)]);
}, 60_000);

afterAll(async () => {
  for (const r of replicas) r.proc.kill("SIGKILL");
  await emu?.stop();
});

describe("webhook serve --self-managed (two replicas, emulator)", () => {
  test("one Secret, one CA, both replicas serve a certificate for the Service, the caBundle is set", async () => {
    const { secret, certs } = await secretCerts();
    expect(secret.type).toBe("kubernetes.io/tls");
    const info = await describeCertificate(certs.server.cert);
    expect(info.dnsNames).toContain("kube-devops-webhook.kube-devops.svc");
    for (const r of replicas) {
      const serial = await until("the replica to serve the Secret's certificate", async () => {
        const s = await servedSerial(r.url, certs.ca.cert);
        return s === info.serialNumber ? s : undefined;
      });
      expect(serial).toBe(info.serialNumber);
    }
    const vwc = await until("the caBundle", async () => {
      const v = (await emu.store.get("validatingwebhookconfigurations.admissionregistration.k8s.io", undefined, "kube-devops-webhook")) as unknown as { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
      return v.webhooks[0]?.clientConfig.caBundle ? v : undefined;
    });
    expect(Buffer.from(vwc.webhooks[0]?.clientConfig.caBundle ?? "", "base64").toString()).toBe(certs.ca.cert.trim() + "\n");
  });

  test("a nearly expired serving certificate is renewed under the same CA and both replicas switch to it", async () => {
    const { secret, certs } = await secretCerts();
    const stale = await issueServingCertificate(certs.ca, { serviceName: "kube-devops-webhook", namespace: "kube-devops", validityDays: 1, now: new Date(Date.now() - 23 * 3600_000) });
    await emu.store.update("secrets", { ...secret, data: toSecretData({ ...certs, server: stale.server }) } as never, { namespace: "kube-devops" });
    const renewed = await until("a renewal", async () => {
      const now = await secretCerts();
      return now.certs.server.cert !== stale.server.cert && now.certs.server.cert !== certs.server.cert ? now.certs : undefined;
    });
    expect(renewed.ca.cert).toBe(certs.ca.cert);
    const serial = (await describeCertificate(renewed.server.cert)).serialNumber;
    for (const r of replicas) {
      await until("the replica to hand over to the renewed certificate", async () => ((await servedSerial(r.url, certs.ca.cert)) === serial ? true : undefined));
      // the log names where the pair came from: the Secret, not the --tls-cert file it never read
      // (logged once the old listener has stopped accepting, a moment after the new one serves)
      const reloaded = await until("the reload log line", async () => r.stderr.join("").split("\n").find((l) => l.includes("TLS certificate reloaded")));
      expect(JSON.parse(reloaded)).toMatchObject({ certFile: "Secret kube-devops/kube-devops-webhook-tls (tls.crt)" });
    }
  });
});

describe("ensureWebhookCertificates(): CA rotation in two steps (emulator)", () => {
  test("an aging CA is staged into the bundle first, and signs only after it was published", async () => {
    const DAY = 86_400_000;
    const ca = await createCertificateAuthority({ validityDays: 10, now: new Date(Date.now() - 9 * DAY) });
    const old = await issueServingCertificate(ca, { serviceName: "kube-devops-webhook", namespace: "kube-devops", validityDays: 1, now: new Date() });
    await emu.store.create("secrets", { apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name: "rotation-tls", namespace: "kube-devops" }, data: toSecretData(old) } as never, { namespace: "kube-devops" });
    const { client } = connect({ kubeconfig: join(dir, "kubeconfig"), env: {}, rateLimit: false });
    const options = { client, namespace: "kube-devops", secretName: "rotation-tls", serviceName: "kube-devops-webhook", webhookConfigurationName: "none", now: () => new Date(), promoteAfterMs: 1500 }; // x509 times have whole seconds: allow for it

    const staged = await ensureWebhookCertificates(options);
    expect(staged.action).toBe("stage-ca");
    expect(staged.pair.cert).toBe(old.server.cert); // still serving the old one
    expect(staged.caBundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect((await ensureWebhookCertificates(options)).action).toBe("keep");

    await Bun.sleep(1600);
    const promoted = await ensureWebhookCertificates(options);
    expect(promoted.action).toBe("promote-ca");
    const stored = readSecretData(((await emu.store.get("secrets", "kube-devops", "rotation-tls")) as { data?: unknown }).data);
    expect(stored?.ca.cert).not.toBe(ca.cert);
    expect((await describeCertificate(promoted.pair.cert)).issuer).toBe((await describeCertificate(stored?.ca.cert ?? "")).subject);
    expect(stored?.previousCa).toBe(ca.cert); // the old CA stays trusted until it expires
    expect(promoted.caBundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });
});
