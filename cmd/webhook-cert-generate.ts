/**
 * @module
 * `kube-devops webhook cert-generate --output-dir <dir>`: writes `ca.crt`, `ca.key`, `tls.crt`,
 * `tls.key` and `ca-bundle.crt` for the webhook Service. An existing CA is reused once checked;
 * a CA change takes two runs (lib/webhook/cert-dir-plan.ts): `--new-ca` stages the next CA,
 * `--promote-ca` switches to it, so the caBundle can trust both before the webhook serves the new one.
 */
import { defineCommand } from "citty";
import { join } from "node:path";
import { withSignalsDeferred } from "../lib/cli/defer-signals.ts";
import { collectFlagValues } from "../lib/cli/repeated-flag.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { usageError } from "../lib/errors.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { parseNamespaceFlag, parseServiceNameFlag } from "../lib/resource-names.ts";
import { composeCaBundle, isCertificateValidAt } from "../lib/webhook/ca-bundle.ts";
import { changesCa, planCertDir } from "../lib/webhook/cert-dir-plan.ts";
import { CERT_FILES, certificateSetFiles, readCertificateAuthority, readOptionalTextFile, readStagedCertificateAuthority, ROTATION_FILES, writeCertificateFiles, type FileWrite } from "../lib/webhook/cert-files.ts";
import { checkCertificateAuthority, createCertificateAuthority, describeCertificate, issueServingCertificate, normaliseSans, type PemPair, type WebhookCertificates } from "../lib/webhook/certs.ts";
import { checkServingFiles } from "../lib/webhook/check-serving-files.ts";
import { WEBHOOK_NAMESPACE, WEBHOOK_SERVICE_NAME } from "../lib/webhook/constants.ts";

function parseDays(value: string, flag: string): number {
  return integerFlag(flag, value, { min: 1, max: 3650, expected: "a whole number of days from 1 to 3650" });
}

/** Every value of a repeatable comma-list flag, empty ones kept so that they are refused, not dropped. */
function collectSanFlag(rawArgs: readonly string[], flag: string): string[] {
  return collectFlagValues(rawArgs, [flag]).flatMap((value) => value.split(",")).map((value) => value.trim());
}

function quoteShell(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

export default defineCommand({
  meta: { name: "cert-generate", description: "Generate a CA and a serving certificate for the webhook Service; --new-ca then --promote-ca rotates the CA" },
  args: {
    "output-dir": { type: "string", required: true, description: "Directory for ca.crt, ca.key, tls.crt, tls.key, ca-bundle.crt (created if missing)", valueHint: "dir" },
    "service-name": { type: "string", default: WEBHOOK_SERVICE_NAME, description: "Name of the webhook Service" },
    namespace: { type: "string", default: WEBHOOK_NAMESPACE, description: "Namespace of the webhook Service" },
    "ip-san": { type: "string", description: "Extra IP address SAN (repeatable or comma-separated; no IPv6 zone)", valueHint: "ip" },
    "dns-san": { type: "string", description: "Extra DNS name SAN (repeatable or comma-separated; RFC 1123, a wildcard only as the leftmost label)", valueHint: "name" },
    "validity-days": { type: "string", default: "365", description: "Validity of the serving certificate in days (1-3650)" },
    "ca-validity-days": { type: "string", default: "1825", description: "Validity of a new CA in days (1-3650)" },
    "new-ca": { type: "boolean", default: false, description: "Stage a new CA in ca-next.crt and ca-bundle.crt, serving unchanged (an expired CA is replaced at once); with --promote-ca, replace the CA in one step" },
    "promote-ca": { type: "boolean", default: false, description: "Switch to the staged CA once ca-bundle.crt is in the caBundle: re-issue the serving certificate under it, keep the old CA as ca-previous.crt" },
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
    const path = (name: string) => join(dir, name);
    const names = { caCert: path(CERT_FILES.caCert), caKey: path(CERT_FILES.caKey), tlsCert: path(CERT_FILES.tlsCert), tlsKey: path(CERT_FILES.tlsKey) };
    const nextNames = { caCert: path(ROTATION_FILES.nextCaCert), caKey: path(ROTATION_FILES.nextCaKey) };
    const [previousPath, bundlePath] = [path(ROTATION_FILES.previousCa), path(ROTATION_FILES.caBundle)];

    // a half CA pair is an error unless the CA is being replaced anyway
    const current = args["new-ca"] || args["promote-ca"] ? undefined : readCertificateAuthority(dir);
    const currentCert = current?.cert ?? readOptionalTextFile(names.caCert);
    const staged = readStagedCertificateAuthority(dir);
    const action = planCertDir(
      { currentCa: currentCert === undefined ? "absent" : isCertificateValidAt(currentCert, now) ? "valid" : "invalid", staged: staged !== undefined },
      { newCa: args["new-ca"], promoteCa: args["promote-ca"] },
      { caCert: names.caCert, nextCaCert: nextNames.caCert },
    );
    const caValidityGiven = rawArgs.some((arg) => arg === "--ca-validity-days" || arg.startsWith("--ca-validity-days="));

    let ca: PemPair;
    if (action === "renew" || action === "promote-ca") {
      const [kept, keptNames] = action === "renew" ? [current as PemPair, names] : [staged as PemPair, nextNames];
      const { notAfter } = await checkCertificateAuthority(kept, keptNames, now);
      if (caValidityGiven) logger.warn(`--ca-validity-days applies to a new CA only: the ${action === "renew" ? "kept" : "staged"} CA in ${keptNames.caCert} still expires on ${notAfter.toISOString()}`);
      ca = kept;
    } else {
      ca = await createCertificateAuthority({ validityDays: caValidityDays, now });
    }

    const writes: FileWrite[] = [];
    const removals: string[] = [];
    let certs: WebhookCertificates | undefined;
    let previous = readOptionalTextFile(previousPath);
    if (changesCa(action) || action === "create-ca") {
      // the CA being replaced stays trusted while it can verify; any older one is moot once it is replaced
      previous = action !== "create-ca" && currentCert !== undefined && isCertificateValidAt(currentCert, now) ? currentCert : undefined;
      if (previous === undefined) removals.push(ROTATION_FILES.previousCa);
      else writes.push({ name: ROTATION_FILES.previousCa, content: previous, mode: 0o644 });
    }
    if (action === "promote-ca") removals.push(ROTATION_FILES.nextCaCert, ROTATION_FILES.nextCaKey);
    const next = action === "stage-ca" ? ca : action === "renew" ? staged : undefined;
    const signing = action === "stage-ca" ? (currentCert as string) : ca.cert;
    const bundle = composeCaBundle([signing, next?.cert, previous], now);
    writes.push({ name: ROTATION_FILES.caBundle, content: bundle, mode: 0o644 });
    if (action === "stage-ca") {
      const ignored = ["--validity-days", "--dns-san", "--ip-san"].filter((flag) => rawArgs.some((arg) => arg === flag || arg.startsWith(`${flag}=`)));
      if (ignored.length > 0) logger.warn(`${ignored.join(", ")} ${ignored.length === 1 ? "shapes" : "shape"} the serving certificate, which staging leaves as it is: pass ${ignored.length === 1 ? "it" : "them"} with --promote-ca`);
      writes.push({ name: ROTATION_FILES.nextCaCert, content: ca.cert, mode: 0o644 }, { name: ROTATION_FILES.nextCaKey, content: ca.key, mode: 0o600 });
    } else {
      certs = await issueServingCertificate(ca, { serviceName, namespace, dnsSans: sans.dns, ipSans: sans.ip, validityDays, now });
      // The same check `deploy --tls-dir` applies: cert-generate never writes a set it would refuse.
      checkServingFiles({ caCert: bundle, tlsCert: certs.server.cert, tlsKey: certs.server.key }, { ...names, caCert: bundlePath }, `${serviceName}.${namespace}.svc`, now);
      writes.push(...certificateSetFiles(certs));
    }
    // a Ctrl-C between two renames would leave a mixed set and temporary files: it waits for the last one
    await withSignalsDeferred(() => writeCertificateFiles(dir, writes, removals));

    const applyBundle = `kube-devops webhook install-config --ca-bundle-path ${quoteShell(bundlePath)}${serviceName === WEBHOOK_SERVICE_NAME ? "" : ` --service-name ${serviceName}`}${namespace === WEBHOOK_NAMESPACE ? "" : ` --namespace ${namespace}`} | kubectl apply -f -`;
    // install-config prints the whole configuration: run without the settings it was deployed with, it resets them
    const sameFlags = "(with the --port, --failure-policy, --timeout-seconds and --exclude-namespaces you deployed with: install-config prints the whole configuration, and without them it resets them to the defaults)";
    const previousUntil = previous && isCertificateValidAt(previous, now) ? (await describeCertificate(previous, previousPath)).notAfter.toISOString() : undefined;
    if (action === "stage-ca") {
      logger.warn(
        `Staged a new CA in ${nextNames.caCert}; the webhook still serves the certificate of ${names.caCert}. Before switching, the API server must trust both:\n` +
          `  1. ${applyBundle}\n     ${sameFlags}; with deploy generate-all --tls-dir ${quoteShell(dir)} the bundle is taken from ca-bundle.crt\n` +
          `  2. then: kube-devops webhook cert-generate --output-dir ${quoteShell(dir)} --promote-ca`,
      );
    } else if (action === "promote-ca") {
      logger.info(
        `Switched to the staged CA: ${names.caCert}, with the serving certificate re-issued under it; the old CA is kept as ${previousPath}${previousUntil ? ` and stays in ${bundlePath} until it expires (${previousUntil}), for webhook replicas still serving the old certificate` : ""}. ` +
          `The caBundle published after --new-ca holds the same two CAs, so nothing needs publishing now; to drop the old CA later (once ${previousPath} has expired or been deleted and cert-generate re-run): ${applyBundle} ${sameFlags}`,
      );
    } else if (action === "replace-ca") {
      const why = args["promote-ca"]
        ? "Replaced the CA in one step (--new-ca --promote-ca): the webhook serves a certificate of the new CA as soon as it reloads tls.crt, and until the caBundle carries the new CA the API server cannot verify it (admission is off under failurePolicy Ignore, every pod is refused under Fail). --new-ca alone, then --promote-ca, avoids that gap."
        : `The CA in ${names.caCert} could not verify anything (expired or unreadable), so it was replaced in one step.`;
      logger.warn(`${why} Publish the new bundle now:\n  ${applyBundle}\n  ${sameFlags}`);
    }
    if (certs?.cutToCaExpiry) {
      logger.warn(
        `${names.caCert} expires on ${certs.notAfter.toISOString()}, so the serving certificate does too: not the ${validityDays} days of --validity-days. ` +
          "Rotate the CA before then: --new-ca, publish ca-bundle.crt (webhook install-config), then --promote-ca.",
      );
    }
    const headline = { "create-ca": `Created a new CA: ${names.caCert}`, renew: `Reused the CA in ${names.caCert}`, "stage-ca": `Staged a new CA: ${nextNames.caCert} (not signing yet; ${names.caCert} still does)`, "promote-ca": `Promoted the staged CA to ${names.caCert}`, "replace-ca": `Replaced the CA: ${names.caCert}` }[action];
    const lines = [
      headline,
      `CA certificate ..... ${names.caCert}`,
      `CA key ............. ${names.caKey} (0600)`,
      ...(next ? [`Next CA ............ ${nextNames.caCert}, ${nextNames.caKey} (0600)`] : []),
      ...(previousUntil ? [`Previous CA ........ ${previousPath} (in the bundle until ${previousUntil})`] : []),
      `CA bundle .......... ${bundlePath} (the caBundle to publish)`,
      ...(certs
        ? [
            `Server certificate . ${names.tlsCert}`,
            `Server key ......... ${names.tlsKey} (0600)`,
            `Service: ${serviceName}.${namespace}`,
            `Valid until: ${certs.notAfter.toISOString()}${certs.cutToCaExpiry ? " (the CA's expiry)" : ""}`,
            "SANs:",
            ...certs.dnsNames.map((name) => `    - ${name}`),
            ...certs.ipAddresses.map((ip) => `    - ${ip} (IP)`),
            "TLS certificates generated successfully.",
          ]
        : [`Server certificate . ${names.tlsCert} (unchanged)`]),
    ];
    out(`${lines.join("\n")}\n`);
  },
});
