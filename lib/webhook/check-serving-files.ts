/**
 * @module
 * Checks a webhook certificate set (`ca.crt`, `tls.crt`, `tls.key`, as `webhook cert-generate`
 * writes it) before manifests ship it: the key is the certificate's, the certificate chains to
 * a CA of the bundle, names the Service host the API server calls, is valid now and may serve
 * TLS. Shipped unchecked, any of these fails every admission call, and `failurePolicy: Ignore`
 * turns that into admission control that is silently off.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { KubeDevopsError } from "../errors.ts";

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
  if (blocks.length === 0) throw invalid(`${file}: no PEM certificate in it`, "give the files `webhook cert-generate` wrote");
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw invalid(`${file}: certificate ${i + 1} does not parse: ${(err as Error).message}`, "give the files `webhook cert-generate` wrote");
    }
  });
}

/** Throws an INPUT error naming the file and what is wrong; returns when the set can serve `host`. */
export function checkServingFiles(files: ServingFiles, names: ServingFileNames, host: string, now: Date): void {
  const regenerate = `re-run \`webhook cert-generate\` for this namespace (--namespace) into an empty directory`;
  const [serving] = parseCertificates(files.tlsCert, names.tlsCert);
  const cas = parseCertificates(files.caCert, names.caCert);
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(files.tlsKey);
  } catch (err) {
    throw invalid(`${names.tlsKey}: not a PEM private key: ${(err as Error).message}`, regenerate);
  }
  if (!serving!.checkPrivateKey(key)) throw invalid(`${names.tlsKey} is not the key of ${names.tlsCert}`, `the files come from different runs: ${regenerate}`);
  if (!cas.some((ca) => serving!.checkIssued(ca) && serving!.verify(ca.publicKey))) {
    throw invalid(`${names.tlsCert} is not signed by a CA in ${names.caCert}`, `the API server trusts only ${names.caCert} (the caBundle): ${regenerate}`);
  }
  if (serving!.checkHost(host) === undefined) {
    throw invalid(`${names.tlsCert} is not valid for ${host}, the Service the webhook configuration calls (it names ${serving!.subjectAltName ?? "no DNS names"})`, regenerate);
  }
  if (new Date(serving!.validFrom) > now) throw invalid(`${names.tlsCert} is not valid before ${serving!.validFrom}`, "check the clock of the machine that generated it");
  if (new Date(serving!.validTo) <= now) throw invalid(`${names.tlsCert} expired on ${serving!.validTo}`, regenerate);
  const usages = serving!.keyUsage;
  if (usages !== undefined && !usages.includes(SERVER_AUTH)) throw invalid(`${names.tlsCert} may not be used by a TLS server (no serverAuth extended key usage)`, regenerate);
}
