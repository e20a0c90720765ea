/**
 * @module
 * `kube-devops deploy generate-all|generate-rbac|generate-deployments`: the manifests that run
 * kube-devops in a cluster, printed as YAML for `kubectl apply -f -` (logs never go to stdout).
 * Offline, unless --kubeconfig or --context names a cluster: then generate-all and generate-rbac
 * first refuse (exit 2, nothing printed) to take over an install in another namespace (decision 0035),
 * or to print manifests for a namespace that does not exist (without --create-namespace), which
 * `kubectl apply` would apply only the cluster-scoped half of.
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
import { describeConflicts, installConflictError } from "../lib/install/foreign-install.ts";
import { claimsOf, namespaceState, preflightInstall } from "../lib/install/install-preflight.ts";
import { connect } from "../lib/kube/connect.ts";
import { CLI_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
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

/**
 * With a cluster named on the command line, refuses manifests whose ClusterRoleBindings or webhook
 * configuration would take over an install in another namespace, and manifests for a namespace that
 * does not exist unless they create it: `kubectl apply` would create the CRDs, ClusterRoleBindings
 * and webhook configuration, then fail on every namespaced object. Without a cluster named
 * generating stays offline (CI, GitOps repositories): a KUBECONFIG in the environment alone is not asked.
 */
async function refuseForeignInstall(objects: readonly unknown[], namespace: string, createsNamespace: boolean): Promise<void> {
  const { globals, env, logger } = cliRuntime();
  if (globals.kubeconfig === undefined && globals.context === undefined) return;
  const { client, contextName } = connect({ kubeconfig: globals.kubeconfig, context: globals.context, env, rateLimit: CLI_RATE_LIMIT, retry: { maxAttempts: 1 }, timeoutMs: 10_000 });
  const { conflicts, leftovers, unreadable } = await preflightInstall(client, claimsOf(objects), namespace);
  if (conflicts.length > 0) throw installConflictError(conflicts, namespace);
  if (!createsNamespace) {
    const state = await namespaceState(client, namespace);
    if (state === "absent") {
      const fix = objects.some((o) => (o as { kind?: string })?.kind === "CustomResourceDefinition") ? "add --create-namespace, or create it first" : "create it first";
      throw usageError(
        `namespace "${namespace}" not found in context ${contextName}: kubectl apply would create only the cluster-scoped objects (ClusterRoleBindings, webhook configuration, ...) and fail on every namespaced one`,
        `${fix}: kubectl create namespace ${namespace}`,
      );
    }
    if (state === "unknown") logger.warn(`cannot tell whether namespace ${namespace} exists in context ${contextName} (not allowed to get namespaces): kubectl apply fails on every namespaced object if it does not`);
  }
  if (leftovers.length > 0) {
    const gone = [...new Set(leftovers.map((c) => c.namespace))].join(", ");
    logger.warn(`taking over ${describeConflicts(leftovers)}: left over from an install in namespace ${gone}, which no longer exists`);
  }
  if (unreadable.length > 0) logger.warn(`cannot tell whether kube-devops is installed in another namespace of context ${contextName}: not allowed to get ${unreadable.join(", ")}`);
}

const generateAll = defineCommand({
  meta: { name: "generate-all", description: "Print every manifest: CRDs, RBAC, Services, Deployments, PDBs, webhook configuration (and the Namespace with --create-namespace)" },
  args: {
    ...workloadArgs,
    ...webhookConfigArgs,
    "create-namespace": { type: "boolean", default: false, description: "Also print the Namespace object" },
    "tls-dir": { type: "string", description: "Use the certificates `webhook cert-generate` wrote (ca-bundle.crt or ca.crt, tls.crt, tls.key; checked: key, CA, Service name, validity): prints the TLS Secret and the caBundle; the webhook serves them as they are (renew: re-run cert-generate)", valueHint: "dir" },
  },
  async run({ args, rawArgs }) {
    const options = parseDeployArgs(args, VERSION, collectListFlag(rawArgs, ["--webhook-exclude-namespaces"]));
    if (options.webhook.timeoutSeconds > WEBHOOK_TIMEOUT_SECONDS) {
      cliRuntime().logger.warn(`--webhook-timeout-seconds ${options.webhook.timeoutSeconds} is above ${WEBHOOK_TIMEOUT_SECONDS}: a slow webhook then delays every pod creation that long`);
    }
    if (args["tls-dir"] && options.webhook.certMode === "cert-manager") throw usageError("--tls-dir and --cert-mode cert-manager exclude each other: cert-manager issues the certificate");
    const webhookTls = args["tls-dir"] ? readWebhookTls(args["tls-dir"], options.namespace) : undefined;
    const manifests = renderDeployManifests(options, { createNamespace: args["create-namespace"], ...(webhookTls ? { webhookTls } : {}) });
    await refuseForeignInstall(manifests, options.namespace, args["create-namespace"]);
    cliRuntime().out(toYaml(manifests));
  },
});

const generateRbac = defineCommand({
  meta: { name: "generate-rbac", description: "Print one ServiceAccount and least-privilege roles per component" },
  args: rbacArgs,
  async run({ args }) {
    const options = parseDeployArgs(args, VERSION);
    const rbac = renderRbac(options);
    await refuseForeignInstall(rbac, options.namespace, false);
    cliRuntime().out(toYaml(rbac));
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
