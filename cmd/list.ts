/**
 * @module
 * `kube-devops list pods`: every pod (paginated), as the reference's table,
 * `-o wide`, or `-o json|yaml` (a v1 List that `analyze -f` reads back).
 * `-n` narrows to one namespace; the default (and `-A`) is all namespaces. A `-n` namespace that
 * does not exist lists nothing and warns on stderr, exit 0, as `kubectl get pods -n` does.
 */
import { defineCommand } from "citty";
import { listLivePods } from "../lib/cli/live-objects.ts";
import { lookupNamespace } from "../lib/cli/lookup-namespace.ts";
import { renderPodList, renderPodTable, renderPodTableWide } from "../lib/cli/render-pod-list.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { KubeDevopsError, usageError } from "../lib/errors.ts";
import { createKubeClient } from "../lib/kube/client.ts";
import { loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { CLI_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";

const FORMATS = ["table", "wide", "json", "yaml"] as const;

export default defineCommand({
  meta: { name: "list", description: "List cluster resources (pods)" },
  args: {
    resource: { type: "positional", required: true, description: "The resource to list: pods" },
    namespace: { type: "string", alias: "n", description: "Only this namespace (default: all namespaces)", valueHint: "ns" },
    "all-namespaces": { type: "boolean", alias: "A", description: "All namespaces (the default)" },
    selector: { type: "string", alias: "l", description: "Label selector", valueHint: "selector" },
    output: { type: "string", alias: "o", default: "table", description: "table|wide|json|yaml", valueHint: "format" },
    ...rateLimitArgs,
  },
  async run({ args }) {
    if (args.resource !== "pods") throw new KubeDevopsError("USAGE", `Unsupported resource '${args.resource}'. Supported: pods`);
    if (!(FORMATS as readonly string[]).includes(args.output)) throw usageError(`Invalid -o "${args.output}": expected one of ${FORMATS.join(", ")}`);
    if (args.namespace && args["all-namespaces"]) throw usageError("-n and -A cannot be combined");
    const { globals, env, out, logger } = cliRuntime();
    const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, context: globals.context, env });
    const client = createKubeClient(kc, { rateLimit: parseRateLimit(args, CLI_RATE_LIMIT) });
    const pods = await listLivePods(client, { namespace: args.namespace, labelSelector: args.selector });
    // As kubectl: a read that finds nothing is not an error, but say why on stderr when -n names no namespace.
    if (pods.length === 0 && args.namespace && (await lookupNamespace(client, args.namespace)).kind === "missing") {
      logger.warn(`No resources found in ${args.namespace} namespace: namespace "${args.namespace}" not found`);
    }
    const format = args.output as (typeof FORMATS)[number];
    if (format === "table") out(renderPodTable(pods));
    else if (format === "wide") out(renderPodTableWide(pods, Date.now()));
    else out(renderPodList(pods, format));
  },
});
