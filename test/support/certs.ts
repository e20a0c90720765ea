/**
 * @module
 * Test PKI: a CA, a server certificate and a client certificate, made with
 * @peculiar/x509 (ECDSA P-256). Used by the TLS transport test and the emulator.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface Pem {
  cert: string;
  key: string;
}

export interface TestPki {
  ca: Pem;
  server: Pem;
  issue(subject: { cn: string; o?: string[] }): Promise<Pem>;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

function serial(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("").replace(/^0/, "1");
}

function dn(cn: string, o: string[] = []): string {
  return [`CN=${cn}`, ...o.map((v) => `O=${v}`)].join(", ");
}

/** Makes a fresh CA plus a server certificate for `hosts` (DNS names and IPs). */
export async function createTestPki(hosts: string[] = ["localhost", "127.0.0.1"]): Promise<TestPki> {
  const now = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const caKeys = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: dn("kube-devops-test-ca"),
    notBefore: now,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  async function leaf(cn: string, o: string[], usage: "server" | "client", sans: string[]): Promise<Pem> {
    const keys = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ];
    if (sans.length > 0) {
      extensions.push(
        new x509.SubjectAlternativeNameExtension(
          sans.map((h) => (/^[\d.]+$|:/.test(h) ? { type: "ip" as const, value: h } : { type: "dns" as const, value: h })),
        ),
      );
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: dn(cn, o),
      issuer: caCert.subject,
      notBefore: now,
      notAfter,
      signingKey: caKeys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALG,
      extensions,
    });
    return { cert: cert.toString("pem"), key: await exportKey(keys.privateKey) };
  }

  return {
    ca: { cert: caCert.toString("pem"), key: await exportKey(caKeys.privateKey) },
    server: await leaf(hosts[0] ?? "localhost", [], "server", hosts),
    issue: ({ cn, o }) => leaf(cn, o ?? [], "client", []),
  };
}
