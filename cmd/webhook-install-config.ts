/**
 * @module
 * `kube-devops webhook install-config --ca-bundle-path <file>`: prints the
 * ValidatingWebhookConfiguration (YAML, or JSON with `-o json`) for `kubectl apply -f -`, with
 * the checked bundle (lib/webhook/ca-bundle.ts) as caBundle.
 */
import { collectListFlag } from "../lib/cli/repeated-flag.ts";
import { defineCommand } from "citty";
import { FAILURE_POLICIES, encodeCaBundle, renderWebhookConfiguration, type FailurePolicy } from "../gen/webhook-configuration.ts";
import { toYamlDocument } from "../gen/to-yaml.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { parseNamespaceFlag, parseServiceNameFlag } from "../lib/resource-names.ts";
import { readTextFile } from "../lib/webhook/cert-files.ts";
import { checkCaBundle } from "../lib/webhook/ca-bundle.ts";
import { WEBHOOK_NAMESPACE, WEBHOOK_SERVICE_NAME, WEBHOOK_SERVICE_PORT, WEBHOOK_TIMEOUT_SECONDS } from "../lib/webhook/constants.ts";

function parseIntFlag(value: string, flag: string, min: number, max: number): number {
  return integerFlag(flag, value, { min, max, expected: `a whole number from ${min} to ${max}` });
}

export default defineCommand({
  meta: { name: "install-config", description: "Print the ValidatingWebhookConfiguration for the webhook" },
  args: {
    "ca-bundle-path": { type: "string", required: true, description: "PEM file with the CA certificate(s) the API server trusts: ca.crt, or ca-bundle.crt during a CA rotation (refused when none is valid now)", valueHint: "file" },
    "service-name": { type: "string", default: WEBHOOK_SERVICE_NAME, description: "Name of the webhook Service (also the VWC name)" },
    namespace: { type: "string", default: WEBHOOK_NAMESPACE, description: "Namespace of the webhook Service (excluded from validation)" },
    port: { type: "string", default: String(WEBHOOK_SERVICE_PORT), description: "Service port the API server calls" },
    "failure-policy": { type: "enum", options: [...FAILURE_POLICIES], default: "Ignore", description: "What the API server does when the webhook cannot answer" },
    "timeout-seconds": { type: "string", default: String(WEBHOOK_TIMEOUT_SECONDS), description: "API server timeout per call (1-30; keep it at 3 or less)" },
    "exclude-namespaces": { type: "string", description: "More namespaces never sent to the webhook (comma-separated, repeatable)", valueHint: "ns,..." },
    output: { type: "enum", options: ["yaml", "json"], default: "yaml", alias: "o", description: "Output format" },
  },
  run({ args, rawArgs }) {
    const { out, logger } = cliRuntime();
    const serviceName = parseServiceNameFlag(args["service-name"]);
    const namespace = parseNamespaceFlag(args.namespace);
    const port = parseIntFlag(args.port, "--port", 1, 65535);
    const timeoutSeconds = parseIntFlag(args["timeout-seconds"], "--timeout-seconds", 1, 30);
    const excludedNamespaces = collectListFlag(rawArgs, ["--exclude-namespaces"]).map((ns) => parseNamespaceFlag(ns, "--exclude-namespaces"));
    if (timeoutSeconds > WEBHOOK_TIMEOUT_SECONDS) {
      logger.warn(`--timeout-seconds ${timeoutSeconds} is above ${WEBHOOK_TIMEOUT_SECONDS}: a slow webhook then delays every pod creation that long`);
    }
    const path = args["ca-bundle-path"];
    const bundle = checkCaBundle(readTextFile(path), path, new Date());
    for (const warning of bundle.warnings) logger.warn(warning);
    const vwc = renderWebhookConfiguration({
      caBundle: encodeCaBundle(bundle.pem),
      serviceName,
      namespace,
      port,
      failurePolicy: args["failure-policy"] as FailurePolicy,
      timeoutSeconds,
      excludedNamespaces,
    });
    out(args.output === "json" ? `${JSON.stringify(vwc, null, 2)}\n` : toYamlDocument(vwc));
  },
});
