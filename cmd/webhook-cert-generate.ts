/**
 * @module
 * `kube-devops webhook cert-generate --output-dir <dir>`: writes `ca.crt`, `ca.key`,
 * `tls.crt`, `tls.key` for the webhook Service. An existing CA in the directory is
 * reused (so the deployed caBundle stays valid) unless `--new-ca` is given, once it is checked:
 * its key, that it is a CA, that it has not expired.
 */
import { defineCommand } from "citty";
import { join } from "node:path";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { collectFlagValues } from "../lib/cli/repeated-flag.ts";
import { usageError } from "../lib/errors.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { parseNamespaceFlag, parseServiceNameFlag } from "../lib/resource-names.ts";
import { withSignalsDeferred } from "../lib/cli/defer-signals.ts";
import { CERT_FILES, readCertificateAuthority, writeCertificateSet } from "../lib/webhook/cert-files.ts";
import { checkCertificateAuthority, createCertificateAuthority, issueServingCertificate, normaliseSans } from "../lib/webhook/certs.ts";
import { checkServingFiles } from "../lib/webhook/check-serving-files.ts";
import { WEBHOOK_NAMESPACE, WEBHOOK_SERVICE_NAME } from "../lib/webhook/constants.ts";

function parseDays(value: string, flag: string): number {
  return integerFlag(flag, value, { min: 1, max: 3650, expected: "a whole number of days from 1 to 3650" });
}

/** Every value of a repeatable comma-list flag, empty ones kept so that they are refused, not dropped. */
function collectSanFlag(rawArgs: readonly string[], flag: string): string[] {
  return collectFlagValues(rawArgs, [flag]).flatMap((value) => value.split(",")).map((value) => value.trim());
}

export default defineCommand({
  meta: { name: "cert-generate", description: "Generate a CA and a serving certificate for the webhook Service" },
  args: {
    "output-dir": { type: "string", required: true, description: "Directory for ca.crt, ca.key, tls.crt, tls.key (created if missing)", valueHint: "dir" },
    "service-name": { type: "string", default: WEBHOOK_SERVICE_NAME, description: "Name of the webhook Service" },
    namespace: { type: "string", default: WEBHOOK_NAMESPACE, description: "Namespace of the webhook Service" },
    "ip-san": { type: "string", description: "Extra IP address SAN (repeatable or comma-separated; no IPv6 zone)", valueHint: "ip" },
    "dns-san": { type: "string", description: "Extra DNS name SAN (repeatable or comma-separated; RFC 1123, a wildcard only as the leftmost label)", valueHint: "name" },
    "validity-days": { type: "string", default: "365", description: "Validity of the serving certificate in days (1-3650)" },
    "ca-validity-days": { type: "string", default: "1825", description: "Validity of a new CA in days (1-3650)" },
    "new-ca": { type: "boolean", default: false, description: "Create a new CA even if ca.crt and ca.key exist in the directory" },
  },
  async run({ args, rawArgs }) {
    const { out, logger } = cliRuntime();
    const dir = args["output-dir"];
    if (!dir) throw usageError("Missing --output-dir");
    const serviceName = parseServiceNameFlag(args["service-name"]);
    const namespace = parseNamespaceFlag(args.namespace);
    const validityDays = parseDays(args["validity-days"], "--validity-days");
    const caValidityDays = parseDays(args["ca-validity-days"], "--ca-validity-days");
    const sans = normaliseSans(collectSanFlag(rawArgs, "--dns-san"), collectSanFlag(rawArgs, "--ip-san"));
    const now = new Date();
    const existing = args["new-ca"] ? undefined : readCertificateAuthority(dir);
    const names = { caCert: join(dir, CERT_FILES.caCert), caKey: join(dir, CERT_FILES.caKey), tlsCert: join(dir, CERT_FILES.tlsCert), tlsKey: join(dir, CERT_FILES.tlsKey) };
    if (existing) {
      const { notAfter } = await checkCertificateAuthority(existing, names, now);
      if (rawArgs.some((arg) => arg === "--ca-validity-days" || arg.startsWith("--ca-validity-days="))) {
        logger.warn(`--ca-validity-days applies to a new CA only: the kept CA in ${names.caCert} still expires on ${notAfter.toISOString()} (--new-ca makes a new one)`);
      }
    }
    const ca = existing ?? (await createCertificateAuthority({ validityDays: caValidityDays, now }));
    const certs = await issueServingCertificate(ca, {
      serviceName,
      namespace,
      dnsSans: sans.dns,
      ipSans: sans.ip,
      validityDays,
      now,
    });
    // The same check `deploy --tls-dir` applies: cert-generate never writes a set it would refuse.
    checkServingFiles({ caCert: certs.ca.cert, tlsCert: certs.server.cert, tlsKey: certs.server.key }, names, `${serviceName}.${namespace}.svc`, now);
    // a Ctrl-C between two renames would leave a mixed set and temporary files: it waits for the last one
    const paths = await withSignalsDeferred(() => writeCertificateSet(dir, certs));
    const until = certs.notAfter.toISOString();
    if (certs.cutToCaExpiry) {
      logger.warn(
        `${paths.caCert} expires on ${until}, so the serving certificate does too: not the ${validityDays} days of --validity-days. ` +
          "Rotate the CA before then: --new-ca, with the old and the new ca.crt in the caBundle during the switch (webhook install-config takes both).",
      );
    }
    const lines = [
      existing ? `Reused the CA in ${paths.caCert}` : `Created a new CA: ${paths.caCert}`,
      `CA certificate ..... ${paths.caCert}`,
      `CA key ............. ${paths.caKey} (0600)`,
      `Server certificate . ${paths.tlsCert}`,
      `Server key ......... ${paths.tlsKey} (0600)`,
      `Service: ${serviceName}.${namespace}`,
      `Valid until: ${until}${certs.cutToCaExpiry ? " (the CA's expiry)" : ""}`,
      "SANs:",
      ...certs.dnsNames.map((name) => `    - ${name}`),
      ...certs.ipAddresses.map((ip) => `    - ${ip} (IP)`),
      "TLS certificates generated successfully.",
    ];
    out(`${lines.join("\n")}\n`);
  },
});
