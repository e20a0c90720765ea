/**
 * @module
 * Checks a webhook certificate set (`ca.crt`, `tls.crt`, `tls.key`, as `webhook cert-generate`
 * writes it) before manifests ship it: the key is the certificate's, the certificate chains to
 * a CA of the bundle (directly, or through unexpired intermediates served after it in tls.crt),
 * names the Service host the API server calls, is valid now and may serve TLS. Shipped
 * unchecked, any of these fails every admission call, and `failurePolicy: Ignore` turns that
 * into admission control that is silently off. `checkServingPair` is the part a
 * server checks before it listens (the pair itself, not the CA, host or dates).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { KubeDevopsError } from "../errors.ts";
import { loadX509 } from "./x509.ts";

export interface ServingFiles {
  caCert: string;
  tlsCert: string;
  tlsKey: string;
}

export interface ServingFileNames {
  caCert: string;
  tlsCert: string;
  tlsKey: string;
}

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function invalid(message: string, hint: string): KubeDevopsError {
  return new KubeDevopsError("INPUT", message, { hint });
}

function parseCertificates(pem: string, file: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    const what = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem) ? "a private key, not a certificate" : "no PEM certificate";
    throw invalid(`${file} holds ${what}`, "give the files `webhook cert-generate` wrote");
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw invalid(`${file}: certificate ${i + 1} does not parse: ${(err as Error).message}`, "give the files `webhook cert-generate` wrote");
    }
  });
}

function parsePrivateKey(pem: string, file: string, hint: string): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    const what = pem.match(PEM_CERTIFICATE) ? "a certificate, not a private key" : "no PEM private key";
    throw invalid(`${file} holds ${what}`, hint);
  }
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw invalid(`${file}: the private key does not parse: ${(err as Error).message}`, hint);
  }
}

function checkKeyOf(cert: X509Certificate, key: KeyObject, names: { tlsCert: string; tlsKey: string }, hint: string): void {
  if (!cert.checkPrivateKey(key)) throw invalid(`${names.tlsKey} is not the private key of ${names.tlsCert}`, hint);
}

function checkServerAuth(cert: X509Certificate, file: string, hint: string): void {
  const usages = cert.keyUsage; // node:crypto's name for the extended key usages
  if (usages !== undefined && !usages.includes(SERVER_AUTH)) throw invalid(`${file} may not be used by a TLS server (no serverAuth extended key usage)`, hint);
}

/** Intermediates a served chain may pass through before a bundle CA (as certificate-expiry.ts). */
const MAX_INTERMEDIATES = 4;

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/**
 * The intermediates (served after the certificate in tls.crt, as a CA's PKI hands them out)
 * through which `cert` reaches a CA of the bundle: [] when a bundle CA signed it, undefined when
 * no path does.
 */
function pathToBundle(cert: X509Certificate, intermediates: readonly X509Certificate[], cas: readonly X509Certificate[], depth = 0): X509Certificate[] | undefined {
  if (cas.some((ca) => issuedBy(cert, ca))) return [];
  if (depth >= MAX_INTERMEDIATES) return undefined;
  for (const intermediate of intermediates) {
    if (intermediate === cert || !intermediate.ca || !issuedBy(cert, intermediate)) continue;
    const above = pathToBundle(intermediate, intermediates, cas, depth + 1);
    if (above) return [intermediate, ...above];
  }
  return undefined;
}

/** Throws an INPUT error naming the file and what is wrong; returns when the set can serve `host`. */
export function checkServingFiles(files: ServingFiles, names: ServingFileNames, host: string, now: Date): void {
  const regenerate = `re-run \`webhook cert-generate\` for this namespace (--namespace) into an empty directory`;
  const [serving, ...intermediates] = parseCertificates(files.tlsCert, names.tlsCert);
  const cas = parseCertificates(files.caCert, names.caCert);
  const key = parsePrivateKey(files.tlsKey, names.tlsKey, regenerate);
  checkKeyOf(serving!, key, names, `the files come from different runs: ${regenerate}`);
  const path = pathToBundle(serving!, intermediates, cas);
  if (!path) {
    const through = intermediates.length ? `, directly or through the ${intermediates.length} intermediate(s) after it` : "";
    throw invalid(`${names.tlsCert} is not signed by a CA in ${names.caCert}${through}`, `the API server trusts only ${names.caCert} (the caBundle): ${regenerate}`);
  }
  for (const intermediate of path) {
    if (new Date(intermediate.validTo) <= now) throw invalid(`${names.tlsCert}: the intermediate CA ${intermediate.subject.replace(/\n/g, ", ")} expired on ${intermediate.validTo}`, "serve the chain your CA issues now");
  }
  if (serving!.checkHost(host) === undefined) {
    throw invalid(`${names.tlsCert} is not valid for ${host}, the Service the webhook configuration calls (it names ${serving!.subjectAltName ?? "no DNS names"})`, regenerate);
  }
  if (new Date(serving!.validFrom) > now) throw invalid(`${names.tlsCert} is not valid before ${serving!.validFrom}`, "check the clock of the machine that generated it");
  if (new Date(serving!.validTo) <= now) throw invalid(`${names.tlsCert} expired on ${serving!.validTo}`, regenerate);
  checkServerAuth(serving!, names.tlsCert, regenerate);
}

/**
 * Checks a certificate and key a TLS server is about to load, so a wrong file is named in
 * words instead of by the OpenSSL code Bun.serve throws (NO_START_LINE, KEY_VALUES_MISMATCH,
 * KEY_USAGE_BIT_INCORRECT). Dates are not checked: an expired certificate is served and
 * logged (`describeServingValidity`). Returns the serving certificate.
 */
export async function checkServingPair(pair: { cert: string; key: string }, names: { tlsCert: string; tlsKey: string }): Promise<X509Certificate> {
  const hint = `give the serving certificate and its own private key (PEM), e.g. tls.crt and tls.key from \`webhook cert-generate\``;
  const [serving] = parseCertificates(pair.cert, names.tlsCert);
  const key = parsePrivateKey(pair.key, names.tlsKey, hint);
  checkKeyOf(serving!, key, names, hint);
  checkServerAuth(serving!, names.tlsCert, hint);
  // BoringSSL refuses a non-RSA certificate whose key usage does not allow signatures (the
  // handshake is signed); a CA certificate (keyCertSign, cRLSign) is the usual case.
  if (key.asymmetricKeyType !== "rsa") {
    const x509 = await loadX509();
    const usage = new x509.X509Certificate(serving!.raw).getExtension(x509.KeyUsagesExtension);
    if (usage && (usage.usages & x509.KeyUsageFlags.digitalSignature) === 0) {
      const ca = serving!.ca ? " (it is a CA certificate, not a serving certificate)" : "";
      throw invalid(`${names.tlsCert} may not sign TLS handshakes: its key usage lacks digitalSignature${ca}`, hint);
    }
  }
  return serving!;
}

export interface ValidityNotice {
  level: "error" | "warn";
  message: string;
  notBefore: string;
  notAfter: string;
}

/** Says whether a serving certificate is outside its validity, or ends within `warnWithinMs`; undefined when it is fine. */
export function describeServingValidity(cert: X509Certificate, file: string, now: Date, warnWithinMs: number): ValidityNotice | undefined {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  const dates = { notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString() };
  if (notAfter <= now) return { level: "error", message: `${file} expired on ${dates.notAfter}: TLS clients refuse it`, ...dates };
  if (notBefore > now) return { level: "error", message: `${file} is not valid before ${dates.notBefore}: TLS clients refuse it`, ...dates };
  if (notAfter.getTime() - now.getTime() <= warnWithinMs) {
    const days = Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
    return { level: "warn", message: `${file} expires on ${dates.notAfter} (in ${days === 0 ? "less than a day" : `${days} day${days === 1 ? "" : "s"}`})`, ...dates };
  }
  return undefined;
}
