/**
 * The webhook PKI: SANs, EKU, validity bounds, CA reuse, atomic 0600 file sets, and
 * the `cert-generate` command through the compiled binary.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeDevopsError } from "../../lib/errors.ts";
import { readCertificateAuthority, writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { createCertificateAuthority, describeCertificate, generateWebhookCertificates, issueServingCertificate } from "../../lib/webhook/certs.ts";
import { runBinary } from "../support/binary.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const DAY = 86_400_000;

async function verifies(certPem: string, caPem: string): Promise<boolean> {
  return new x509.X509Certificate(certPem).verify({ publicKey: new x509.X509Certificate(caPem), signatureOnly: true });
}

describe("generateWebhookCertificates()", () => {
  test("the serving certificate names the Service four ways, plus the extra SANs", async () => {
    const certs = await generateWebhookCertificates({
      serviceName: "hook", namespace: "gov", dnsSans: ["Hook.Example.com"], ipSans: ["127.0.0.1", "::1"],
      validityDays: 30, caValidityDays: 365, now: NOW,
    });
    const info = await describeCertificate(certs.server.cert);
    expect(info.dnsNames).toEqual(["hook", "hook.gov", "hook.gov.svc", "hook.gov.svc.cluster.local", "hook.example.com"]);
    expect(info.ipAddresses).toEqual(["127.0.0.1", "::1"]);
    expect(info.subject).toBe("CN=hook.gov.svc");
    expect(info.extendedKeyUsages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    expect(info.isCa).toBe(false);
    expect(await verifies(certs.server.cert, certs.ca.cert)).toBe(true);
  });

  test("validity is bounded: the requested days, backdated a few minutes for clock skew", async () => {
    const certs = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 365, now: NOW });
    const server = await describeCertificate(certs.server.cert);
    const ca = await describeCertificate(certs.ca.cert);
    expect(server.notAfter.getTime()).toBe(NOW.getTime() + 30 * DAY);
    expect(server.notBefore.getTime()).toBeLessThan(NOW.getTime());
    expect(NOW.getTime() - server.notBefore.getTime()).toBeLessThanOrEqual(10 * 60_000);
    expect(ca.notAfter.getTime()).toBe(NOW.getTime() + 365 * DAY);
    expect(ca.isCa).toBe(true);
    expect(ca.subject).toBe("CN=kube-devops-webhook-ca, O=kube-devops");
  });

  test("a serving certificate never outlives its CA", async () => {
    const ca = await createCertificateAuthority({ validityDays: 10, now: NOW });
    const certs = await issueServingCertificate(ca, { serviceName: "s", namespace: "n", validityDays: 365, now: NOW });
    expect((await describeCertificate(certs.server.cert)).notAfter.getTime()).toBe(NOW.getTime() + 10 * DAY);
  });

  test("re-issuing under a kept CA key gives a certificate the old caBundle still trusts", async () => {
    const first = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 365, now: NOW });
    const renewed = await issueServingCertificate(first.ca, { serviceName: "s", namespace: "n", validityDays: 30, now: new Date(NOW.getTime() + 20 * DAY) });
    expect(renewed.server.cert).not.toBe(first.server.cert);
    expect(await verifies(renewed.server.cert, first.ca.cert)).toBe(true);
  });

  test("bad SANs, validity and CA keys are rejected with the value named", async () => {
    const base = { serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW };
    await expect(generateWebhookCertificates({ ...base, ipSans: ["300.1.1.1"] })).rejects.toThrow('--ip-san "300.1.1.1"');
    await expect(generateWebhookCertificates({ ...base, dnsSans: ["bad_name"] })).rejects.toThrow('--dns-san "bad_name"');
    await expect(generateWebhookCertificates({ ...base, validityDays: 0 })).rejects.toThrow("validity 0");
    await expect(generateWebhookCertificates({ ...base, validityDays: 5000 })).rejects.toThrow("validity 5000");
    const ca = await createCertificateAuthority({ validityDays: 10, now: NOW });
    await expect(issueServingCertificate({ cert: ca.cert, key: "garbage" }, base)).rejects.toBeInstanceOf(KubeDevopsError);
    const expired = issueServingCertificate(ca, { ...base, now: new Date(NOW.getTime() + 11 * DAY) });
    await expect(expired).rejects.toThrow("CA expired");
  });
});

describe("writeCertificateSet()", () => {
  test("writes the four files with private keys 0600 and leaves no temporary files", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-certs-")), "nested", "out");
    const certs = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW });
    writeCertificateSet(dir, certs);
    expect(readdirSync(dir).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    expect(statSync(join(dir, "ca.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "tls.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "tls.crt")).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(dir, "tls.key"), "utf8")).toBe(certs.server.key);
    expect(readCertificateAuthority(dir)).toEqual(certs.ca);
  });

  test("a failing write changes nothing: the old set stays whole", async () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; make the failure with a name collision instead
      const dir = mkdtempSync(join(tmpdir(), "kd-certs-"));
      writeFileSync(join(dir, "tls.crt"), "old");
      const certs = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW });
      expect(() => writeCertificateSet(join(dir, "tls.crt"), certs)).toThrow("Cannot write certificates");
      expect(readFileSync(join(dir, "tls.crt"), "utf8")).toBe("old");
      expect(readdirSync(dir)).toEqual(["tls.crt"]);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "kd-certs-"));
    writeFileSync(join(dir, "tls.crt"), "old");
    chmodSync(dir, 0o500);
    const certs = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW });
    expect(() => writeCertificateSet(dir, certs)).toThrow("Cannot write certificates");
    chmodSync(dir, 0o700);
    expect(readdirSync(dir)).toEqual(["tls.crt"]);
  });

  test("a CA without its key is an error, not a silent new CA", () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-certs-"));
    writeFileSync(join(dir, "ca.crt"), "x");
    expect(() => readCertificateAuthority(dir)).toThrow("ca.key is missing");
  });
});

describe("kube-devops webhook cert-generate (binary)", () => {
  test("writes a verifiable set; a second run keeps the CA and renews the serving certificate", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-certgen-")), "out");
    const first = runBinary(["webhook", "cert-generate", "--output-dir", dir, "--ip-san", "127.0.0.1", "--ip-san", "10.0.0.1,::1", "--dns-san", "localhost"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("kube-devops-webhook.kube-devops.svc.cluster.local");
    const ca = readFileSync(join(dir, "ca.crt"), "utf8");
    const tls = readFileSync(join(dir, "tls.crt"), "utf8");
    const info = await describeCertificate(tls);
    expect(info.ipAddresses).toEqual(["127.0.0.1", "10.0.0.1", "::1"]);
    expect(info.dnsNames).toContain("localhost");
    expect(statSync(join(dir, "tls.key")).mode & 0o777).toBe(0o600);
    expect(await verifies(tls, ca)).toBe(true);

    const second = runBinary(["webhook", "cert-generate", "--output-dir", dir]);
    expect(second.code).toBe(0);
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(ca);
    expect(readFileSync(join(dir, "tls.crt"), "utf8")).not.toBe(tls);
    expect(await verifies(readFileSync(join(dir, "tls.crt"), "utf8"), ca)).toBe(true);

    const third = runBinary(["webhook", "cert-generate", "--output-dir", dir, "--new-ca"]);
    expect(third.code).toBe(0);
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).not.toBe(ca);
  });

  test("a bad --ip-san is a usage error and writes nothing", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-certgen-")), "out");
    const result = runBinary(["webhook", "cert-generate", "--output-dir", dir, "--ip-san", "nope"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--ip-san "nope"');
    expect(existsSync(join(dir, "tls.key"))).toBe(false);
  });

  test("an empty --service-name or a bad --namespace is a usage error naming the flag, and writes nothing", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-certgen-")), "out");
    for (const [flags, named] of [
      [["--service-name", "", "--namespace", "BAD NS"], '--service-name ""'],
      [["--namespace", "BAD NS"], '--namespace "BAD NS"'],
      [["--service-name", "1hook"], '--service-name "1hook"'],
    ] as const) {
      const result = runBinary(["webhook", "cert-generate", "--output-dir", dir, ...flags]);
      expect({ code: result.code, named: result.stderr.includes(named), stdout: result.stdout }).toEqual({ code: 2, named: true, stdout: "" });
    }
    expect(existsSync(dir)).toBe(false);
  });
});
