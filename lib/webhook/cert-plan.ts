/**
 * @module
 * Self-managed certificates, the pure part: reads the webhook's TLS Secret data,
 * decides what to do and which CA bundle the ValidatingWebhookConfiguration must
 * carry. A CA rotation takes two steps so that no API server ever sees a serving
 * certificate its bundle does not trust: the next CA is first *staged* (published in
 * the bundle beside the current one, serving unchanged), and only a later check
 * *promotes* it (serving certificate re-issued under it; the old CA stays in the
 * bundle as "previous" until it expires).
 */
import type { CertificateInfo, PemPair } from "./certs.ts";

/** Secret keys: the kubernetes.io/tls layout plus the CA's key, the staged next CA and the previous CA. */
export const SECRET_KEYS = {
  caCert: "ca.crt",
  caKey: "ca.key",
  tlsCert: "tls.crt",
  tlsKey: "tls.key",
  nextCaCert: "ca-next.crt",
  nextCaKey: "ca-next.key",
  previousCa: "ca-previous.crt",
} as const;

export interface StoredCertificates {
  /** The CA that signed the serving certificate; `key` is "" when the Secret was bootstrapped without it. */
  ca: PemPair;
  server: PemPair;
  /** A staged CA: already in the bundle, not yet signing. */
  next?: PemPair | undefined;
  /** The CA before the last rotation, kept in the bundle until it expires. */
  previousCa?: string | undefined;
}

export type CertAction = "keep" | "issue-serving" | "stage-ca" | "promote-ca" | "new-ca";

export interface PlanInput {
  stored: StoredCertificates | undefined;
  ca: CertificateInfo | undefined;
  serving: CertificateInfo | undefined;
  next?: CertificateInfo | undefined;
  /** DNS names the serving certificate must carry. */
  dnsNames: readonly string[];
  now: Date;
  /** How long a staged CA must have been in the bundle before it signs (default 60 s). */
  promoteAfterMs?: number;
}

/** Renew when less than this share of a certificate's lifetime is left. */
export const RENEW_SERVING_REMAINING = 1 / 3;
export const RENEW_CA_REMAINING = 1 / 5;
/** certs.ts backdates notBefore by this much; a staged CA's creation time is notBefore + this. */
const BACKDATE_MS = 5 * 60_000;

function remainingShare(info: CertificateInfo, now: Date): number {
  const total = info.notAfter.getTime() - info.notBefore.getTime();
  return total <= 0 ? 0 : (info.notAfter.getTime() - now.getTime()) / total;
}

function servingNeedsRenewal(input: PlanInput, ca: CertificateInfo): boolean {
  const { serving, now } = input;
  if (!serving || serving.issuer !== ca.subject || serving.notAfter <= now) return true;
  return remainingShare(serving, now) < RENEW_SERVING_REMAINING || input.dnsNames.some((name) => !serving.dnsNames.includes(name));
}

/** What the Secret needs next. */
export function planCertificates(input: PlanInput): CertAction {
  const { stored, ca, now } = input;
  // Nothing usable (first start, or the CA is gone or expired): nothing to keep trusting either.
  if (!stored || !ca || !ca.isCa || ca.notAfter <= now) return "new-ca";
  const renewServing = servingNeedsRenewal(input, ca);
  if (stored.next && input.next) {
    const stagedAt = input.next.notBefore.getTime() + BACKDATE_MS;
    if (now.getTime() - stagedAt >= (input.promoteAfterMs ?? 60_000)) return "promote-ca";
    return renewServing && stored.ca.key ? "issue-serving" : "keep";
  }
  // Without the CA key (bootstrapped from cert-generate output) renewal means a new CA.
  if (remainingShare(ca, now) < RENEW_CA_REMAINING || (renewServing && !stored.ca.key)) return "stage-ca";
  return renewServing ? "issue-serving" : "keep";
}

function decode(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? Buffer.from(value, "base64").toString("utf8") : undefined;
}

/** The certificates in a Secret's `data`, or undefined when ca.crt, tls.crt or tls.key is missing. */
export function readSecretData(data: unknown): StoredCertificates | undefined {
  const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  const caCert = decode(d[SECRET_KEYS.caCert]);
  const tlsCert = decode(d[SECRET_KEYS.tlsCert]);
  const tlsKey = decode(d[SECRET_KEYS.tlsKey]);
  if (!caCert || !tlsCert || !tlsKey) return undefined;
  const nextCert = decode(d[SECRET_KEYS.nextCaCert]);
  const nextKey = decode(d[SECRET_KEYS.nextCaKey]);
  return {
    ca: { cert: caCert, key: decode(d[SECRET_KEYS.caKey]) ?? "" },
    server: { cert: tlsCert, key: tlsKey },
    next: nextCert && nextKey ? { cert: nextCert, key: nextKey } : undefined,
    previousCa: decode(d[SECRET_KEYS.previousCa]),
  };
}

/** A Secret's `data` for the certificates (base64). */
export function toSecretData(certs: StoredCertificates): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const data: Record<string, string> = {
    [SECRET_KEYS.caCert]: b64(certs.ca.cert),
    [SECRET_KEYS.tlsCert]: b64(certs.server.cert),
    [SECRET_KEYS.tlsKey]: b64(certs.server.key),
  };
  if (certs.ca.key) data[SECRET_KEYS.caKey] = b64(certs.ca.key);
  if (certs.next) {
    data[SECRET_KEYS.nextCaCert] = b64(certs.next.cert);
    data[SECRET_KEYS.nextCaKey] = b64(certs.next.key);
  }
  if (certs.previousCa) data[SECRET_KEYS.previousCa] = b64(certs.previousCa);
  return data;
}

/** The PEM bundle for the VWC: the current CA, a staged next CA, and the previous CA while it is valid. */
export function caBundleOf(certs: StoredCertificates, previousCaInfo: CertificateInfo | undefined, now: Date): string {
  const parts = [certs.ca.cert.trim()];
  if (certs.next) parts.push(certs.next.cert.trim());
  if (certs.previousCa && previousCaInfo && previousCaInfo.notAfter > now) parts.push(certs.previousCa.trim());
  return `${[...new Set(parts)].join("\n")}\n`;
}
