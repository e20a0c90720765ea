/**
 * @module
 * `kube-devops webhook cert-generate --output-dir <dir>`: writes `ca.crt`, `ca.key`,
 * `tls.crt`, `tls.key` for the webhook Service. An existing CA in the directory is
 * reused (so the deployed caBundle stays valid) unless `--new-ca` is given.
 */
import { defineCommand } from "citty";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { collectListFlag } from "../lib/cli/repeated-flag.ts";
import { usageError } from "../lib/errors.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { parseNamespaceFlag, parseServiceNameFlag } from "../lib/resource-names.ts";
import { readCertificateAuthority, writeCertificateSet } from "../lib/webhook/cert-files.ts";
import { createCertificateAuthority, describeCertificate, issueServingCertificate } from "../lib/webhook/certs.ts";
import { WEBHOOK_NAMESPACE, WEBHOOK_SERVICE_NAME } from "../lib/webhook/constants.ts";

function parseDays(value: string, flag: string): number {
  return integerFlag(flag, value, { min: 0, expected: "a whole number of days" });
}

export default defineCommand({
  meta: { name: "cert-generate", description: "Generate a CA and a serving certificate for the webhook Service" },
  args: {
    "output-dir": { type: "string", required: true, description: "Directory for ca.crt, ca.key, tls.crt, tls.key (created if missing)", valueHint: "dir" },
    "service-name": { type: "string", default: WEBHOOK_SERVICE_NAME, description: "Name of the webhook Service" },
    namespace: { type: "string", default: WEBHOOK_NAMESPACE, description: "Namespace of the webhook Service" },
    "ip-san": { type: "string", description: "Extra IP address SAN (repeatable or comma-separated)", valueHint: "ip" },
    "dns-san": { type: "string", description: "Extra DNS name SAN (repeatable or comma-separated)", valueHint: "name" },
    "validity-days": { type: "string", default: "365", description: "Validity of the serving certificate in days (1-3650)" },
    "ca-validity-days": { type: "string", default: "1825", description: "Validity of a new CA in days (1-3650)" },
    "new-ca": { type: "boolean", default: false, description: "Create a new CA even if ca.crt and ca.key exist in the directory" },
  },
  async run({ args, rawArgs }) {
    const { out } = cliRuntime();
    const dir = args["output-dir"];
    if (!dir) throw usageError("Missing --output-dir");
    const serviceName = parseServiceNameFlag(args["service-name"]);
    const namespace = parseNamespaceFlag(args.namespace);
    const now = new Date();
    const existing = args["new-ca"] ? undefined : readCertificateAuthority(dir);
    const ca = existing ?? (await createCertificateAuthority({ validityDays: parseDays(args["ca-validity-days"], "--ca-validity-days"), now }));
    const certs = await issueServingCertificate(ca, {
      serviceName,
      namespace,
      dnsSans: collectListFlag(rawArgs, ["--dns-san"]),
      ipSans: collectListFlag(rawArgs, ["--ip-san"]),
      validityDays: parseDays(args["validity-days"], "--validity-days"),
      now,
    });
    const paths = writeCertificateSet(dir, certs);
    const lines = [
      existing ? `Reused the CA in ${paths.caCert}` : `Created a new CA: ${paths.caCert}`,
      `CA certificate ..... ${paths.caCert}`,
      `CA key ............. ${paths.caKey} (0600)`,
      `Server certificate . ${paths.tlsCert}`,
      `Server key ......... ${paths.tlsKey} (0600)`,
      `Service: ${serviceName}.${namespace}`,
      `Valid until: ${(await describeCertificate(certs.server.cert)).notAfter.toISOString()}`,
      "SANs:",
      ...certs.dnsNames.map((name) => `    - ${name}`),
      ...certs.ipAddresses.map((ip) => `    - ${ip} (IP)`),
      "TLS certificates generated successfully.",
    ];
    out(`${lines.join("\n")}\n`);
  },
});
