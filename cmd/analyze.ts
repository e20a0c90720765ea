/**
 * @module
 * `kube-devops analyze`: score workloads for DevOps best practice — live from
 * the cluster (paginated), or offline from files (`-f`, repeatable; `-` is
 * stdin). Output as the reference's summary table, JSON, YAML, SARIF or JUnit;
 * `--fail-on` and `--min-score` make it a CI gate (exit 3 / 4).
 */
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { analyzeObjects, type AnalysisReport, type AnalyzeOptions } from "../lib/analysis/build-report.ts";
import { describeDuplicates } from "../lib/analysis/dedupe-objects.ts";
import { formatObjectNote } from "../lib/analysis/collect-units.ts";
import { describeEmptyScope, describeNothingScored, type EmptyLiveScope, type EmptyScopeVerdict } from "../lib/analysis/describe-empty-scope.ts";
import { describeFilteredToNothing, describeFilters, describeGates, enforceGates, filteredToNothing, OUTPUT_FORMATS, parseFailOn, parseMinScore, renderReport, type OutputFormat } from "../lib/analysis/render-report.ts";
import { findPolicyInObjects, parsePolicyRef, selectChecks, type NamedPolicy } from "../lib/analysis/select-checks.ts";
import { explainEmptyLiveScope } from "../lib/cli/empty-live-scope.ts";
import { defineExemptionsArg } from "../lib/cli/exemptions-flag.ts";
import { listLivePods, listOwners, type LiveScope } from "../lib/cli/live-objects.ts";
import { describeRepeats, expandInputPaths, policiesFromFile, readInput } from "../lib/cli/read-inputs.ts";
import { collectFlagValues, collectListFlag } from "../lib/cli/repeated-flag.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { isErrorCode, KubeDevopsError, usageError } from "../lib/errors.ts";
import { isNotFound } from "../lib/kube/api-errors.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { createKubeClient } from "../lib/kube/client.ts";
import { loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { CLI_RATE_LIMIT, type RateLimit } from "../lib/kube/rate-limiter.ts";
import { parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { DEVOPS_POLICIES } from "../lib/kube/resources.ts";
import { parseLabelSelector } from "../lib/label-selector.ts";
import { parseManifests, sourceLocation, STDIN_NAME, type NonObjectDocument, type SourcedObject } from "../lib/manifests/parse-manifests.ts";
import { parsePolicy } from "../lib/policy/parse-policy.ts";
import type { Severity } from "../lib/policy/schema.ts";
import { parseRfc3339 } from "../lib/rfc3339.ts";

const args = {
  filename: { type: "string", alias: "f", description: "Analyze files offline: a file, a directory (recursive) or - for stdin; repeatable", valueHint: "path" },
  output: { type: "string", alias: "o", default: "table", description: `Output format: ${OUTPUT_FORMATS.join("|")}`, valueHint: "format" },
  namespace: { type: "string", alias: "n", description: "Only this namespace (default: all namespaces)", valueHint: "ns" },
  "all-namespaces": { type: "boolean", alias: "A", description: "All namespaces (the default)" },
  selector: { type: "string", alias: "l", description: "Label selector, e.g. app=web,tier!=cache", valueHint: "selector" },
  "exclude-namespaces": { type: "string", description: "Comma-separated namespaces to leave out; repeatable", valueHint: "ns,ns" },
  bundle: { type: "string", description: "Check with a policy bundle: baseline|restricted|permissive (repeatable; strictest wins)", valueHint: "name" },
  policy: { type: "string", description: "Check with a DevOpsPolicy: <namespace>/<name> (cluster, or the -f input) or a policy file (- for stdin); repeatable", valueHint: "ref" },
  "fail-on": { type: "string", description: "Exit 3 when a violation has this severity or higher: critical|high|medium|low", valueHint: "severity" },
  "min-score": { type: "string", description: "Exit 4 when the cluster score is below this (0-100)", valueHint: "score" },
  ...defineExemptionsArg("score and gate"),
  top: { type: "string", default: "10", description: "How many workloads to list under TOP FIXES", valueHint: "n" },
  now: { type: "string", description: "Evaluate as of this RFC 3339 time with Z or an offset (default: now), e.g. for a snapshot's pending durations", valueHint: "time" },
  ...rateLimitArgs,
} as const;

interface Parsed {
  format: OutputFormat;
  failOn: Severity | undefined;
  minScore: number | undefined;
  top: number;
  now: number;
}

function parseFlags(a: { output: string; "fail-on"?: string | undefined; "min-score"?: string | undefined; top: string; now?: string | undefined }): Parsed {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(a.output)) throw usageError(`Invalid -o "${a.output}": expected one of ${OUTPUT_FORMATS.join(", ")}`);
  const failOn = parseFailOn(a["fail-on"]);
  const minScore = parseMinScore(a["min-score"]);
  const top = integerFlag("--top", a.top, { min: 0, expected: "a non-negative integer" });
  const now = a.now === undefined ? { ms: Date.now() } : parseRfc3339(a.now);
  if ("error" in now) throw usageError(`Invalid --now "${a.now}": ${now.error}`, "e.g. --now 2026-01-01T12:00:00Z or --now 2026-01-01T13:00:00+01:00");
  return { format: a.output as OutputFormat, failOn, minScore, top, now: now.ms };
}

async function readOffline(paths: readonly string[]): Promise<{ objects: SourcedObject[]; notObjects: NonObjectDocument[]; documents: number }> {
  const { files, repeats } = expandInputPaths(paths);
  if (repeats.length > 0) cliRuntime().logger.warn(describeRepeats(repeats));
  if (files.length === 0) throw usageError(`No .yaml, .yml or .json files under ${paths.join(", ")}`);
  const objects: SourcedObject[] = [];
  const notObjects: NonObjectDocument[] = [];
  const stats = { documents: 0 };
  for (const file of files) {
    const { name, text } = await readInput(file);
    for (const o of parseManifests(text, name, notObjects, stats)) objects.push(o);
  }
  return { objects, notObjects, documents: stats.documents };
}

/** The -f inputs as messages name them (stdin as <stdin>). */
function describeInputs(paths: readonly string[]): string {
  return paths.map((p) => (p === "-" ? STDIN_NAME : p)).join(", ");
}

/** How many located notes of one kind are logged (the JSON output holds them all). */
const MAX_NOTES = 10;

/** Logs what the report did not score or honour as written, each note naming object and place. */
function warnNotes(report: AnalysisReport): void {
  const { logger } = cliRuntime();
  for (const n of report.exemptionWarnings.slice(0, MAX_NOTES)) logger.warn(formatObjectNote(n));
  if (report.exemptionWarnings.length > MAX_NOTES) logger.warn(`… and ${report.exemptionWarnings.length - MAX_NOTES} more exemption annotations not honoured as written`);
  for (const n of report.incomplete.slice(0, MAX_NOTES)) logger.warn(`not scored (no containers): ${formatObjectNote(n)}`);
  if (report.incomplete.length > MAX_NOTES) logger.warn(`… and ${report.incomplete.length - MAX_NOTES} more pods or controllers without containers (-o json lists them)`);
}

/** A --policy value that reads as a file name (`team.yaml`, `./p`, `/etc/p`, `a/b/c`), not as `<namespace>/<name>`. */
function looksLikePath(ref: string): boolean {
  return /\.(ya?ml|json)$/i.test(ref) || /^(\.{1,2}\/|\/|~)/.test(ref) || ref.split("/").length > 2;
}

/**
 * Looks `ref` up as a policy name; when that fails and `ref` reads as a file name, says the file
 * does not exist (the lookup alone said "DevOpsPolicy default/nope.yaml not found"). A name with
 * dots is a valid policy name, so the lookup still comes first.
 */
async function lookUpPolicy(ref: string, lookUp: () => NamedPolicy | Promise<NamedPolicy>): Promise<NamedPolicy> {
  try {
    return await lookUp();
  } catch (err) {
    // Not found in the cluster (404), among the -f input, or not a <namespace>/<name> at all.
    const missing = isNotFound(err) || isErrorCode(err, "USAGE") || (isErrorCode(err, "INPUT") && err.message.endsWith("not found in the input files"));
    if (!missing || !looksLikePath(ref)) throw err;
    throw new KubeDevopsError("INPUT", `--policy ${ref}: no such file, and no DevOpsPolicy by that name`, {
      hint: "--policy takes a file of DevOpsPolicies (- for stdin) or <namespace>/<name> of a DevOpsPolicy in the cluster (with -f: in the input files)",
    });
  }
}

function progress(count: number): void {
  process.stderr.write(`\rListing pods... ${count}`);
}

/** A live report, and when the server listed no pods, why (a typo'd -n, an -l that matched none, an empty namespace). */
interface LiveAnalysis {
  report: AnalysisReport;
  empty: EmptyLiveScope | undefined;
}

async function analyzeLive(refs: readonly string[], bundles: readonly string[], scope: LiveScope, rateLimit: RateLimit, base: Omit<AnalyzeOptions, "checkSet" | "source" | "scoreTemplates">): Promise<LiveAnalysis> {
  const { globals, env, logger } = cliRuntime();
  const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, context: globals.context, env });
  const client = createKubeClient(kc, { rateLimit });
  const policies: NamedPolicy[] = [];
  for (const ref of refs) {
    if (ref === "-" || existsSync(ref)) policies.push(...(await policiesFromFile(ref))); // - is stdin, as for multi-cluster
    else {
      policies.push(
        await lookUpPolicy(ref, async () => {
          const { namespace, name } = parsePolicyRef(ref, scope.namespace ?? "default");
          const object = await client.get(DEVOPS_POLICIES, name, { namespace });
          return { label: `${namespace}/${name}`, policy: parsePolicy(object, `${namespace}/${name}`) };
        }),
      );
    }
  }
  const selection = selectChecks(bundles, policies);
  const tty = process.stderr.isTTY === true;
  const pods = await listLivePods(client, scope, tty ? progress : undefined);
  if (tty) process.stderr.write("\r\u001B[K");
  // No pods, no controllers: the server lists an empty set for a missing namespace too, so ask it why.
  const empty = pods.length === 0 ? await explainEmptyLiveScope(client, scope) : undefined;
  const owners = await listOwners(client, pods, scope, logger);
  const objects: SourcedObject[] = [];
  for (const o of pods) objects.push({ object: o, file: undefined, line: undefined });
  for (const o of owners) objects.push({ object: o, file: undefined, line: undefined });
  return { report: analyzeObjects(objects, { ...base, ...selection, scoreTemplates: false }), empty };
}

/** The report of the -f inputs, and how many of their documents were not empty (0: nothing was given at all). */
async function analyzeOffline(paths: readonly string[], refs: readonly string[], bundles: readonly string[], base: Omit<AnalyzeOptions, "checkSet" | "source" | "scoreTemplates">): Promise<{ report: AnalysisReport; documents: number }> {
  const { objects, notObjects, documents } = await readOffline(paths);
  const { logger } = cliRuntime();
  for (const d of notObjects.slice(0, MAX_NOTES)) logger.warn(`${sourceLocation(d)}: ignored: the document is ${d.value}, not a Kubernetes object`);
  const policies: NamedPolicy[] = [];
  for (const ref of refs) {
    if (ref === "-" || existsSync(ref)) policies.push(...(await policiesFromFile(ref))); // - is stdin, as for multi-cluster
    else policies.push(await lookUpPolicy(ref, () => findPolicyInObjects(ref, objects)));
  }
  const report = analyzeObjects(objects, { ...base, ...selectChecks(bundles, policies), scoreTemplates: true, checkShape: true, nonObjectDocuments: notObjects.length });
  if (report.duplicates.length > 0) logger.warn(describeDuplicates(report.duplicates));
  // an input without objects is said by describeNothingScored: a warning, or a gate's refusal
  return { report, documents };
}

export default defineCommand({
  meta: { name: "analyze", description: "Score workloads for DevOps best practice, live or offline (-f), with CI exit codes" },
  args,
  async run({ args: a, rawArgs }) {
    const flags = parseFlags(a);
    const files = collectFlagValues(rawArgs, ["-f", "--filename"]);
    const bundles = collectFlagValues(rawArgs, ["--bundle"]);
    const refs = collectFlagValues(rawArgs, ["--policy"]);
    const excluded = collectListFlag(rawArgs, ["--exclude-namespaces"]);
    if (a.namespace && a["all-namespaces"]) throw usageError("-n and -A cannot be combined");
    if (a.namespace === "") throw usageError(`-n "" names no namespace: give one, or -A for all`);
    if (refs.includes("-") && files.includes("-")) throw usageError("stdin can feed -f - or --policy -, not both");
    const selector = a.selector ? parseLabelSelector(a.selector) : undefined;
    const base = {
      now: flags.now,
      exemptions: a.exemptions !== false,
      namespaces: a.namespace ? new Set([a.namespace]) : undefined,
      excludeNamespaces: excluded.length ? new Set(excluded) : undefined,
      selector,
    };
    const { report, empty, documents } = files.length > 0
      ? { ...(await analyzeOffline(files, refs, bundles, base)), empty: undefined }
      : { ...(await analyzeLive(refs, bundles, { namespace: a.namespace, labelSelector: a.selector }, parseRateLimit(a, CLI_RATE_LIMIT), base)), documents: undefined };
    const filters = describeFilters({ namespace: a.namespace, excludeNamespaces: excluded, selector: a.selector });
    const anyFilter = Boolean(a.namespace || a.selector) || excluded.length > 0;
    const verdict: EmptyScopeVerdict | undefined = empty
      ? describeEmptyScope(empty, anyFilter ? filters : "")
      : filteredToNothing(report) ? { refuse: true, message: describeFilteredToNothing(report, filters) } : describeNothingScored(report, anyFilter ? filters : "", files.length > 0 ? describeInputs(files) : undefined, { wholeCluster: files.length === 0 && !anyFilter, noDocuments: documents === 0 });
    const gated = describeGates(flags) !== "";
    warnNotes(report);
    // A refused gate says it in its error; anything else about an empty selection is a warning.
    if (verdict && !(verdict.refuse && gated)) cliRuntime().logger.warn(verdict.message);
    // A gate that judged nothing prints no report: a CI log must not show "100/100 Healthy" beside exit 2.
    if (!(verdict?.refuse && gated)) cliRuntime().out(renderReport(report, flags.format, { top: flags.top, cwd: process.cwd() }));
    enforceGates(report, {
      failOn: flags.failOn,
      minScore: flags.minScore,
      filters,
      judgedNothing: verdict?.refuse ? verdict.message : undefined,
      hint: empty ? "check -n and -l against the cluster: kubectl get namespaces; kubectl get pods -n <ns> --show-labels" : verdict?.hint,
    });
  },
});
