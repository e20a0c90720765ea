/**
 * @module
 * `kube-devops deploy generate-all|generate-rbac|generate-deployments`: the manifests that run
 * kube-devops in a cluster, printed as YAML for `kubectl apply -f -` (logs never go to stdout).
 */
import { defineCommand } from "citty";
import { parseDeployArgs, rbacArgs, webhookConfigArgs, workloadArgs } from "../gen/deploy-args.ts";
import { collectListFlag } from "../lib/cli/repeated-flag.ts";
import { renderDeployManifests } from "../gen/manifests.ts";
import { componentName } from "../gen/options.ts";
import { renderRbac } from "../gen/rbac.ts";
import { renderWorkloads } from "../gen/workloads.ts";
import { toYaml } from "../gen/to-yaml.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { WebhookTlsFiles } from "../gen/webhook-tls-secret.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { usageError } from "../lib/errors.ts";
import { CERT_FILES, readTextFile, ROTATION_FILES } from "../lib/webhook/cert-files.ts";
import { checkServingFiles } from "../lib/webhook/check-serving-files.ts";
import { WEBHOOK_TIMEOUT_SECONDS } from "../lib/webhook/constants.ts";
import { VERSION } from "../lib/version.ts";

/**
 * Reads the certificate set `webhook cert-generate --output-dir <dir>` wrote and checks that it
 * can serve the webhook Service of `namespace` now (lib/webhook/check-serving-files.ts). The CA
 * side is `ca-bundle.crt` where there is one: during a CA rotation it trusts the old and the new
 * CA, which `ca.crt` alone does not (decision 0013).
 */
function readWebhookTls(dir: string, namespace: string): WebhookTlsFiles {
  const bundle = join(dir, ROTATION_FILES.caBundle);
  const names = { caCert: existsSync(bundle) ? bundle : join(dir, CERT_FILES.caCert), tlsCert: join(dir, CERT_FILES.tlsCert), tlsKey: join(dir, CERT_FILES.tlsKey) };
  const files = { caCert: readTextFile(names.caCert), tlsCert: readTextFile(names.tlsCert), tlsKey: readTextFile(names.tlsKey) };
  checkServingFiles(files, names, `${componentName("webhook")}.${namespace}.svc`, new Date());
  return files;
}

const generateAll = defineCommand({
  meta: { name: "generate-all", description: "Print every manifest: CRDs, RBAC, Services, Deployments, PDBs, webhook configuration (and the Namespace with --create-namespace)" },
  args: {
    ...workloadArgs,
    ...webhookConfigArgs,
    "create-namespace": { type: "boolean", default: false, description: "Also print the Namespace object" },
    "tls-dir": { type: "string", description: "Use the certificates `webhook cert-generate` wrote (ca-bundle.crt or ca.crt, tls.crt, tls.key; checked: key, CA, Service name, validity): prints the TLS Secret and the caBundle; the webhook serves them as they are (renew: re-run cert-generate)", valueHint: "dir" },
  },
  run({ args, rawArgs }) {
    const options = parseDeployArgs(args, VERSION, collectListFlag(rawArgs, ["--webhook-exclude-namespaces"]));
    if (options.webhook.timeoutSeconds > WEBHOOK_TIMEOUT_SECONDS) {
      cliRuntime().logger.warn(`--webhook-timeout-seconds ${options.webhook.timeoutSeconds} is above ${WEBHOOK_TIMEOUT_SECONDS}: a slow webhook then delays every pod creation that long`);
    }
    if (args["tls-dir"] && options.webhook.certMode === "cert-manager") throw usageError("--tls-dir and --cert-mode cert-manager exclude each other: cert-manager issues the certificate");
    const webhookTls = args["tls-dir"] ? readWebhookTls(args["tls-dir"], options.namespace) : undefined;
    cliRuntime().out(toYaml(renderDeployManifests(options, { createNamespace: args["create-namespace"], ...(webhookTls ? { webhookTls } : {}) })));
  },
});

const generateRbac = defineCommand({
  meta: { name: "generate-rbac", description: "Print one ServiceAccount and least-privilege roles per component" },
  args: rbacArgs,
  run({ args }) {
    cliRuntime().out(toYaml(renderRbac(parseDeployArgs(args, VERSION))));
  },
});

const generateDeployments = defineCommand({
  meta: { name: "generate-deployments", description: "Print the Deployments and PodDisruptionBudgets" },
  args: workloadArgs,
  run({ args }) {
    cliRuntime().out(toYaml(renderWorkloads(parseDeployArgs(args, VERSION))));
  },
});

export default defineCommand({
  meta: { name: "deploy", description: "Generate the manifests that run kube-devops in a cluster" },
  subCommands: { "generate-all": generateAll, "generate-rbac": generateRbac, "generate-deployments": generateDeployments },
});
