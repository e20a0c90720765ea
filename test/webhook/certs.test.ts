/**
 * The webhook PKI: SANs, EKU, validity bounds, CA reuse, atomic 0600 file sets, and
 * the `cert-generate` command through the compiled binary.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeDevopsError } from "../../lib/errors.ts";
import { readCertificateAuthority, writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { checkCertificateAuthority, createCertificateAuthority, describeCertificate, generateWebhookCertificates, issueServingCertificate, normaliseSans } from "../../lib/webhook/certs.ts";
import { runBinary } from "../support/binary.ts";
import { thrown } from "../support/thrown.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const DAY = 86_400_000;

/** Every entry of `dir`: file contents, or what else it is, so a test sees any change or leftover. */
function contentsOf(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => {
    const stat = lstatSync(join(dir, name));
    return [name, stat.isFile() ? readFileSync(join(dir, name), "utf8") : stat.isDirectory() ? "<dir>" : "<link>"];
  }));
}


/** A rename that fails on the given calls (1-based), as a full disk or a racing process would. */
function failingRename(failOn: readonly number[]): (from: string, to: string) => void {
  let calls = 0;
  return (from, to) => {
    calls += 1;
    if (failOn.includes(calls)) throw new Error(`EIO: simulated failure, rename '${from}' -> '${to}'`);
    renameSync(from, to);
  };
}

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
    expect({ notAfter: certs.notAfter, cutToCaExpiry: certs.cutToCaExpiry }).toEqual({ notAfter: new Date(NOW.getTime() + 10 * DAY), cutToCaExpiry: true });
    const within = await issueServingCertificate(ca, { serviceName: "s", namespace: "n", validityDays: 10, now: NOW });
    expect({ notAfter: within.notAfter, cutToCaExpiry: within.cutToCaExpiry }).toEqual({ notAfter: new Date(NOW.getTime() + 10 * DAY), cutToCaExpiry: false });
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

describe("normaliseSans(): SANs a TLS client would match, or a usage error naming the value", () => {
  test("valid names are lower-cased; a wildcard as the whole leftmost label is allowed", () => {
    expect(normaliseSans(["Webhook.Example.COM", "*.hooks.example.com", "1x.example", "localhost"], ["10.0.0.1", "::1", "2001:db8::7"])).toEqual({
      dns: ["webhook.example.com", "*.hooks.example.com", "1x.example", "localhost"],
      ip: ["10.0.0.1", "::1", "2001:db8::7"],
    });
  });

  test("empty values, IPv6 zones, IPs as DNS names and names RFC 1123 refuses are usage errors", () => {
    const cases: Array<[string[], string[], string]> = [
      [[""], [], 'Invalid --dns-san "": an empty name'],
      [[], [""], 'Invalid --ip-san "": an empty address'],
      [[], ["fe80::1%eth0"], 'Invalid --ip-san "fe80::1%eth0": an IPv6 zone (%eth0) cannot be put in a certificate'],
      [["10.0.0.1"], [], 'Invalid --dns-san "10.0.0.1": an IP address is not a DNS name'],
      [["a.*.example.com"], [], 'Invalid --dns-san "a.*.example.com": not a DNS name'],
      [["*"], [], 'Invalid --dns-san "*": not a DNS name'],
      [["*x.example.com"], [], 'Invalid --dns-san "*x.example.com": not a DNS name'],
      [["*.com"], [], 'Invalid --dns-san "*.com": a wildcard needs at least two labels after it'],
      [["example.com."], [], 'Invalid --dns-san "example.com.": not a DNS name'],
      [["-a.example"], [], 'Invalid --dns-san "-a.example": not a DNS name'],
      [["under_score.example"], [], 'Invalid --dns-san "under_score.example": not a DNS name'],
      [[`${"a".repeat(64)}.example`], [], "not a DNS name"],
      [[Array(64).fill("abc").join(".")], [], "not a DNS name"],
      [[], ["10.0.0.256"], 'Invalid --ip-san "10.0.0.256": not an IPv4 or IPv6 address'],
    ];
    for (const [dns, ip, message] of cases) {
      let caught: unknown;
      try {
        normaliseSans(dns, ip);
      } catch (err) {
        caught = err;
      }
      expect({ value: [...dns, ...ip], code: (caught as KubeDevopsError | undefined)?.code, matches: String((caught as Error | undefined)?.message).includes(message) }).toEqual({ value: [...dns, ...ip], code: "USAGE", matches: true });
    }
    expect(() => normaliseSans(["10.0.0.1"], [])).toThrow(KubeDevopsError);
  });
});

describe("checkCertificateAuthority(): a kept CA is checked before it signs", () => {
  const NAMES = { caCert: "d/ca.crt", caKey: "d/ca.key" };
  const refusal = async (ca: { cert: string; key: string }, now = NOW): Promise<KubeDevopsError> => {
    try {
      await checkCertificateAuthority(ca, NAMES, now);
    } catch (err) {
      if (err instanceof KubeDevopsError) return err;
      throw err;
    }
    throw new Error("expected the CA to be refused");
  };

  test("its own key, a CA, valid now: accepted, with its expiry", async () => {
    const ca = await createCertificateAuthority({ validityDays: 10, now: NOW });
    expect(await checkCertificateAuthority(ca, NAMES, NOW)).toEqual({ notAfter: new Date(NOW.getTime() + 10 * DAY) });
  });

  test("another CA's key is refused naming both files, with --new-ca as the way out", async () => {
    const ca = await createCertificateAuthority({ validityDays: 10, now: NOW });
    const other = await createCertificateAuthority({ validityDays: 10, now: NOW });
    const error = await refusal({ cert: ca.cert, key: other.key });
    expect({ code: error.code, message: error.message }).toEqual({ code: "INPUT", message: "Cannot reuse the CA: d/ca.key is not the key of d/ca.crt; nothing was written" });
    expect(error.hint).toContain("--new-ca");
  });

  test("a serving certificate (with its own key) in ca.crt is not a CA", async () => {
    const certs = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 10, caValidityDays: 10, now: NOW });
    expect((await refusal(certs.server)).message).toBe("Cannot reuse the CA: d/ca.crt is not a CA certificate that may sign certificates (CN=s.n.svc); nothing was written");
  });

  test("a CA whose key usage does not allow signing certificates is refused", async () => {
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
    const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01", name: "CN=odd-ca", notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY), keys, signingAlgorithm: alg,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    });
    const key = x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
    expect((await refusal({ cert: cert.toString("pem"), key }, new Date(NOW.getTime() + 1000))).message).toBe("Cannot reuse the CA: d/ca.crt is not a CA certificate that may sign certificates (CN=odd-ca); nothing was written");
  });

  test("an unreadable key, an unreadable certificate and an RSA CA are refused naming the file", async () => {
    const ca = await createCertificateAuthority({ validityDays: 10, now: NOW });
    expect((await refusal({ cert: ca.cert, key: "junk" })).message).toContain("d/ca.key is not a PEM private key");
    expect((await refusal({ cert: "junk", key: ca.key })).message).toContain("d/ca.crt is not a PEM certificate");
    const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
    const keys = (await crypto.subtle.generateKey(rsa, true, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01", name: "CN=rsa-ca", notBefore: NOW, notAfter: new Date(NOW.getTime() + DAY), keys, signingAlgorithm: rsa,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    const key = x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
    expect((await refusal({ cert: cert.toString("pem"), key }, new Date(NOW.getTime() + 1000))).message).toContain("d/ca.key is not an ECDSA P-256 key");
  });

  test("an expired CA, or one not valid yet, is refused with the date", async () => {
    const ca = await createCertificateAuthority({ validityDays: 1, now: NOW });
    expect((await refusal(ca, new Date(NOW.getTime() + 2 * DAY))).message).toBe(
      `Cannot reuse the CA: d/ca.crt expired on ${new Date(NOW.getTime() + DAY).toISOString()}; nothing was written`,
    );
    expect((await refusal(ca, new Date(NOW.getTime() - DAY))).message).toContain("d/ca.crt is not valid before");
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

  test("a destination that is a directory or a link is refused by name before anything is written", async () => {
    const certs = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW });
    for (const [name, make] of [
      ["tls.key", (path: string) => mkdirSync(path)],
      ["ca.crt", (path: string) => symlinkSync("nowhere", path)],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), "kd-certs-"));
      writeCertificateSet(dir, certs);
      rmSync(join(dir, name));
      make(join(dir, name));
      const before = contentsOf(dir);
      const error = thrown(() => writeCertificateSet(dir, { ...certs, server: { cert: "new", key: "new" } }));
      expect(error.code).toBe("INPUT");
      expect(error.message).toContain(`${join(dir, name)} is a ${name === "tls.key" ? "directory" : "symbolic link"}`);
      expect(contentsOf(dir)).toEqual(before);
    }
  });

  test("a rename that fails puts back the files already replaced and leaves no temporary or backup file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-certs-"));
    const old = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW });
    writeCertificateSet(dir, old);
    const before = contentsOf(dir);
    const next = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW });
    const error = thrown(() => writeCertificateSet(dir, next, { rename: failingRename([3]) }));
    expect(error.code).toBe("INPUT");
    expect(error.message).toContain(`cannot replace ${join(dir, "tls.crt")}`);
    expect(error.message).toContain("nothing was changed");
    expect(contentsOf(dir)).toEqual(before);
    expect(statSync(join(dir, "ca.key")).mode & 0o777).toBe(0o600);
  });

  test("a failed first write into a new directory leaves no directory behind", async () => {
    const parent = mkdtempSync(join(tmpdir(), "kd-certs-"));
    const certs = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW });
    expect(() => writeCertificateSet(join(parent, "a", "b"), certs, { rename: failingRename([2]) })).toThrow(`cannot replace ${join(parent, "a", "b", "ca.key")}`);
    expect(readdirSync(parent)).toEqual([]);
  });

  test("when putting an old file back fails too, its backup is kept and named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-certs-"));
    const old = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW });
    writeCertificateSet(dir, old);
    const next = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 30, caValidityDays: 30, now: NOW });
    // renames 1, 2 succeed (ca.crt, ca.key), 3 fails (tls.crt); restoring ca.key (4) fails, ca.crt (5) works
    const error = thrown(() => writeCertificateSet(dir, next, { rename: failingRename([3, 4]) }));
    const backup = readdirSync(dir).filter((name) => name.startsWith(".ca.key.old-"));
    expect(backup).toHaveLength(1);
    expect(error.message).toContain(`could not restore ${join(dir, "ca.key")} (the old file is kept as ${join(dir, backup[0] as string)})`);
    expect(readFileSync(join(dir, backup[0] as string), "utf8")).toBe(old.ca.key);
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(old.ca.cert);
    expect(readdirSync(dir).filter((name) => name.includes(".tmp-"))).toEqual([]);
  });

  test("a CA without its key is an error, not a silent new CA", () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-certs-"));
    writeFileSync(join(dir, "ca.crt"), "x");
    expect(() => readCertificateAuthority(dir)).toThrow(`${join(dir, "ca.key")} is missing (${join(dir, "ca.crt")} is there)`);
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

    // a CA change takes two runs (test/webhook/cert-rotation-files.test.ts): --new-ca only stages one
    const third = runBinary(["webhook", "cert-generate", "--output-dir", dir, "--new-ca"]);
    expect(third.code).toBe(0);
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(ca);
    expect(readFileSync(join(dir, "ca-next.crt"), "utf8")).not.toBe(ca);
  });

  test("a re-run that cannot replace tls.key (a directory now) fails naming it, and changes nothing", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-certgen-")), "out");
    expect(runBinary(["webhook", "cert-generate", "--output-dir", dir]).code).toBe(0);
    rmSync(join(dir, "tls.key"));
    mkdirSync(join(dir, "tls.key"));
    const before = contentsOf(dir);
    const result = runBinary(["webhook", "cert-generate", "--output-dir", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: Cannot write certificates: ${join(dir, "tls.key")} is a directory`);
    expect(result.stderr).not.toContain("internal error");
    expect(result.stdout).toBe("");
    expect(contentsOf(dir)).toEqual(before);
  });

  test("a re-run with another directory's ca.key is refused (exit 1, naming both files) and leaves the good set alone", () => {
    const parent = mkdtempSync(join(tmpdir(), "kd-certgen-"));
    const [a, b] = [join(parent, "a"), join(parent, "b")];
    expect(runBinary(["webhook", "cert-generate", "--output-dir", a]).code).toBe(0);
    expect(runBinary(["webhook", "cert-generate", "--output-dir", b]).code).toBe(0);
    writeFileSync(join(b, "ca.key"), readFileSync(join(a, "ca.key")));
    const before = contentsOf(b);
    const result = runBinary(["webhook", "cert-generate", "--output-dir", b]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`error: Cannot reuse the CA: ${join(b, "ca.key")} is not the key of ${join(b, "ca.crt")}`);
    expect(result.stderr).toContain("--new-ca");
    expect(contentsOf(b)).toEqual(before);
  });

  test("an expired CA is refused, not reused (exit 1, nothing written); --new-ca replaces it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-certgen-"));
    const expired = await createCertificateAuthority({ validityDays: 1, now: new Date(Date.now() - 2 * DAY) });
    writeFileSync(join(dir, "ca.crt"), expired.cert);
    writeFileSync(join(dir, "ca.key"), expired.key);
    const result = runBinary(["webhook", "cert-generate", "--output-dir", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(dir, "ca.crt")} expired on`);
    expect(readdirSync(dir).sort()).toEqual(["ca.crt", "ca.key"]);
    expect(runBinary(["webhook", "cert-generate", "--output-dir", dir, "--new-ca"]).code).toBe(0);
    expect(await verifies(readFileSync(join(dir, "tls.crt"), "utf8"), readFileSync(join(dir, "ca.crt"), "utf8"))).toBe(true);
  });

  test("a kept CA that expires before --validity-days is up: the certificate ends with the CA, and the run says so", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-certgen-")), "out");
    expect(runBinary(["webhook", "cert-generate", "--output-dir", dir, "--ca-validity-days", "1", "--validity-days", "1"]).stderr).toBe("");
    const result = runBinary(["webhook", "cert-generate", "--output-dir", dir]);
    expect(result.code).toBe(0);
    const ca = await describeCertificate(readFileSync(join(dir, "ca.crt"), "utf8"));
    const tls = await describeCertificate(readFileSync(join(dir, "tls.crt"), "utf8"));
    expect(tls.notAfter).toEqual(ca.notAfter);
    expect(result.stderr).toContain(`WARN  ${join(dir, "ca.crt")} expires on ${ca.notAfter.toISOString()}, so the serving certificate does too: not the 365 days of --validity-days`);
    expect(result.stdout).toContain(`Valid until: ${ca.notAfter.toISOString()} (the CA's expiry)`);
  });

  test("day counts are usage errors naming the flag, --ca-validity-days too when the CA is kept (where it does nothing, and says so)", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-certgen-")), "out");
    expect(runBinary(["webhook", "cert-generate", "--output-dir", dir]).code).toBe(0);
    const before = contentsOf(dir);
    for (const [flag, value] of [["--validity-days", "0"], ["--ca-validity-days", "abc"], ["--ca-validity-days", "5000"]] as const) {
      const result = runBinary(["webhook", "cert-generate", "--output-dir", dir, flag, value]);
      expect({ code: result.code, stderr: result.stderr.trim() }).toEqual({ code: 2, stderr: `error: Invalid ${flag} "${value}": expected a whole number of days from 1 to 3650` });
    }
    // a usage error comes before the files are read: here ca.key is also wrong
    writeFileSync(join(dir, "ca.key"), "junk");
    expect(runBinary(["webhook", "cert-generate", "--output-dir", dir, "--ip-san", "nope"]).code).toBe(2);
    writeFileSync(join(dir, "ca.key"), before["ca.key"] as string);
    expect(contentsOf(dir)).toEqual(before);
    const kept = runBinary(["webhook", "cert-generate", "--output-dir", dir, "--ca-validity-days", "3000"]);
    expect(kept.code).toBe(0);
    expect(kept.stderr).toContain(`--ca-validity-days applies to a new CA only: the kept CA in ${join(dir, "ca.crt")} still expires on`);
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe(before["ca.crt"] as string);
  });

  test("a bad --ip-san or --dns-san (a zone, an empty value) is a usage error and writes nothing", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kd-certgen-")), "out");
    for (const [flag, value, named] of [
      ["--ip-san", "nope", '--ip-san "nope"'],
      ["--ip-san", "fe80::1%eth0", '--ip-san "fe80::1%eth0": an IPv6 zone (%eth0)'],
      ["--dns-san", "", '--dns-san "": an empty name'],
      ["--dns-san", "a.example,,b.example", '--dns-san "": an empty name'],
    ] as const) {
      const result = runBinary(["webhook", "cert-generate", "--output-dir", dir, flag, value]);
      expect({ value, code: result.code, named: result.stderr.includes(named), stdout: result.stdout }).toEqual({ value, code: 2, named: true, stdout: "" });
    }
    expect(existsSync(dir)).toBe(false);
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
