/**
 * @module
 * `kube-devops policy import <file> [--dry-run]`: validates every document first
 * (file:line and field path for each problem; nothing is applied if any is
 * wrong), then server-side applies each DevOpsPolicy with the field manager
 * `kube-devops-cli`. Prints one result per object (created / configured / unchanged, judged on
 * spec, labels and annotations, so a server dry run says what it would change); exits 1 if any
 * failed, or if any still differs from the file afterwards (fields another field manager set,
 * which server-side apply leaves in place), naming the fields.
 */
import { defineCommand } from "citty";
import { readInput } from "../lib/cli/read-inputs.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { KubeDevopsError } from "../lib/errors.ts";
import { isNotFound } from "../lib/kube/api-errors.ts";
import { connect, parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { CLI_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { DEVOPS_POLICIES } from "../lib/kube/resources.ts";
import type { KubeObject } from "../lib/kube/types.ts";
import { diffPolicy, exportPolicy, policyKey, renderDriftLines } from "../lib/policy/gitops.ts";
import { parsePolicyDocuments } from "../lib/policy/parse-policy.ts";

export const FIELD_MANAGER = "kube-devops-cli";

export default defineCommand({
  meta: { name: "import", description: "Validate, then server-side apply the DevOpsPolicies in a YAML file (- for stdin)" },
  args: {
    file: { type: "positional", required: true, description: "YAML file with DevOpsPolicy documents, or - for stdin" },
    "dry-run": { type: "boolean", description: "Ask the API server to validate and report without persisting (server dry run)" },
    namespace: { type: "string", alias: "n", description: "Apply every policy into this namespace instead of the file's", valueHint: "ns" },
    ...rateLimitArgs,
  },
  async run({ args }) {
    const { globals, env, logger, out } = cliRuntime();
    const { text, name } = await readInput(args.file);
    const docs = parsePolicyDocuments(text, name);
    for (const doc of docs) if (!doc.policy) logger.warn(`${name}:${doc.line}: skipping a ${doc.kind ?? "document without kind"} (only DevOpsPolicy documents are imported)`);
    const policies = docs.flatMap((d) => (d.policy ? [exportPolicy(d.policy)] : []));
    if (args.namespace) for (const p of policies) p.metadata.namespace = args.namespace;
    for (const p of policies) delete p.metadata.annotations?.["devops.stochastic.io/exported-from"];
    if (policies.length === 0) {
      logger.warn(`${name}: no DevOpsPolicy documents to import`);
      return;
    }
    const { client } = connect({ kubeconfig: globals.kubeconfig, context: globals.context, env, rateLimit: parseRateLimit(args, CLI_RATE_LIMIT) });
    const dryRun = args["dry-run"] === true;
    const suffix = dryRun ? " (server dry run)" : "";
    let failed = 0;
    let drifting = 0;
    for (const policy of policies) {
      const key = policyKey(policy);
      try {
        const before = await client.get(DEVOPS_POLICIES, policy.metadata.name ?? "", { namespace: policy.metadata.namespace }).catch((err: unknown) => {
          if (isNotFound(err)) return undefined;
          throw err;
        });
        const after = await client.apply(DEVOPS_POLICIES, policy as KubeObject, { fieldManager: FIELD_MANAGER, force: true, dryRun });
        // Not by resourceVersion: a dry run never moves it, and an ownership-only change does.
        const verb = !before ? "created" : diffPolicy(after, before).length === 0 ? "unchanged" : "configured";
        out(`devopspolicy ${key} ${verb}${suffix}\n`);
        const remaining = diffPolicy(policy, after);
        if (remaining.length > 0) {
          drifting++;
          logger.warn(`devopspolicy ${key} still differs from the file: fields another field manager set stay under server-side apply\n${renderDriftLines(remaining).join("\n")}`);
        }
      } catch (err) {
        failed++;
        logger.error(`devopspolicy ${key} failed: ${(err as Error).message}`);
      }
    }
    if (failed > 0) throw new KubeDevopsError("KUBE", `${failed} of ${policies.length} DevOpsPolicies failed to apply`);
    if (drifting > 0) {
      throw new KubeDevopsError("KUBE", `${drifting} of ${policies.length} DevOpsPolicies still differ from the file after the import${suffix}`, {
        hint: "the fields above were set by another field manager (e.g. kubectl apply); remove them with kubectl edit, or delete the policy and import it again, then `policy diff` is clean",
      });
    }
  },
});
