/**
 * @module
 * CA bundles, the ValidatingWebhookConfiguration's `caBundle`: reads a PEM bundle and refuses one
 * the API server could never verify with (no certificate, a non-CA, a private key, nothing valid
 * now), and composes the bundle of a CA rotation. Pure: PEM text in, the clock passed in.
 */
import { X509Certificate } from "node:crypto";
import { KubeDevopsError } from "../errors.ts";

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

export interface CheckedCaBundle {
  /** The certificates, normalised: one PEM block after another, nothing else. */
  pem: string;
  /** One line per certificate that cannot verify now (expired, or not valid yet) while others can. */
  warnings: string[];
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

function describe(cert: X509Certificate): string {
  return cert.subject.replaceAll("\n", ", ");
}

/** What is wrong with `cert` at `now`, or undefined when it can verify. */
function invalidity(cert: X509Certificate, now: Date): string | undefined {
  if (cert.validToDate <= now) return `expired on ${cert.validToDate.toISOString()}`;
  if (cert.validFromDate > now) return `not valid before ${cert.validFromDate.toISOString()}`;
  return undefined;
}

/** The PEM certificate blocks of `pem`; throws an INPUT error naming `source` for anything else PEM-shaped in it. */
export function splitCertificates(pem: string, source: string): string[] {
  const refuse = (problem: string, hint?: string) => new KubeDevopsError("INPUT", `Cannot use ${source} as a CA bundle: ${problem}`, hint ? { hint } : {});
  const blocks: string[] = [];
  for (const match of pem.matchAll(PEM_BLOCK)) {
    const type = match[1] as string;
    if (type !== "CERTIFICATE") {
      throw refuse(`it holds a ${type} block (line ${lineOf(pem, match.index)}), not only certificates`, type.includes("PRIVATE KEY") ? "never pass a private key: the caBundle is readable by anyone who may read the webhook configuration; pass ca.crt" : undefined);
    }
    blocks.push(match[0]);
  }
  // text around the blocks (openssl's "subject=" lines) is fine; a cut-off block is not
  const rest = pem.replace(PEM_BLOCK, (block) => " ".repeat(block.length));
  const stray = /-----(BEGIN|END) [A-Z0-9 ]+-----/.exec(rest);
  if (stray) throw refuse(`an incomplete PEM block at line ${lineOf(pem, stray.index)} (a ${stray[1]} line without its pair)`);
  if (blocks.length === 0) throw refuse("no PEM certificate in it", "pass ca.crt (or ca-bundle.crt during a CA rotation) from `webhook cert-generate`");
  return blocks;
}

/**
 * Checks a caBundle file's text: every block a parseable CA certificate, and at least one valid
 * at `now`. Certificates that cannot verify now are warnings while another one can (a bundle
 * during a CA rotation carries the previous CA); when none can, the bundle is refused.
 */
export function checkCaBundle(pem: string, source: string, now: Date): CheckedCaBundle {
  const blocks = splitCertificates(pem, source);
  const problems: string[] = [];
  for (const [index, block] of blocks.entries()) {
    const what = `certificate ${index + 1} of ${source}`;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (err) {
      throw new KubeDevopsError("INPUT", `Cannot use ${source} as a CA bundle: ${what} does not parse (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!cert.ca) {
      throw new KubeDevopsError("INPUT", `Cannot use ${source} as a CA bundle: certificate ${index + 1} (${describe(cert)}) is not a CA`, {
        hint: "pass ca.crt from `webhook cert-generate`, not tls.crt",
      });
    }
    const problem = invalidity(cert, now);
    if (problem !== undefined) problems.push(`${what} (${describe(cert)}) ${problem}`);
  }
  if (problems.length === blocks.length) {
    throw new KubeDevopsError("INPUT", `Cannot use ${source} as a CA bundle: no certificate in it is valid now, so the API server could never verify the webhook: ${problems.join("; ")}`, {
      hint: "make a new CA: `webhook cert-generate --output-dir <dir> --new-ca`, then pass its ca-bundle.crt",
    });
  }
  return { pem: `${blocks.join("\n")}\n`, warnings: problems.map((problem) => `${problem}: it verifies nothing; the other certificates are used`) };
}

/** The bundle of the given CA certificates (undefined skipped): each once, in order, only those valid at `now`. */
export function composeCaBundle(certificates: ReadonlyArray<string | undefined>, now: Date): string {
  const kept: string[] = [];
  for (const pem of certificates) {
    if (pem === undefined) continue;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch {
      continue; // an unreadable previous CA verifies nothing; the current one was checked before
    }
    const block = pem.trim();
    if (invalidity(cert, now) === undefined && !kept.includes(block)) kept.push(block);
  }
  return kept.length === 0 ? "" : `${kept.join("\n")}\n`;
}

/** The certificate in `pem` can verify at `now`: it parses and `now` is within its validity. */
export function isCertificateValidAt(pem: string, now: Date): boolean {
  try {
    return invalidity(new X509Certificate(pem), now) === undefined;
  } catch {
    return false;
  }
}
