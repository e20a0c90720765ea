/**
 * @module
 * The webhook's PKI with @peculiar/x509: an ECDSA P-256 CA whose key is kept (so the
 * serving certificate can be re-issued under the same caBundle) and a serving
 * certificate for the Service's DNS names with serverAuth EKU and a bounded validity.
 * No file or clock access: the caller passes `now` and writes the PEMs.
 */
import type * as X509 from "@peculiar/x509";
import { createPrivateKey, X509Certificate as NodeX509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { KubeDevopsError } from "../errors.ts";
import { serviceDnsNames } from "./constants.ts";
import { loadX509 } from "./x509.ts";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
/** Backdating absorbs clock skew between the issuer and the API server. */
const BACKDATE_MS = 5 * 60_000;
const DNS_NAME = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

export interface PemPair {
  cert: string;
  key: string;
}

export interface ServingCertOptions {
  serviceName: string;
  namespace: string;
  dnsSans?: readonly string[];
  ipSans?: readonly string[];
  validityDays: number;
  now: Date;
}

export interface WebhookCertificates {
  ca: PemPair;
  server: PemPair;
  dnsNames: string[];
  ipAddresses: string[];
  /** When the serving certificate expires. */
  notAfter: Date;
  /** It expires with the CA, before the requested validity was up. */
  cutToCaExpiry: boolean;
}

/** Where a kept CA was read from, for errors that name the files. */
export interface CaFileNames {
  caCert: string;
  caKey: string;
}

/** What a certificate says about itself (for output, metrics and tests). */
export interface CertificateInfo {
  /** Upper-case hex, as TLS peers report it. */
  serialNumber: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  dnsNames: string[];
  ipAddresses: string[];
  extendedKeyUsages: string[];
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40; // positive, and no leading zero nibble to be stripped
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  const x509 = await loadX509();
  return `${x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY")}\n`;
}

function checkValidity(days: number, what: string): void {
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new KubeDevopsError("USAGE", `Invalid ${what} ${days}: expected a whole number of days from 1 to 3650`);
  }
}

function checkDnsSan(name: string): void {
  const refuse = (problem: string, hint?: string) => new KubeDevopsError("USAGE", `Invalid --dns-san "${name}": ${problem}`, hint ? { hint } : {});
  if (name === "") throw refuse("an empty name");
  if (isIP(name) !== 0) throw refuse("an IP address is not a DNS name (clients connecting by address check IP SANs)", `pass it as --ip-san ${name}`);
  if (name.length > 253 || !DNS_NAME.test(name)) {
    throw refuse("not a DNS name (RFC 1123: dot-separated labels of a-z, 0-9 and '-', 1-63 characters each, no leading or trailing '-'; a wildcard only as the whole leftmost label, as *.example.com)");
  }
  if (name.startsWith("*.") && !name.slice(2).includes(".")) throw refuse("a wildcard needs at least two labels after it (*.example.com, not *.com)");
}

function checkIpSan(addr: string): void {
  const refuse = (problem: string) => new KubeDevopsError("USAGE", `Invalid --ip-san "${addr}": ${problem}`);
  if (addr === "") throw refuse("an empty address");
  // node accepts "fe80::1%eth0"; a certificate has no room for the zone, and dropping it silently names another address
  if (addr.includes("%")) throw refuse(`an IPv6 zone (${addr.slice(addr.indexOf("%"))}) cannot be put in a certificate; give the address without it`);
  if (isIP(addr) === 0) throw refuse("not an IPv4 or IPv6 address");
}

/** Checks and normalises extra SANs (empty values are errors, not skipped); throws a USAGE error naming the bad value. */
export function normaliseSans(dnsSans: readonly string[], ipSans: readonly string[]): { dns: string[]; ip: string[] } {
  const dns = dnsSans.map((name) => name.trim().toLowerCase());
  for (const name of dns) checkDnsSan(name);
  const ip = ipSans.map((addr) => addr.trim());
  for (const addr of ip) checkIpSan(addr);
  return { dns, ip };
}

/** Creates a self-signed CA (`CN=<commonName>, O=kube-devops`, path length 0; the webhook's by default). */
export async function createCertificateAuthority(options: { validityDays: number; now: Date; commonName?: string }): Promise<PemPair> {
  const x509 = await loadX509();
  checkValidity(options.validityDays, "CA validity");
  const keys = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${options.commonName ?? "kube-devops-webhook-ca"}, O=kube-devops`,
    notBefore: new Date(options.now.getTime() - BACKDATE_MS),
    notAfter: new Date(options.now.getTime() + options.validityDays * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: `${cert.toString("pem")}\n`, key: await exportPrivateKey(keys.privateKey) };
}

async function importCa(ca: PemPair): Promise<{ cert: X509.X509Certificate; key: CryptoKey }> {
  const x509 = await loadX509();
  try {
    const cert = new x509.X509Certificate(ca.cert);
    const der = x509.PemConverter.decodeFirst(ca.key);
    const key = await crypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    return { cert, key };
  } catch (err) {
    throw new KubeDevopsError("INPUT", `Cannot use the CA: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      hint: "the CA key must be an ECDSA P-256 PKCS#8 PEM as written by `webhook cert-generate`",
    });
  }
}

/**
 * Checks a kept CA before it signs anything (node:crypto, as lib/webhook/check-serving-files.ts):
 * `caKey` is the key of `caCert`, which is a CA allowed to sign certificates, valid at `now`,
 * with a key `cert-generate` can sign with.
 * Throws an INPUT error naming the files; returns when the CA expires.
 */
export async function checkCertificateAuthority(ca: PemPair, names: CaFileNames, now: Date): Promise<{ notAfter: Date }> {
  const newCa = "pass --new-ca for a new CA (replaced at once if ca.crt is expired or unreadable; otherwise staged: publish ca-bundle.crt with `webhook install-config`, then --promote-ca)";
  const refuse = (problem: string, hint = newCa) => new KubeDevopsError("INPUT", `Cannot reuse the CA: ${problem}; nothing was written`, { hint });
  let cert: NodeX509Certificate;
  try {
    cert = new NodeX509Certificate(ca.cert);
  } catch {
    throw refuse(`${names.caCert} is not a PEM certificate`);
  }
  // OpenSSL's CA test: the CA basic constraint, and keyCertSign where a key usage is given
  if (!cert.ca) {
    const subject = cert.subject.replaceAll("\n", ", ");
    throw refuse(`${names.caCert} is not a CA certificate that may sign certificates (${subject})`, `pass the ca.crt cert-generate wrote, not a serving certificate; or ${newCa}`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(ca.key);
  } catch {
    throw refuse(`${names.caKey} is not a PEM private key`);
  }
  if (!cert.checkPrivateKey(key)) throw refuse(`${names.caKey} is not the key of ${names.caCert}`, `the two files come from different CAs: put back the matching key, or ${newCa}`);
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw refuse(`${names.caKey} is not an ECDSA P-256 key, the only kind cert-generate signs with`);
  }
  const notBefore = cert.validFromDate;
  const notAfter = cert.validToDate;
  if (notBefore > now) throw refuse(`${names.caCert} is not valid before ${notBefore.toISOString()}`, "check this machine's clock");
  if (notAfter <= now) throw refuse(`${names.caCert} expired on ${notAfter.toISOString()}`);
  return { notAfter };
}

/** Issues a serving certificate under `ca` for the Service names plus extra SANs. */
export async function issueServingCertificate(ca: PemPair, options: ServingCertOptions): Promise<WebhookCertificates> {
  const x509 = await loadX509();
  checkValidity(options.validityDays, "validity");
  const extra = normaliseSans(options.dnsSans ?? [], options.ipSans ?? []);
  const dnsNames = [...new Set([...serviceDnsNames(options.serviceName, options.namespace), ...extra.dns])];
  const ipAddresses = [...new Set(extra.ip)];
  const issuer = await importCa(ca);
  // whole seconds, as the certificate encodes them: a CA made in the same run is not "shorter" by milliseconds
  const requestedNotAfter = Math.floor((options.now.getTime() + options.validityDays * DAY_MS) / 1000) * 1000;
  const notAfter = Math.min(requestedNotAfter, issuer.cert.notAfter.getTime());
  if (notAfter <= options.now.getTime()) {
    throw new KubeDevopsError("INPUT", `Cannot issue a certificate: the CA expired on ${issuer.cert.notAfter.toISOString()}`, {
      hint: "generate a new CA with --new-ca and update the caBundle",
    });
  }
  const keys = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${options.serviceName}.${options.namespace}.svc`,
    issuer: issuer.cert.subject,
    notBefore: new Date(options.now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingKey: issuer.key,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // ECDSA keys sign the handshake; they never encipher keys, so digitalSignature alone.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
      ]),
    ],
  });
  return {
    ca,
    server: { cert: `${cert.toString("pem")}\n`, key: await exportPrivateKey(keys.privateKey) },
    dnsNames,
    ipAddresses,
    notAfter: new Date(notAfter),
    cutToCaExpiry: notAfter < requestedNotAfter,
  };
}

/** Creates a new CA and a serving certificate under it. */
export async function generateWebhookCertificates(
  options: ServingCertOptions & { caValidityDays: number },
): Promise<WebhookCertificates> {
  const ca = await createCertificateAuthority({ validityDays: options.caValidityDays, now: options.now });
  return issueServingCertificate(ca, options);
}

/**
 * A serving certificate made in memory for a component that was given no files (`watch` and
 * `reconcile --metrics-auth kubernetes` without `--metrics-tls-cert`), as controller-runtime does
 * without a cert dir: issued by a throw-away CA whose key is never kept, for the Service's names,
 * `localhost` and the loopback addresses. Nobody can verify it; it exists so a bearer token never
 * crosses the wire in clear (decision 0029).
 */
export async function createEphemeralServingCertificate(options: { serviceName: string; namespace: string; now: Date; validityDays?: number }): Promise<PemPair> {
  const validityDays = options.validityDays ?? 365;
  const ca = await createCertificateAuthority({ validityDays, now: options.now, commonName: `${options.serviceName}-ephemeral-ca` });
  const issued = await issueServingCertificate(ca, { ...options, validityDays, dnsSans: ["localhost"], ipSans: ["127.0.0.1", "::1"] });
  return issued.server;
}

/** Parses the first certificate of a PEM; throws an INPUT error naming `source`. */
export async function describeCertificate(pem: string, source = "certificate"): Promise<CertificateInfo> {
  const x509 = await loadX509();
  let cert: X509.X509Certificate;
  try {
    cert = new x509.X509Certificate(pem);
  } catch (err) {
    throw new KubeDevopsError("INPUT", `Cannot parse ${source}: not a PEM certificate`, { cause: err });
  }
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const names = san?.names.toJSON() ?? [];
  return {
    serialNumber: cert.serialNumber.toUpperCase(),
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: basic?.ca ?? false,
    dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === "ip").map((n) => n.value),
    extendedKeyUsages: (eku?.usages ?? []).map(String),
  };
}
