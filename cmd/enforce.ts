/**
 * @module
 * `kube-devops enforce -n <ns> (--policy <name> | --bundle <name>)`: plans the
 * remediation of every Deployment, StatefulSet and DaemonSet in the namespace
 * and prints each plan and its diff; applies it unless `--dry-run=client|server`.
 * The command is the decision to enforce: the policy's rules are enforced even
 * when the policy itself is in audit mode. Exit 1 when a patch failed, else 3 when
 * violations enforcement cannot fix remain (the `!` lines), as a gate would.
 * Exempt checks get nothing added unless `--no-exemptions`. A namespace that does not exist is
 * a usage error (exit 2), as for analyze: a write command that does nothing is a mistake.
 * A patch the running pods will not pick up (OnDelete, paused) is reported as applied to the
 * template only; added probes come with a one-line hint on replacing them later (decision 0010).
 */
import { defineCommand } from "citty";
import { defineExemptionsArg } from "../lib/cli/exemptions-flag.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { KubeDevopsError, usageError } from "../lib/errors.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { lookupNamespace } from "../lib/cli/lookup-namespace.ts";
import { enforceNamespace, type DryRun, type WorkloadResult } from "../lib/enforcement/apply-remediation.ts";
import { connect, parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { CLI_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { DEVOPS_POLICIES } from "../lib/kube/resources.ts";
import { isProtectedNamespace } from "../lib/namespaces.ts";
import { appliedVerdict, describeRolloutHold } from "../lib/enforcement/rollout-hold.ts";
import { requireBundle } from "../lib/policy/bundles.ts";
import { parsePolicy } from "../lib/policy/parse-policy.ts";
import type { DevOpsPolicySpec } from "../lib/policy/schema.ts";

/** The verdict after the key; a patch that running pods will not pick up by themselves says so (OnDelete, paused). */
function verdict(r: WorkloadResult): string {
  const hold = r.plan.rolloutHold;
  if (r.status === "skipped") return `skipped (${r.plan.skipReason})`;
  if (r.status === "failed") return `failed: ${r.error ?? "the workload kept changing"}`;
  if (r.status === "applied") return appliedVerdict(hold);
  if (r.status === "planned" && hold) return `planned; ${describeRolloutHold(hold, "planned")}`;
  return r.status;
}

function renderResult(r: WorkloadResult): string[] {
  const { plan } = r;
  const head = verdict(r);
  const lines = [`${plan.key}: ${head}`];
  if (r.status !== "compliant" && r.status !== "unresolved" && r.status !== "skipped") lines.push(...plan.diff.map((d) => `  ${d}`));
  for (const u of plan.unresolved) lines.push(`  ! ${u.container || "(unnamed)"}: ${u.reason}`);
  return lines;
}

/**
 * Said once when probes were added: they are tcpSocket probes, and a team that later applies its own
 * httpGet/exec/grpc probe with `kubectl apply` gets both handlers merged, which the API server refuses.
 */
const PROBE_HINT = "the probes enforcement adds are tcpSocket probes: a manifest that later sets its own httpGet, exec or grpc probe should also set `tcpSocket: null` in it (client-side kubectl apply), or the probe be replaced first with one kubectl patch --type json (server-side apply, Flux, Argo CD with ServerSideApply), else both handlers merge and the API server refuses the change (decision 0010)";

function addedProbes(results: readonly WorkloadResult[]): boolean {
  return results.some((r) => (r.status === "applied" || r.status === "planned") && r.plan.containers.some((c) => c.probes.length > 0));
}

function parseDryRun(value: string | undefined): DryRun {
  if (value === undefined) return "none";
  if (value === "client" || value === "server" || value === "none") return value;
  throw usageError(`Invalid --dry-run "${value}": expected client, server or none`);
}

export default defineCommand({
  meta: { name: "enforce", description: "Plan and apply remediations (probes, resources) to a namespace's workloads" },
  args: {
    namespace: { type: "string", alias: "n", description: "Namespace whose workloads to remediate (default: the context's namespace)", valueHint: "ns" },
    policy: { type: "string", description: "A DevOpsPolicy in that namespace whose rules to enforce", valueHint: "name" },
    bundle: { type: "string", description: "A built-in bundle whose rules to enforce (baseline, restricted, permissive)", valueHint: "name" },
    "dry-run": { type: "string", description: "client: only print the plan; server: also have the API server validate the patches", valueHint: "client|server" },
    "max-patches": { type: "string", default: "10", description: "Patch at most this many workloads", valueHint: "n" },
    ...defineExemptionsArg("remediate and report unresolved"),
    ...rateLimitArgs,
  },
  async run({ args }) {
    if (!args.policy === !args.bundle) throw usageError("Give exactly one of --policy <name> or --bundle <name>");
    if (args.namespace === "") throw usageError(`-n "" names no namespace`);
    const dryRun = parseDryRun(args["dry-run"]);
    const maxPatches = integerFlag("--max-patches", args["max-patches"], { min: 0 });
    const { globals, env, out, logger } = cliRuntime();
    const { client, namespace: contextNamespace } = connect({ kubeconfig: globals.kubeconfig, context: globals.context, env, rateLimit: parseRateLimit(args, CLI_RATE_LIMIT) });
    const namespace = args.namespace ?? contextNamespace;
    // A typo'd namespace lists no workloads and would "succeed" doing nothing: refuse it, as analyze does (decision 0014).
    const where = args.namespace === undefined ? `the context's namespace "${namespace}"` : `-n ${namespace}`;
    const found = await lookupNamespace(client, namespace);
    if (found.kind === "missing") throw usageError(`${where}: namespace "${namespace}" not found, nothing to enforce`, "kubectl get namespaces");
    let spec: DevOpsPolicySpec;
    let source: string;
    if (args.bundle) {
      spec = requireBundle(args.bundle).spec;
      source = `bundle ${args.bundle.toLowerCase()}`;
    } else {
      const obj = await client.get(DEVOPS_POLICIES, args.policy as string, { namespace });
      spec = parsePolicy(obj, `${namespace}/${args.policy}`).spec;
      source = `policy ${namespace}/${args.policy}`;
    }
    if (spec.enforcementMode !== "enforce") logger.info(`${source} is in audit mode; enforcing its rules because this command asks to`);
    const report = await enforceNamespace(client, {
      namespace,
      spec: { ...spec, enforcementMode: "enforce" },
      maxPatches,
      dryRun,
      reason: `kube-devops enforce (${source})`,
      isProtectedNamespace,
      exemptions: args.exemptions !== false,
    });
    if (found.kind === "unknown" && report.results.length === 0) logger.warn(`no workloads in namespace "${namespace}", which may not exist (cannot get it: ${found.reason})`);
    for (const r of report.results) out(`${renderResult(r).join("\n")}\n`);
    if (addedProbes(report.results)) logger.info(PROBE_HINT);
    const count = (s: WorkloadResult["status"]): number => report.results.filter((r) => r.status === s).length;
    const held = report.results.filter((r) => r.status === "applied" && r.plan.rolloutHold).length;
    out(`Summary: ${report.applied} applied${held > 0 ? ` (${held} to the template only: running pods keep the old spec)` : ""}, ${report.failed} failed, ${count("planned")} planned${dryRun === "none" ? "" : ` (dry run: ${dryRun})`}, ${count("deferred")} deferred, ${count("compliant")} compliant, ${count("unresolved")} unresolved, ${count("skipped")} skipped\n`);
    if (report.failed > 0) throw new KubeDevopsError("KUBE", `${report.failed} workload(s) could not be patched`);
    // partly remediated workloads count too: what matters is what still violates the policy afterwards
    const left = report.results.filter((r) => r.status !== "skipped" && r.plan.unresolved.length > 0).length;
    if (left > 0) throw new KubeDevopsError("POLICY_VIOLATION", `${left} workload(s) ${dryRun === "none" ? "still violate" : "would still violate"} ${source} in ways enforcement cannot fix (the lines marked !)`);
  },
});
