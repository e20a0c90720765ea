/**
 * @module
 * `kube-devops multi-cluster analyze [--contexts a,b] [--bundle baseline] [--policy <file>]`:
 * scores every cluster of the kubeconfig (or the named contexts) with the same checks —
 * bundles and DevOpsPolicy files, strictest wins, `baseline` when neither is given — with
 * bounded concurrency and a per-cluster deadline, aggregates the scores pod-weighted and
 * counts findings per severity (the checks' own). A cluster that
 * fails is named by its context; any failure exits 1 unless `--allow-partial`
 * (and it always does when every cluster failed); then `--fail-on` exits 3 as
 * in `analyze`, judged over the clusters that were analyzed. A cluster reached through several
 * contexts (same server and CA, or the same kube-system namespace uid) counts once.
 */
import { readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { analyzeObjects } from "../lib/analysis/build-report.ts";
import { countBySeverity, parseFailOn, parseMinScore } from "../lib/analysis/render-report.ts";
import { selectChecks, type CheckSelection, type NamedPolicy } from "../lib/analysis/select-checks.ts";
import { defineExemptionsArg } from "../lib/cli/exemptions-flag.ts";
import { policiesFromFile } from "../lib/cli/read-inputs.ts";
import { collectFlagValues } from "../lib/cli/repeated-flag.ts";
import { listLivePods, listOwners } from "../lib/cli/live-objects.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { KubeDevopsError, usageError } from "../lib/errors.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { createKubeClient, type KubeClient } from "../lib/kube/client.ts";
import { loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import type { LoadedKubeconfig } from "../lib/kube/loaded-kubeconfig.ts";
import { CLI_RATE_LIMIT, type RateLimit } from "../lib/kube/rate-limiter.ts";
import { NAMESPACES } from "../lib/kube/resources.ts";
import { parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import {
  aggregateClusters,
  enforceClusterGates,
  renderAggregateLine,
  renderPerClusterTable,
  renderSeverityLine,
  renderSeverityTable,
  type ClusterResult,
} from "../lib/multi-cluster/aggregate.ts";
import { dropSameClusterById, IDENTITY_NAMESPACE, type IdentifiedCluster } from "../lib/multi-cluster/cluster-identity.ts";
import { mapBounded, withDeadline } from "../lib/multi-cluster/run-bounded.ts";
import { parseContextsFlag, selectClusters, type ContextTarget } from "../lib/multi-cluster/select-contexts.ts";
import { findBundle } from "../lib/policy/bundles.ts";
import { durationFlag } from "../lib/duration.ts";
import { stringifyYaml } from "../lib/yaml-stringify.ts";

const FORMATS = ["table", "json", "yaml"] as const;

interface ClusterChecks {
  selection: CheckSelection;
  exemptions: boolean;
  timeoutMs: number;
  rateLimit: RateLimit;
}

/** The cluster a context points at: its server and CA text (a CA file that cannot be read is keyed by its path). */
function contextTarget(kc: LoadedKubeconfig, context: string): ContextTarget {
  const name = kc.getContextObject(context)?.cluster;
  const cluster = name === undefined ? undefined : kc.getCluster(name);
  let ca = "";
  if (cluster?.caData) ca = Buffer.from(cluster.caData, "base64").toString("utf8");
  else if (cluster?.caFile) {
    try {
      ca = readFileSync(cluster.caFile, "utf8");
    } catch {
      ca = `file:${cluster.caFile}`;
    }
  }
  return { context, server: cluster?.server ?? "", ca };
}

/** The cluster's identity (cluster-identity.ts), or undefined when this context may not read it. */
async function readClusterUid(client: KubeClient, signal: AbortSignal, context: string): Promise<string | undefined> {
  try {
    return (await client.get(NAMESPACES, IDENTITY_NAMESPACE, { signal })).metadata?.uid;
  } catch (err) {
    cliRuntime().logger.debug(`context ${context}: cannot read namespace ${IDENTITY_NAMESPACE} (${(err as Error).message}); two endpoints of this cluster would count twice`);
    return undefined;
  }
}

async function analyzeContext(context: string, { selection, exemptions, timeoutMs, rateLimit }: ClusterChecks): Promise<IdentifiedCluster> {
  const { globals, env, logger } = cliRuntime();
  let server = "";
  try {
    const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, context, env });
    server = kc.getCurrentCluster()?.server ?? "";
    const client = createKubeClient(kc, { rateLimit });
    const { report, uid, podUids } = await withDeadline(timeoutMs, `timed out after ${timeoutMs / 1000}s`, async (signal) => {
      const scope = { namespace: undefined, labelSelector: undefined, signal };
      const uidRead = readClusterUid(client, signal, context);
      const pods = await listLivePods(client, scope);
      const owners = await listOwners(client, pods, scope, logger);
      const objects = [...pods, ...owners].map((object) => ({ object, file: undefined, line: undefined }));
      const podUids = new Set(pods.flatMap((p) => (typeof p.metadata?.uid === "string" ? [p.metadata.uid] : [])));
      return { report: analyzeObjects(objects, { ...selection, now: Date.now(), exemptions, scoreTemplates: false }), uid: await uidRead, podUids };
    });
    const result: ClusterResult = {
      context,
      server,
      score: report.score,
      pods: report.tally.pods,
      violations: report.tally.violations,
      classification: report.classification,
      bySeverity: countBySeverity(report),
    };
    return { result, uid, podUids };
  } catch (err) {
    return { result: { context, server, error: (err as Error).message }, uid: undefined };
  }
}

export default defineCommand({
  meta: { name: "analyze", description: "Score several clusters (kubeconfig contexts) with the same bundle or policies and aggregate" },
  args: {
    contexts: { type: "string", description: "Comma-separated contexts (default: every context of the kubeconfig); a cluster reached by several contexts (same server and CA, or same kube-system namespace uid) counts once", valueHint: "a,b" },
    bundle: { type: "string", description: "Check with a bundle: baseline|restricted|permissive (repeatable; strictest wins; default baseline unless --policy is given)", valueHint: "name" },
    policy: { type: "string", description: "Check with the DevOpsPolicies of a file, in every cluster (repeatable; with --bundle, strictest wins)", valueHint: "file" },
    "per-cluster": { type: "boolean", description: "Print a row per cluster before the aggregate" },
    output: { type: "string", alias: "o", default: "table", description: "Output format: table|json|yaml", valueHint: "format" },
    timeout: { type: "string", default: "60s", description: "Deadline for each cluster", valueHint: "duration" },
    concurrency: { type: "string", default: "4", description: "Clusters analyzed at once", valueHint: "n" },
    "allow-partial": { type: "boolean", description: "Exit 0 when some (not all) clusters fail" },
    "fail-on": { type: "string", description: "Exit 3 when a violation in any analyzed cluster has this severity or higher: critical|high|medium|low", valueHint: "severity" },
    "min-score": { type: "string", description: "Exit 4 when an analyzed cluster scores below this (0-100)", valueHint: "score" },
    ...defineExemptionsArg("score and gate"),
    ...rateLimitArgs,
  },
  async run({ args, rawArgs }) {
    const { globals, env, out, logger } = cliRuntime();
    // --context picks one context for single-cluster commands; here it was ignored and every context analyzed
    if (globals.context !== undefined) throw usageError(`--context ${globals.context} does not apply to multi-cluster analyze, which analyzes every context of the kubeconfig`, `to analyze only that one: multi-cluster analyze --contexts ${globals.context}`);
    if (!(FORMATS as readonly string[]).includes(args.output)) throw usageError(`Invalid --output "${args.output}": expected ${FORMATS.join(", ")}`);
    const concurrency = integerFlag("--concurrency", args.concurrency, { min: 1 });
    const failOn = parseFailOn(args["fail-on"]);
    const minScore = parseMinScore(args["min-score"]);
    const timeoutMs = durationFlag("--timeout", args.timeout, { min: 1000 });
    const rateLimit = parseRateLimit(args, CLI_RATE_LIMIT);
    const files = collectFlagValues(rawArgs, ["--policy"]);
    const policies: NamedPolicy[] = [];
    for (const file of files) policies.push(...(await policiesFromFile(file)));
    const given = collectFlagValues(rawArgs, ["--bundle"]);
    // the reference's message; a usage error (exit 2) like every other unknown bundle name (decision 0031)
    for (const name of given) if (!findBundle(name)) throw usageError(`Unknown bundle '${name}'. Use 'policy bundle-list' to see available bundles.`);
    const selection = selectChecks(given.length === 0 && files.length === 0 ? ["baseline"] : given, policies);
    // The reference's JSON names its one bundle; kept whenever the checks are exactly one bundle.
    const bundle = policies.length === 0 && selection.bundles.length === 1 ? selection.bundles[0] : undefined;
    const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, env, requireCurrentContext: false });
    const known = kc.getContexts().map((c) => c.name);
    const named = parseContextsFlag(args.contexts) ?? known;
    const unknown = named.filter((c) => !known.includes(c));
    if (unknown.length) throw usageError(`Unknown context(s) ${unknown.join(", ")}: the kubeconfig has ${known.join(", ") || "none"}`);
    const { contexts: wanted, repeated, sameCluster } = selectClusters(named.map((context) => contextTarget(kc, context)));
    if (repeated.length) logger.warn(`--contexts names ${repeated.join(", ")} more than once; each context is analyzed once`);
    for (const s of sameCluster) {
      logger.warn(`contexts ${s.kept} and ${s.skipped} point at the same cluster (${s.server}, same CA); it is counted once, through ${s.kept}`);
    }
    if (wanted.length === 0) {
      logger.info("No kubeconfig contexts to analyze.");
      return;
    }
    if (args.output === "table") out(`Analyzing ${wanted.length} cluster(s) with ${bundle ? `'${bundle}' bundle` : selection.source}...\n\n`);
    const checks: ClusterChecks = { selection, exemptions: args.exemptions !== false, timeoutMs, rateLimit };
    const identified = await mapBounded(wanted, concurrency, (context) => analyzeContext(context, checks));
    // a second endpoint of an analyzed cluster (another URL or CA, same kube-system uid) counts once too
    const { results, sameCluster: sameById, apart } = dropSameClusterById(identified);
    for (const a of apart) {
      logger.warn(`contexts ${a.other} and ${a.context} share namespace ${IDENTITY_NAMESPACE} uid ${a.uid} but not their pods (a cluster restored or cloned from the other's etcd?); both are counted`);
    }
    for (const s of sameById) {
      logger.warn(`contexts ${s.kept} and ${s.skipped} reach the same cluster (namespace ${IDENTITY_NAMESPACE} uid ${s.uid}, also through ${s.server}); it is counted once, through ${s.kept}`);
    }
    const failed = results.filter((r) => r.error !== undefined);
    for (const f of failed) logger.error(`context ${f.context} (${f.server || "no server"}): ${f.error}`);
    const aggregate = aggregateClusters(results);
    if (args.output === "table") {
      if (args["per-cluster"]) out(renderPerClusterTable(results) + renderSeverityTable(results));
      out(renderSeverityLine(aggregate) + renderAggregateLine(aggregate));
    } else {
      // a context left out as a second way into an analyzed cluster is named in the document too:
      // a fleet report read later, without stderr, would otherwise look one cluster short
      const skipped = [...sameCluster, ...sameById].map((s) => ({ context: s.skipped, sameClusterAs: s.kept, server: s.server }));
      const doc = { ...(bundle ? { bundle } : {}), checks: selection.source, clusters: results, ...(skipped.length ? { skippedContexts: skipped } : {}), aggregate };
      out(args.output === "json" ? `${JSON.stringify(doc, null, 2)}\n` : stringifyYaml(doc));
    }
    if (failed.length === results.length) throw new KubeDevopsError("UNREACHABLE", `No clusters could be analyzed (${failed.map((f) => f.context).join(", ")})`);
    if (failed.length > 0 && !args["allow-partial"]) {
      // An incomplete set cannot pass a gate: unreachable wins over --fail-on unless the user accepts a partial set.
      const gates = [failOn ? "--fail-on" : "", minScore !== undefined ? "--min-score" : ""].filter(Boolean).join(" and ");
      const hint = `Pass --allow-partial to accept a partial aggregate${gates ? ` and judge ${gates} on the clusters that answered` : ""}`;
      throw new KubeDevopsError("UNREACHABLE", `${failed.length} of ${results.length} cluster(s) failed: ${failed.map((f) => f.context).join(", ")}`, { hint });
    }
    enforceClusterGates(results, aggregate, { failOn, minScore });
  },
});
