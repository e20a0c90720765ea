/**
 * @module
 * `kube-devops multi-cluster analyze [--contexts a,b] [--bundle baseline]`: scores
 * every cluster of the kubeconfig (or the named contexts) with a bundle, with
 * bounded concurrency and a per-cluster deadline, aggregates the scores
 * pod-weighted and counts findings per severity (the bundle's). A cluster that
 * fails is named by its context; any failure exits 1 unless `--allow-partial`
 * (and it always does when every cluster failed); then `--fail-on` exits 3 as
 * in `analyze`, judged over the clusters that were analyzed.
 */
import { defineCommand } from "citty";
import { stringify } from "yaml";
import { analyzeObjects } from "../lib/analysis/build-report.ts";
import { countBySeverity, parseFailOn, parseMinScore } from "../lib/analysis/render-report.ts";
import { selectChecks } from "../lib/analysis/select-checks.ts";
import { listLivePods, listOwners } from "../lib/cli/live-objects.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { KubeDevopsError, usageError } from "../lib/errors.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { createKubeClient } from "../lib/kube/client.ts";
import { loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { CLI_RATE_LIMIT, type RateLimit } from "../lib/kube/rate-limiter.ts";
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
import { mapBounded, withDeadline } from "../lib/multi-cluster/run-bounded.ts";
import { durationFlag } from "../lib/duration.ts";
import { findBundle } from "../lib/policy/bundles.ts";

const FORMATS = ["table", "json", "yaml"] as const;

async function analyzeContext(context: string, bundle: string, timeoutMs: number, rateLimit: RateLimit): Promise<ClusterResult> {
  const { globals, env, logger } = cliRuntime();
  let server = "";
  try {
    const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, context, env });
    server = kc.getCurrentCluster()?.server ?? "";
    const client = createKubeClient(kc, { rateLimit });
    const selection = selectChecks([bundle], []);
    const report = await withDeadline(timeoutMs, `timed out after ${timeoutMs / 1000}s`, async (signal) => {
      const scope = { namespace: undefined, labelSelector: undefined, signal };
      const pods = await listLivePods(client, scope);
      const owners = await listOwners(client, pods, scope, logger);
      const objects = [...pods, ...owners].map((object) => ({ object, file: undefined, line: undefined }));
      return analyzeObjects(objects, { ...selection, now: Date.now(), exemptions: true, scoreTemplates: false });
    });
    return {
      context,
      server,
      score: report.score,
      pods: report.tally.pods,
      violations: report.tally.violations,
      classification: report.classification,
      bySeverity: countBySeverity(report),
    };
  } catch (err) {
    return { context, server, error: (err as Error).message };
  }
}

export default defineCommand({
  meta: { name: "analyze", description: "Score several clusters (kubeconfig contexts) with a bundle and aggregate" },
  args: {
    contexts: { type: "string", description: "Comma-separated contexts (default: every context of the kubeconfig)", valueHint: "a,b" },
    bundle: { type: "string", default: "baseline", description: "Bundle to check with: baseline|restricted|permissive", valueHint: "name" },
    "per-cluster": { type: "boolean", description: "Print a row per cluster before the aggregate" },
    output: { type: "string", alias: "o", default: "table", description: "Output format: table|json|yaml", valueHint: "format" },
    timeout: { type: "string", default: "60s", description: "Deadline for each cluster", valueHint: "duration" },
    concurrency: { type: "string", default: "4", description: "Clusters analyzed at once", valueHint: "n" },
    "allow-partial": { type: "boolean", description: "Exit 0 when some (not all) clusters fail" },
    "fail-on": { type: "string", description: "Exit 3 when a violation in any analyzed cluster has this severity or higher: critical|high|medium|low", valueHint: "severity" },
    "min-score": { type: "string", description: "Exit 4 when an analyzed cluster scores below this (0-100)", valueHint: "score" },
    ...rateLimitArgs,
  },
  async run({ args }) {
    const { globals, env, out, logger } = cliRuntime();
    if (!(FORMATS as readonly string[]).includes(args.output)) throw usageError(`Invalid --output "${args.output}": expected ${FORMATS.join(", ")}`);
    const concurrency = integerFlag("--concurrency", args.concurrency, { min: 1 });
    const failOn = parseFailOn(args["fail-on"]);
    const minScore = parseMinScore(args["min-score"]);
    const timeoutMs = durationFlag("--timeout", args.timeout, { min: 1000 });
    const rateLimit = parseRateLimit(args, CLI_RATE_LIMIT);
    const found = findBundle(args.bundle);
    if (!found) throw new KubeDevopsError("INPUT", `Unknown bundle '${args.bundle}'. Use 'policy bundle-list' to see available bundles.`);
    const bundle = found.name;
    const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, env });
    const known = kc.getContexts().map((c) => c.name);
    const wanted = args.contexts ? args.contexts.split(",").map((s) => s.trim()).filter(Boolean) : known;
    const unknown = wanted.filter((c) => !known.includes(c));
    if (unknown.length) throw usageError(`Unknown context(s) ${unknown.join(", ")}: the kubeconfig has ${known.join(", ") || "none"}`);
    if (wanted.length === 0) {
      logger.info("No kubeconfig contexts to analyze.");
      return;
    }
    if (args.output === "table") out(`Analyzing ${wanted.length} cluster(s) with '${bundle}' bundle...\n\n`);
    const results = await mapBounded(wanted, concurrency, (context) => analyzeContext(context, bundle, timeoutMs, rateLimit));
    const failed = results.filter((r) => r.error !== undefined);
    for (const f of failed) logger.error(`[ERROR] context ${f.context} (${f.server || "no server"}): ${f.error}`);
    const aggregate = aggregateClusters(results);
    if (args.output === "table") {
      if (args["per-cluster"]) out(renderPerClusterTable(results) + renderSeverityTable(results));
      out(renderSeverityLine(aggregate) + renderAggregateLine(aggregate));
    } else {
      const doc = { bundle, clusters: results, aggregate };
      out(args.output === "json" ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc));
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
