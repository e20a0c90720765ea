/**
 * webhook_certificate_expiration_timestamp_seconds{certificate="ca"} is the bundle's CA that
 * verifies the served certificate, whatever its place in the bundle: a CA rotation's bundle holds
 * the old and the new CA (same name) in either order.
 */
import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { createLogger } from "../../lib/log.ts";
import { createExpiryRecorder, findServingCa, recordCertificateExpiry } from "../../lib/webhook/certificate-expiry.ts";
import { createCertificateAuthority, issueServingCertificate, type PemPair } from "../../lib/webhook/certs.ts";
import { createWebhookMetrics } from "../../lib/webhook/metrics.ts";
import { loadX509 } from "../../lib/webhook/x509.ts";

const NOW = new Date("2026-11-26T12:00:00Z");
const DAY = 86_400_000;

async function serving(ca: PemPair, validityDays = 30): Promise<string> {
  return (await issueServingCertificate(ca, { serviceName: "kube-devops-webhook", namespace: "kube-devops", validityDays, now: NOW })).server.cert;
}

function seconds(days: number): number {
  return Math.floor((NOW.getTime() + days * DAY) / 1000);
}

// the old CA expires in 10 days, the new one in 1,825: both named CN=kube-devops-webhook-ca
const oldCa = await createCertificateAuthority({ validityDays: 10, now: NOW });
const newCa = await createCertificateAuthority({ validityDays: 1825, now: NOW });
const underOld = await serving(oldCa, 5);
const underNew = await serving(newCa);

async function record(servingPem: string, bundlePem: string | undefined) {
  const metrics = createWebhookMetrics(new Registry());
  const lines: string[] = [];
  const logger = createLogger({ format: "json", level: "debug", write: (l) => void lines.push(l) });
  await recordCertificateExpiry(metrics.certificateExpiry, logger, servingPem, bundlePem === undefined ? undefined : { pem: bundlePem, source: "/tls/ca.crt" });
  const values = Object.fromEntries((await metrics.certificateExpiry.get()).values.map((v) => [v.labels.certificate, v.value]));
  return { values, logs: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("the ca gauge during a CA rotation", () => {
  test.each([
    ["old, new", () => oldCa.cert + newCa.cert],
    ["new, old", () => newCa.cert + oldCa.cert],
  ])("bundle %s: a certificate served under the new CA reports the new CA's expiry", async (_, bundle) => {
    const { values } = await record(underNew, bundle());
    expect(values).toEqual({ serving: seconds(30), ca: seconds(1825) });
  });

  test.each([
    ["old, new", () => oldCa.cert + newCa.cert],
    ["new, old", () => newCa.cert + oldCa.cert],
  ])("bundle %s: a certificate still served under the old CA reports the old CA's expiry (the alert must fire)", async (_, bundle) => {
    const { values } = await record(underOld, bundle());
    expect(values).toEqual({ serving: seconds(5), ca: seconds(10) });
  });

  test("findServingCa names the CA and its place in the bundle", async () => {
    const found = await findServingCa(underNew, `${oldCa.cert}${newCa.cert}`);
    expect(found).toMatchObject({ subject: "CN=kube-devops-webhook-ca, O=kube-devops", position: 2, notAfter: new Date(seconds(1825) * 1000) });
  });
});

describe("when no CA of the bundle verifies the served certificate", () => {
  test("the ca series is removed (no stale date) and an error says the API server cannot call the webhook", async () => {
    const metrics = createWebhookMetrics(new Registry());
    const lines: string[] = [];
    const logger = createLogger({ format: "json", level: "debug", write: (l) => void lines.push(l) });
    await recordCertificateExpiry(metrics.certificateExpiry, logger, underNew, { pem: newCa.cert, source: "/tls/ca.crt" });
    expect((await metrics.certificateExpiry.get()).values).toHaveLength(2);
    // the Secret now pairs a serving certificate from the new CA with a bundle of only the old one
    await recordCertificateExpiry(metrics.certificateExpiry, logger, underNew, { pem: oldCa.cert, source: "/tls/ca.crt" });
    expect((await metrics.certificateExpiry.get()).values.map((v) => v.labels)).toEqual([{ certificate: "serving" }]);
    const error = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === "error" || l.level === 0);
    expect(JSON.stringify(error)).toContain("no CA in /tls/ca.crt verifies the serving certificate");
  });

  test("no bundle at all: only the serving gauge", async () => {
    expect((await record(underNew, undefined)).values).toEqual({ serving: seconds(30) });
  });
});

describe("the CA bundle changes while the same certificate is served", () => {
  function recorder(initial: string | undefined) {
    const metrics = createWebhookMetrics(new Registry());
    const lines: string[] = [];
    const logger = createLogger({ format: "json", level: "warn", write: (l) => void lines.push(l) });
    const state = { bundle: initial as string | undefined, fail: undefined as string | undefined };
    const expiry = createExpiryRecorder(metrics.certificateExpiry, logger, () => {
      if (state.fail) throw new Error(state.fail);
      return state.bundle === undefined ? undefined : { pem: state.bundle, source: "/tls/ca.crt" };
    });
    const values = async () => Object.fromEntries((await metrics.certificateExpiry.get()).values.map((v) => [v.labels.certificate, v.value]));
    return { expiry, state, values, lines };
  }

  test("a bundle that drops the serving certificate's CA removes the ca series at the next refresh, and says so once", async () => {
    const { expiry, state, values, lines } = recorder(oldCa.cert + newCa.cert);
    await expiry.served(underNew);
    expect(await values()).toEqual({ serving: seconds(30), ca: seconds(1825) });
    state.bundle = oldCa.cert; // someone edited ca.crt: the new CA is gone, tls.crt is unchanged
    await expiry.refresh();
    expect(await values()).toEqual({ serving: seconds(30) });
    await expiry.refresh();
    expect(lines.filter((l) => l.includes("verifies the serving certificate"))).toHaveLength(1);
  });

  test("the CA that verifies changes (re-issued with a later expiry): the gauge follows without a new serving certificate", async () => {
    const { expiry, state, values } = recorder(newCa.cert);
    await expiry.served(underNew);
    // the same key and name, a later end: the serving certificate verifies under both
    const x509 = await loadX509();
    const original = new x509.X509Certificate(newCa.cert);
    const privateKey = await crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(newCa.key), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const publicKey = await original.publicKey.export({ name: "ECDSA", namedCurve: "P-256" }, ["verify"]);
    const reissued = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "0b01",
      name: original.subject,
      notBefore: NOW,
      notAfter: new Date(seconds(3650) * 1000),
      keys: { privateKey, publicKey },
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    state.bundle = newCa.cert + reissued.toString("pem");
    await expiry.refresh();
    expect(await values()).toEqual({ serving: seconds(30), ca: seconds(3650) });
  });

  test("a bundle that goes away removes the ca series; an unreadable one is logged once, then recorded when readable again", async () => {
    const { expiry, state, values, lines } = recorder(newCa.cert);
    await expiry.served(underNew);
    state.bundle = undefined;
    await expiry.refresh();
    expect(await values()).toEqual({ serving: seconds(30) });
    state.fail = "EACCES: /tls/ca.crt";
    await expiry.refresh();
    await expiry.refresh();
    expect(lines.filter((l) => l.includes("EACCES"))).toHaveLength(1);
    expect(await values()).toEqual({ serving: seconds(30) });
    state.fail = undefined;
    state.bundle = newCa.cert;
    await expiry.refresh();
    expect(await values()).toEqual({ serving: seconds(30), ca: seconds(1825) });
  });

  test("a bundle unreadable from the start: the serving gauge is still recorded, without a ca series", async () => {
    const { expiry, state, values, lines } = recorder(newCa.cert);
    state.fail = "EACCES: /tls/ca.crt";
    await expiry.served(underNew);
    expect(await values()).toEqual({ serving: seconds(30) });
    expect(lines.filter((l) => l.includes("EACCES"))).toHaveLength(1);
  });

  test("nothing served yet: refresh records nothing", async () => {
    const { expiry, values } = recorder(newCa.cert);
    await expiry.refresh();
    expect(await values()).toEqual({});
  });
});

describe("chains with an intermediate (tls.crt = serving + intermediate, ca.crt = root)", () => {
  test("the path's earliest CA expiry counts: the chain stops verifying when its intermediate expires", async () => {
    const x509 = await loadX509();
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
    const root = new x509.X509Certificate(newCa.cert);
    const rootKey = await crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(newCa.key), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const interKeys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
    const intermediate = await x509.X509CertificateGenerator.create({
      serialNumber: "0a01",
      subject: "CN=intermediate",
      issuer: root.subject,
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + 90 * DAY),
      signingKey: rootKey,
      publicKey: interKeys.publicKey,
      signingAlgorithm: alg,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    const leafKeys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: "0a02",
      subject: "CN=kube-devops-webhook.kube-devops.svc",
      issuer: intermediate.subject,
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + 30 * DAY),
      signingKey: interKeys.privateKey,
      publicKey: leafKeys.publicKey,
      signingAlgorithm: alg,
    });
    const chain = `${leaf.toString("pem")}\n${intermediate.toString("pem")}\n`;
    expect((await record(chain, oldCa.cert + newCa.cert)).values).toEqual({ serving: seconds(30), ca: seconds(90) });
    // without the intermediate served, nothing in the bundle verifies the leaf
    expect((await record(`${leaf.toString("pem")}\n`, newCa.cert)).values).toEqual({ serving: seconds(30) });
  });
});
