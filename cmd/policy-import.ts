/**
 * @module
 * `kube-devops policy import <file> [--dry-run]`: validates every document first
 * (file:line and field path for each problem; two documents with one namespace/name
 * target are refused), asks the API server for a dry run of every policy, and only
 * when all of them pass server-side applies each with the field manager
 * `kube-devops-cli` (strict field validation, as kubectl: a field an outdated CRD does not know
 * fails the dry run instead of being dropped). A namespace the dry run says does not exist is named
 * once, at the file:line of its first policy, with the fix: import creates no Namespace, even one
 * the file holds (it imports policies only). Prints one result per object (created / configured / unchanged,
 * judged on spec, labels and annotations); exits 1 if any failed — naming which were
 * applied and which not when a write fails after its dry run passed — or if any still
 * differs from the file afterwards (fields another field manager set), naming the fields.
 */
import { defineCommand } from "citty";
import { readInput } from "../lib/cli/read-inputs.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { KubeDevopsError } from "../lib/errors.ts";
import { isNotFound, missingNamespaceOf } from "../lib/kube/api-errors.ts";
import type { KubeClient } from "../lib/kube/client.ts";
import { connect, parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { CLI_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { DEVOPS_POLICIES } from "../lib/kube/resources.ts";
import type { KubeObject } from "../lib/kube/types.ts";
import { diffPolicy, EXPORTED_FROM_ANNOTATION, policyKey, renderDriftLines, targetPolicies } from "../lib/policy/gitops.ts";
import { describeMissingNamespaces, missingNamespacesHint } from "../lib/policy/missing-namespaces.ts";
import { parsePolicyDocuments } from "../lib/policy/parse-policy.ts";
import type { DevOpsPolicy } from "../lib/policy/schema.ts";

export const FIELD_MANAGER = "kube-devops-cli";

interface Planned {
  policy: DevOpsPolicy;
  key: string;
  /** The object before the import, undefined when it does not exist. */
  before: KubeObject | undefined;
  /** What the server's dry run answered, or why it refused. */
  result: { after: KubeObject } | { error: Error };
}

async function getCurrent(client: KubeClient, policy: DevOpsPolicy): Promise<KubeObject | undefined> {
  return client.get(DEVOPS_POLICIES, policy.metadata.name ?? "", { namespace: policy.metadata.namespace }).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
}

function applyPolicy(client: KubeClient, policy: DevOpsPolicy, dryRun: boolean): Promise<KubeObject> {
  // Strict, as kubectl apply: an outdated CRD would otherwise drop a field (admissionThreshold) silently and
  // the policy would be applied weaker than the file, its dry run passing
  return client.apply(DEVOPS_POLICIES, policy as KubeObject, { fieldManager: FIELD_MANAGER, force: true, dryRun, fieldValidation: "Strict" });
}

/** The server's dry run of every policy, none skipped after a failure, so all problems show at once. */
async function dryRunAll(client: KubeClient, policies: readonly DevOpsPolicy[]): Promise<Planned[]> {
  const planned: Planned[] = [];
  for (const policy of policies) {
    const key = policyKey(policy);
    try {
      const before = await getCurrent(client, policy);
      planned.push({ policy, key, before, result: { after: await applyPolicy(client, policy, true) } });
    } catch (err) {
      planned.push({ policy, key, before: undefined, result: { error: err as Error } });
    }
  }
  return planned;
}

/** Prints the result line; warns and returns true when the object still differs from the file. */
function reportApplied(p: Planned, after: KubeObject, suffix: string): boolean {
  const { logger, out } = cliRuntime();
  // Not by resourceVersion: a dry run never moves it, and an ownership-only change does.
  const verb = !p.before ? "created" : diffPolicy(after, p.before).length === 0 ? "unchanged" : "configured";
  out(`devopspolicy ${p.key} ${verb}${suffix}\n`);
  const remaining = diffPolicy(p.policy, after);
  if (remaining.length === 0) return false;
  logger.warn(`devopspolicy ${p.key} still differs from the file: fields another field manager set stay under server-side apply\n${renderDriftLines(remaining).join("\n")}`);
  return true;
}

/** Applies for real, in file order, stopping at the first failure and naming what was and was not applied. */
async function applyAll(client: KubeClient, planned: readonly Planned[]): Promise<number> {
  let drifting = 0;
  for (const [i, p] of planned.entries()) {
    let after: KubeObject;
    try {
      after = await applyPolicy(client, p.policy, false);
    } catch (err) {
      cliRuntime().logger.error(`devopspolicy ${p.key} failed: ${(err as Error).message}`);
      const applied = planned.slice(0, i).map((q) => q.key);
      const notApplied = planned.slice(i).map((q) => q.key);
      throw new KubeDevopsError("KUBE", `Import stopped at devopspolicy ${p.key}: applied ${applied.length} of ${planned.length}${applied.length ? ` (${applied.join(", ")})` : ""}; not applied: ${notApplied.join(", ")}`, {
        hint: "the server's dry run of every policy had passed, so something changed in between (a namespace, a webhook, a quota); fix it and import the file again — the applied ones come back unchanged",
        cause: err,
      });
    }
    if (reportApplied(p, after, "")) drifting++;
  }
  return drifting;
}

export default defineCommand({
  meta: { name: "import", description: "Validate, then server-side apply the DevOpsPolicies in a YAML file (- for stdin); nothing is applied unless all pass a server dry run" },
  args: {
    file: { type: "positional", required: true, description: "YAML file with DevOpsPolicy documents, or - for stdin" },
    "dry-run": { type: "boolean", description: "Only the API server's dry run: validate and report without persisting" },
    namespace: { type: "string", alias: "n", description: "Apply every policy into this namespace instead of the file's", valueHint: "ns" },
    ...rateLimitArgs,
  },
  async run({ args }) {
    const { globals, env, logger } = cliRuntime();
    const { text, name } = await readInput(args.file);
    const docs = parsePolicyDocuments(text, name);
    for (const doc of docs) if (!doc.policy) logger.warn(`${name}:${doc.line}: skipping a ${doc.kind ?? "document without kind"} (only DevOpsPolicy documents are imported)`);
    // as `kubectl apply` refuses a file with no objects: an empty or truncated file in a pipeline must not pass
    if (!docs.some((d) => d.policy)) throw new KubeDevopsError("INPUT", `${name}: no DevOpsPolicy documents to import`, { hint: "Nothing was applied; the file holds no document of kind DevOpsPolicy (devops.stochastic.io/v1)" });
    const { client, namespace: contextNamespace } = connect({ kubeconfig: globals.kubeconfig, context: globals.context, env, rateLimit: parseRateLimit(args, CLI_RATE_LIMIT) });
    // a policy without a namespace goes where `kubectl apply` would put it: the context's namespace
    const targets = targetPolicies(docs, name, args.namespace, contextNamespace);
    const policies = targets.map((t) => t.policy);
    for (const p of policies) delete p.metadata.annotations?.[EXPORTED_FROM_ANNOTATION];
    const dryRun = args["dry-run"] === true;
    const planned = await dryRunAll(client, policies);
    let drifting = 0;
    let failed = 0;
    // Told once per namespace with the file:line of its first policy, not as the server's bare 404 per policy.
    const missing = new Set<string>();
    let otherFailures = 0;
    for (const p of planned) {
      if ("error" in p.result) {
        failed++;
        const namespace = missingNamespaceOf(p.result.error);
        if (namespace !== undefined) missing.add(namespace);
        else {
          otherFailures++;
          logger.error(`devopspolicy ${p.key} failed the server dry run: ${p.result.error.message}`);
        }
      } else if (dryRun && reportApplied(p, p.result.after, " (server dry run)")) drifting++;
    }
    if (failed > 0) {
      const outdated = planned.some((p) => "error" in p.result && /unknown field/.test(p.result.error.message));
      const summary = `${failed} of ${policies.length} DevOpsPolicies failed the server dry run${dryRun ? "" : "; nothing was applied"}`;
      const crdHint = "a field this kube-devops knows is unknown to the cluster's DevOpsPolicy CRD, which is older: `kube-devops crd install` updates it";
      const namespaces = missing.size > 0 ? describeMissingNamespaces(missing, targets, docs, name) : [];
      // only missing namespaces: the file's problem, told at its lines; mixed with other failures, both are told and both hints given
      if (otherFailures === 0) throw new KubeDevopsError("INPUT", `${summary}:\n${namespaces.join("\n")}`, { hint: missingNamespacesHint(missing) });
      for (const line of namespaces) logger.error(line);
      const hints = [...(missing.size > 0 ? [missingNamespacesHint(missing)] : []), ...(outdated ? [crdHint] : [])];
      throw new KubeDevopsError("KUBE", summary, hints.length > 0 ? { hint: hints.join("; and ") } : {});
    }
    if (!dryRun) drifting = await applyAll(client, planned);
    if (drifting > 0) {
      throw new KubeDevopsError("KUBE", `${drifting} of ${policies.length} DevOpsPolicies still differ from the file after the import${dryRun ? " (server dry run)" : ""}`, {
        hint: "the fields above were set by another field manager (e.g. kubectl apply); remove them with kubectl edit, or delete the policy and import it again, then `policy diff` is clean",
      });
    }
  },
});
