/**
 * @module
 * Self-managed certificates, the pure part: reads the webhook's TLS Secret data,
 * decides what to do (keep, issue a new serving certificate under the kept CA, or
 * start a new CA) and which CA bundle the ValidatingWebhookConfiguration must carry
 * (during a CA rotation: the new CA and the previous one, until the previous expires).
 */
import type { CertificateInfo, PemPair } from "./certs.ts";

/** Secret keys (the kubernetes.io/tls layout plus the CA's key and the previous CA). */
export const SECRET_KEYS = { caCert: "ca.crt", caKey: "ca.key", tlsCert: "tls.crt", tlsKey: "tls.key", previousCa: "ca-previous.crt" } as const;

export interface StoredCertificates {
  ca: PemPair;
  server: PemPair;
  /** The CA before the last CA rotation, kept in the bundle until it expires. */
  previousCa?: string | undefined;
}

export type CertAction = "keep" | "issue-serving" | "new-ca";

export interface PlanInput {
  stored: StoredCertificates | undefined;
  ca: CertificateInfo | undefined;
  serving: CertificateInfo | undefined;
  /** DNS names the serving certificate must carry. */
  dnsNames: readonly string[];
  now: Date;
}

/** Renew when less than this share of a certificate's lifetime is left. */
export const RENEW_SERVING_REMAINING = 1 / 3;
export const RENEW_CA_REMAINING = 1 / 5;

function remainingShare(info: CertificateInfo, now: Date): number {
  const total = info.notAfter.getTime() - info.notBefore.getTime();
  return total <= 0 ? 0 : (info.notAfter.getTime() - now.getTime()) / total;
}

/** What the Secret needs: nothing, a new serving certificate, or a new CA (and serving certificate). */
export function planCertificates(input: PlanInput): CertAction {
  const { stored, ca, serving, now } = input;
  if (!stored || !ca || !ca.isCa || remainingShare(ca, now) < RENEW_CA_REMAINING) return "new-ca";
  // Without the CA key (a Secret bootstrapped from cert-generate output) nothing can be re-issued under it.
  const reissue = stored.ca.key ? "issue-serving" : "new-ca";
  if (!serving || serving.issuer !== ca.subject) return reissue;
  if (remainingShare(serving, now) < RENEW_SERVING_REMAINING) return reissue;
  if (input.dnsNames.some((name) => !serving.dnsNames.includes(name))) return reissue;
  return "keep";
}

function decode(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? Buffer.from(value, "base64").toString("utf8") : undefined;
}

/** The certificates in a Secret's `data` (`ca.key` may be absent: then it is ""), or undefined when incomplete. */
export function readSecretData(data: unknown): StoredCertificates | undefined {
  const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  const caCert = decode(d[SECRET_KEYS.caCert]);
  const caKey = decode(d[SECRET_KEYS.caKey]);
  const tlsCert = decode(d[SECRET_KEYS.tlsCert]);
  const tlsKey = decode(d[SECRET_KEYS.tlsKey]);
  if (!caCert || !tlsCert || !tlsKey) return undefined;
  return { ca: { cert: caCert, key: caKey ?? "" }, server: { cert: tlsCert, key: tlsKey }, previousCa: decode(d[SECRET_KEYS.previousCa]) };
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
  if (certs.previousCa) data[SECRET_KEYS.previousCa] = b64(certs.previousCa);
  return data;
}

/** The PEM bundle for the VWC: the current CA, then the previous one while it is still valid. */
export function caBundleOf(certs: StoredCertificates, previousCaInfo: CertificateInfo | undefined, now: Date): string {
  const parts = [certs.ca.cert.trim()];
  if (certs.previousCa && previousCaInfo && previousCaInfo.notAfter > now && certs.previousCa.trim() !== parts[0]) parts.push(certs.previousCa.trim());
  return `${parts.join("\n")}\n`;
}
