/**
 * @module
 * The webhook's certificate expiry gauges. `certificate="ca"` is the CA of the bundle that
 * verifies the certificate being served, not the bundle's first block: during a CA rotation
 * ca.crt carries the old and the new CA in either order, and only the one the served chain leads
 * to says when the API server stops trusting this webhook (decision 0033).
 */
import type * as X509 from "@peculiar/x509";
import type { Gauge } from "prom-client";
import type { Logger } from "../log.ts";
import { loadX509 } from "./x509.ts";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
/** Intermediates followed at most: real chains have one or two; a bound also ends any cycle. */
const MAX_INTERMEDIATES = 4;

export interface ServingCa {
  /** The bundle certificate the served chain leads to. */
  subject: string;
  /** Upper-case hex, as TLS peers report it. */
  serialNumber: string;
  /** 1-based position in the bundle. */
  position: number;
  /** When the chain stops verifying: the anchor's expiry, or an intermediate's (served in tls.crt) that comes first. */
  notAfter: Date;
}

function parseAll(x509: typeof X509, pem: string): X509.X509Certificate[] {
  const certs: X509.X509Certificate[] = [];
  for (const block of pem.match(PEM_CERTIFICATE) ?? []) {
    try {
      certs.push(new x509.X509Certificate(block));
    } catch {
      // an unreadable block verifies nothing
    }
  }
  return certs;
}

/** `issuer` signed `cert` (names and signature; dates are the gauge's business, not this test's). */
async function signed(issuer: X509.X509Certificate, cert: X509.X509Certificate): Promise<boolean> {
  if (issuer.subject !== cert.issuer) return false;
  try {
    return await cert.verify({ publicKey: issuer, signatureOnly: true });
  } catch {
    return false;
  }
}

function later(a: ServingCa | undefined, b: ServingCa): ServingCa {
  return a && a.notAfter >= b.notAfter ? a : b;
}

function sameCertificate(a: X509.X509Certificate, b: X509.X509Certificate): boolean {
  return Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}

/**
 * The bundle CA that verifies the served chain (`chainPem`: the serving certificate, then any
 * intermediates, as tls.crt holds them), or undefined when none does. Where several paths verify
 * (a CA re-issued with the same key sits in the bundle twice), the one that lasts longest: the API
 * server trusts the webhook as long as any path does.
 */
export async function findServingCa(chainPem: string, bundlePem: string): Promise<ServingCa | undefined> {
  const x509 = await loadX509();
  const [leaf, ...intermediates] = parseAll(x509, chainPem);
  if (!leaf) return undefined;
  const bundle = parseAll(x509, bundlePem);
  const anchor = (ca: X509.X509Certificate, index: number): ServingCa => ({ subject: ca.subject, serialNumber: ca.serialNumber.toUpperCase(), position: index + 1, notAfter: ca.notAfter });

  async function search(cert: X509.X509Certificate, depth: number): Promise<ServingCa | undefined> {
    let best: ServingCa | undefined;
    for (const [index, ca] of bundle.entries()) if (await signed(ca, cert)) best = later(best, anchor(ca, index));
    if (depth >= MAX_INTERMEDIATES) return best;
    for (const intermediate of intermediates) {
      if (intermediate === cert || !(await signed(intermediate, cert))) continue;
      const above = await search(intermediate, depth + 1);
      if (above) best = later(best, above.notAfter <= intermediate.notAfter ? above : { ...above, notAfter: intermediate.notAfter });
    }
    return best;
  }

  // a bundle may pin the serving certificate itself (self-signed): it verifies itself
  const pinned = bundle.findIndex((ca) => sameCertificate(ca, leaf));
  const found = await search(leaf, 0);
  return pinned >= 0 ? later(found, anchor(bundle[pinned] as X509.X509Certificate, pinned)) : found;
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * Sets `certificate="serving"` from the served chain and, when a CA bundle is given,
 * `certificate="ca"` from the CA of it that verifies that chain. When none does, the `ca` series
 * is removed (a stale or unrelated CA's date would mislead the expiry alerts) and an error is
 * logged: an API server whose caBundle is this bundle cannot call the webhook.
 */
export async function recordCertificateExpiry(gauge: Gauge<"certificate">, logger: Logger, servingPem: string, ca?: { pem: string; source: string }): Promise<void> {
  const x509 = await loadX509();
  const [serving] = parseAll(x509, servingPem);
  if (!serving) throw new Error("the serving certificate is not a PEM certificate");
  gauge.set({ certificate: "serving" }, seconds(serving.notAfter));
  if (!ca) {
    gauge.remove({ certificate: "ca" }); // a bundle that went away says nothing about any CA any more
    return;
  }
  const found = await findServingCa(servingPem, ca.pem);
  if (found) {
    gauge.set({ certificate: "ca" }, seconds(found.notAfter));
    logger.debug("CA expiry taken from the CA that verifies the serving certificate", { source: ca.source, subject: found.subject, serialNumber: found.serialNumber, position: found.position, notAfter: found.notAfter.toISOString() });
    return;
  }
  gauge.remove({ certificate: "ca" });
  logger.error(`no CA in ${ca.source} verifies the serving certificate: an API server whose caBundle is this bundle cannot call the webhook (with failurePolicy Ignore, admission is then silently skipped)`, {
    source: ca.source,
    issuer: serving.issuer,
    certificates: parseAll(x509, ca.pem).map((c) => c.subject),
  });
}

export interface ExpiryRecorder {
  /** A serving chain went into use (start, reload): records both gauges from it and the CA bundle read now. */
  served(servingPem: string): Promise<void>;
  /**
   * Re-reads the CA bundle and records again when it changed since the last record: a bundle can
   * change alone (a Secret edited, a CA dropped from ca.crt) while the same certificate is served,
   * and the `ca` gauge must follow it. Logs nothing when nothing changed.
   */
  refresh(): Promise<void>;
}

/**
 * Keeps the expiry gauges true to the served chain and the current CA bundle. `readCa` returns the
 * bundle (undefined when there is none) and may throw; a failure is logged once per distinct message.
 */
export function createExpiryRecorder(gauge: Gauge<"certificate">, logger: Logger, readCa: () => { pem: string; source: string } | undefined): ExpiryRecorder {
  let servingPem: string | undefined;
  let recordedCa: string | undefined;
  let lastFailure: string | undefined;

  function fail(err: unknown): void {
    const message = (err as Error).message;
    if (message !== lastFailure) logger.warn("cannot read the certificate expiry", { error: message });
    lastFailure = message;
  }

  async function record(pem: string): Promise<void> {
    let ca: { pem: string; source: string } | undefined;
    let unreadable: unknown;
    try {
      ca = readCa();
    } catch (err) {
      unreadable = err; // the serving certificate's expiry is still known: record it, without a ca series
    }
    recordedCa = ca?.pem;
    try {
      await recordCertificateExpiry(gauge, logger, pem, ca);
      if (unreadable === undefined) lastFailure = undefined;
      else fail(unreadable);
    } catch (err) {
      fail(err);
    }
  }

  return {
    async served(pem) {
      servingPem = pem;
      await record(pem);
    },
    async refresh() {
      if (servingPem === undefined) return;
      let changed: boolean;
      try {
        changed = readCa()?.pem !== recordedCa;
      } catch {
        changed = true; // unreadable: record() logs it (once per message)
      }
      if (changed || lastFailure !== undefined) await record(servingPem);
    },
  };
}
