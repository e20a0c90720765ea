/**
 * @module
 * `kube-devops policy export -n <ns> | -A`: the cluster's DevOpsPolicies as clean
 * YAML (no server-set fields, sorted, stable key order) for a Git repository.
 * With none to export, stdout stays empty and a note goes to stderr.
 */
import { lookupNamespace } from "../lib/cli/lookup-namespace.ts";
import { defineCommand } from "citty";
import { toYaml } from "../gen/to-yaml.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { usageError } from "../lib/errors.ts";
import { connect, parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { CLI_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { DEVOPS_POLICIES } from "../lib/kube/resources.ts";
import { exportPolicy, sortPolicies, type PolicyLike } from "../lib/policy/gitops.ts";

export default defineCommand({
  meta: { name: "export", description: "Print the cluster's DevOpsPolicies as clean YAML (for GitOps)" },
  args: {
    namespace: { type: "string", alias: "n", description: "Namespace to export (default: the context's namespace)", valueHint: "ns" },
    "all-namespaces": { type: "boolean", alias: "A", description: "Export from every namespace" },
    stamp: { type: "boolean", description: `Add the ${"devops.stochastic.io/exported-at"} annotation (off: byte-stable output)` },
    ...rateLimitArgs,
  },
  async run({ args }) {
    const { globals, env, logger, out } = cliRuntime();
    if (args["all-namespaces"] && args.namespace) throw usageError("Use either --namespace or --all-namespaces, not both");
    const { client, namespace: contextNamespace } = connect({ kubeconfig: globals.kubeconfig, context: globals.context, env, rateLimit: parseRateLimit(args, CLI_RATE_LIMIT) });
    const namespace = args["all-namespaces"] ? undefined : (args.namespace ?? contextNamespace);
    const { items } = await client.listAll<PolicyLike>(DEVOPS_POLICIES, { namespace });
    if (items.length === 0) {
      // as kubectl and `list pods`: nothing found is not an error, but a -n that names no namespace is said on stderr
      if (namespace && args.namespace && (await lookupNamespace(client, namespace)).kind === "missing") logger.warn(`No DevOpsPolicies found in ${namespace} namespace: namespace "${namespace}" not found`);
      else logger.info(namespace ? `No DevOpsPolicies found in namespace '${namespace}'` : "No DevOpsPolicies found in any namespace");
      return;
    }
    const exportedAt = args.stamp ? new Date().toISOString() : undefined;
    const docs = sortPolicies(items).map((p) => exportPolicy(p, exportedAt ? { exportedAt } : {}));
    out(toYaml(docs));
  },
});
