/**
 * `deploy generate-all --tls-dir` checks the certificate set before shipping it: each way a set
 * from `webhook cert-generate` can be wrong for the Service is refused, naming the file.
 */
import { describe, expect, test } from "bun:test";
import { generateWebhookCertificates, type WebhookCertificates } from "../../lib/webhook/certs.ts";
import { X509Certificate } from "node:crypto";
import { checkServingFiles, checkServingPair, describeServingValidity, type ServingFiles } from "../../lib/webhook/check-serving-files.ts";
import { loadX509 } from "../../lib/webhook/x509.ts";

const NOW = new Date("2026-06-01T00:00:00Z");
const NAMES = { caCert: "d/ca.crt", tlsCert: "d/tls.crt", tlsKey: "d/tls.key" };
const HOST = "kube-devops-webhook.ops.svc";
const DAY = 86_400_000;

const generate = (namespace: string): Promise<WebhookCertificates> =>
  generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace, validityDays: 30, caValidityDays: 365, now: NOW });
const filesOf = (c: WebhookCertificates): ServingFiles => ({ caCert: c.ca.cert, tlsCert: c.server.cert, tlsKey: c.server.key });
const refusal = (files: ServingFiles, now = NOW, host = HOST): string => {
  try {
    checkServingFiles(files, NAMES, host, now);
    return "";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("checkServingFiles", async () => {
  const ops = await generate("ops");
  const other = await generate("ops");

  test("a set from cert-generate for the namespace passes", () => {
    expect(refusal(filesOf(ops))).toBe("");
    expect(refusal({ ...filesOf(ops), caCert: other.ca.cert + ops.ca.cert })).toBe(""); // a bundle with old and new CA
  });

  test("a set for another namespace's Service is refused, naming the host it must serve", async () => {
    expect(refusal(filesOf(await generate("kube-devops")))).toContain(`d/tls.crt is not valid for ${HOST}, the Service the webhook configuration calls`);
  });

  test("files mixed from two runs are refused: the key, or the CA, of another run", () => {
    expect(refusal({ ...filesOf(ops), tlsKey: other.server.key })).toBe("d/tls.key is not the private key of d/tls.crt");
    expect(refusal({ ...filesOf(ops), caCert: other.ca.cert })).toBe("d/tls.crt is not signed by a CA in d/ca.crt");
  });

  test("an expired or not yet valid certificate is refused", () => {
    expect(refusal(filesOf(ops), new Date(NOW.getTime() + 31 * DAY))).toContain("d/tls.crt expired on");
    expect(refusal(filesOf(ops), new Date(NOW.getTime() - 2 * DAY))).toContain("d/tls.crt is not valid before");
  });

  test("what is not PEM is named", () => {
    expect(refusal({ ...filesOf(ops), tlsCert: "hello" })).toBe("d/tls.crt holds no PEM certificate");
    expect(refusal({ ...filesOf(ops), tlsKey: "hello" })).toBe("d/tls.key holds no PEM private key");
    expect(refusal({ ...filesOf(ops), tlsKey: ops.server.cert })).toBe("d/tls.key holds a certificate, not a private key");
    expect(refusal({ ...filesOf(ops), caCert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" })).toContain("d/ca.crt: certificate 1 does not parse");
  });
});

describe("checkServingPair (what a server checks before it listens)", async () => {
  const ops = await generate("ops");
  const other = await generate("ops");
  const names = { tlsCert: "d1/tls.crt", tlsKey: "d1/tls.key" };
  const pairRefusal = async (cert: string, key: string): Promise<string> => {
    try {
      await checkServingPair({ cert, key }, names);
      return "";
    } catch (err) {
      return `${(err as { code?: string }).code}: ${(err as Error).message}`;
    }
  };

  test("a matching pair passes, also when it has expired (that is logged, not refused)", async () => {
    expect(await pairRefusal(ops.server.cert, ops.server.key)).toBe("");
    const expired = await generateWebhookCertificates({ serviceName: "s", namespace: "ops", validityDays: 1, caValidityDays: 2, now: new Date(Date.now() - 30 * DAY) });
    expect(await pairRefusal(expired.server.cert, expired.server.key)).toBe("");
  });

  test("each wrong file is named with what is wrong with it, not an OpenSSL code", async () => {
    expect(await pairRefusal(ops.server.cert, ops.server.cert)).toBe("INPUT: d1/tls.key holds a certificate, not a private key");
    expect(await pairRefusal(ops.server.key, ops.server.key)).toBe("INPUT: d1/tls.crt holds a private key, not a certificate");
    expect(await pairRefusal("", ops.server.key)).toBe("INPUT: d1/tls.crt holds no PEM certificate");
    expect(await pairRefusal(ops.server.cert, other.server.key)).toBe("INPUT: d1/tls.key is not the private key of d1/tls.crt");
    expect(await pairRefusal(ops.ca.cert, ops.ca.key)).toBe("INPUT: d1/tls.crt may not sign TLS handshakes: its key usage lacks digitalSignature (it is a CA certificate, not a serving certificate)");
  });
});

describe("describeServingValidity", async () => {
  const ops = await generate("ops"); // valid from NOW - 5 min for 30 days
  const cert = new X509Certificate(ops.server.cert);
  const notice = (now: Date) => describeServingValidity(cert, "d/tls.crt", now, 7 * DAY);

  test("nothing to say for a certificate with more than the warning window left", () => {
    expect(notice(NOW)).toBeUndefined();
  });

  test("a warning within the window, an error outside the validity, each naming the file and the date", () => {
    expect(notice(new Date(NOW.getTime() + 25 * DAY))).toMatchObject({ level: "warn", message: "d/tls.crt expires on 2026-07-01T00:00:00.000Z (in 5 days)", notAfter: "2026-07-01T00:00:00.000Z" });
    expect(notice(new Date(NOW.getTime() + 31 * DAY))).toMatchObject({ level: "error", message: "d/tls.crt expired on 2026-07-01T00:00:00.000Z: TLS clients refuse it" });
    expect(notice(new Date(NOW.getTime() - DAY))).toMatchObject({ level: "error", message: "d/tls.crt is not valid before 2026-05-31T23:55:00.000Z: TLS clients refuse it" });
  });
});

describe("checkServingFiles with an intermediate CA (tls.crt = serving certificate, then the intermediate; ca.crt = the root)", async () => {
  const x509 = await loadX509();
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const root = await generate("ops");
  const rootCert = new x509.X509Certificate(root.ca.cert);
  const rootKey = await crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(root.ca.key), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const issueIntermediate = async (serialNumber: string, days: number) => {
    const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: `CN=intermediate-${serialNumber}`,
      issuer: rootCert.subject,
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + days * DAY),
      signingKey: rootKey,
      publicKey: keys.publicKey,
      signingAlgorithm: alg,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    return { cert, keys };
  };
  const issueLeaf = async (intermediate: Awaited<ReturnType<typeof issueIntermediate>>) => {
    const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: "0b01",
      subject: `CN=${HOST}`,
      issuer: intermediate.cert.subject,
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + 30 * DAY),
      signingKey: intermediate.keys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: alg,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: HOST }]), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth])],
    });
    const key = x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
    return { cert: cert.toString("pem"), key };
  };
  const intermediate = await issueIntermediate("0a01", 90);
  const leaf = await issueLeaf(intermediate);
  const otherRoot = (await generate("ops")).ca.cert;

  test("a serving certificate signed by an intermediate served after it passes; without the intermediate it is refused", () => {
    expect(refusal({ caCert: root.ca.cert, tlsCert: `${leaf.cert}\n${intermediate.cert.toString("pem")}\n`, tlsKey: leaf.key })).toBe("");
    expect(refusal({ caCert: root.ca.cert, tlsCert: leaf.cert, tlsKey: leaf.key })).toBe("d/tls.crt is not signed by a CA in d/ca.crt");
    expect(refusal({ caCert: otherRoot, tlsCert: `${leaf.cert}\n${intermediate.cert.toString("pem")}\n`, tlsKey: leaf.key })).toBe("d/tls.crt is not signed by a CA in d/ca.crt, directly or through the 1 intermediate(s) after it");
  });

  test("an expired intermediate on the path is named", async () => {
    const old = await issueIntermediate("0a02", 1);
    const under = await issueLeaf(old);
    const message = refusal({ caCert: root.ca.cert, tlsCert: `${under.cert}\n${old.cert.toString("pem")}\n`, tlsKey: under.key }, new Date(NOW.getTime() + 2 * DAY));
    expect(message).toContain("d/tls.crt: the intermediate CA CN=intermediate-0a02 expired on");
  });
});
