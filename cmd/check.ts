/**
 * @module
 * `kube-devops check`: kubeconfig, reachability and server version (the
 * reference's dot-leader lines); whether the install in -n works (CRDs, Deployments, webhook
 * endpoints, configuration and certificate, leaders, policies — skipped with --preflight); then
 * every permission the components need as SelfSubjectAccessReviews of the current identity, one
 * line per component (--verbose: each). Exits 1 — with hints — when the cluster is unreachable, a
 * permission is missing (the reference exited 0: W-C3), an install line FAILs (decision 0037), or
 * kube-devops is installed in another namespace than -n (decision 0035).
 */
import { defineCommand } from "citty";
import { CERT_MODES } from "../gen/options.ts";
import { canIHint, CHECK_COMPONENTS, plannedChecks, resourceLabel, reviewAccess, reviewSelf, type AccessResult, type CheckComponent } from "../lib/cli/access-review.ts";
import { CLI_CLUSTER_ROLE, renderCliGrant, shellWord, subjectOf } from "../lib/cli/cli-grant.ts";
import { toYaml } from "../gen/to-yaml.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { KubeDevopsError, usageError } from "../lib/errors.ts";
import { describeConflicts, installConflictHint } from "../lib/install/foreign-install.ts";
import { preflightInstall, type InstallClaims } from "../lib/install/install-preflight.ts";
import { COMPONENTS, type Component } from "../lib/rbac/permissions.ts";
import { renderCrds } from "../gen/crd.ts";
import { componentOfUser, denialHint, summarizeAccess } from "../lib/cli/denial-summary.ts";
import type { HealthLine } from "../lib/install/install-health.ts";
import { readInstallStatus } from "../lib/install/install-status.ts";
import { VERSION } from "../lib/version.ts";
import { componentName } from "../gen/options.ts";
import { METRICS_READER } from "../gen/rbac.ts";
import { createKubeClient, type KubeClient } from "../lib/kube/client.ts";
import { loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { NODES, PODS } from "../lib/kube/resources.ts";
import { REPORTS_SETTINGS, type ReportsSetting } from "../lib/reports/policy-report.ts";
import { METRICS_AUTH_MODES, parseMetricsAuthMode, WEBHOOK_SERVICE_NAME } from "../lib/webhook/constants.ts";

/** Every ClusterRoleBinding and the webhook configuration any install writes, whatever its flags. */
const INSTALL_CLAIMS: InstallClaims = { bindings: [...COMPONENTS.map(componentName), METRICS_READER], webhookConfiguration: WEBHOOK_SERVICE_NAME };

/** `  Label ........ value`: the value starts at column 33, as in the reference. */
function dots(label: string, value: string): string {
  return `  ${label} ${".".repeat(Math.max(3, 28 - label.length))} ${value}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function probe(client: KubeClient): Promise<{ major: string; minor: string; gitVersion: string }> {
  const v = await client.executor.json<{ major?: string; minor?: string; gitVersion?: string }>({ method: "GET", path: "/version", verb: "get", resource: "version", idempotent: true });
  return { major: v.major ?? "?", minor: (v.minor ?? "?").replace(/\+$/, ""), gitVersion: v.gitVersion ?? "" };
}

/** The install's lines, and a hint under each that is not OK. */
function renderHealthLines(lines: readonly HealthLine[]): string {
  return lines.map((l) => `${dots(l.label, `${l.status}${l.detail ? ` (${l.detail})` : ""}`)}\n${l.hint && l.status !== "OK" ? `    hint: ${l.hint}\n` : ""}`).join("");
}

function renderAccessTable(results: readonly AccessResult[]): string[] {
  const rows = results.map((r) => [r.component, r.verb, resourceLabel(r), r.namespace ?? "*", r.name ?? "", r.allowed ? "OK" : "DENIED"]);
  const header = ["COMPONENT", "VERB", "RESOURCE", "NAMESPACE", "NAME", "RESULT"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ");
  return [line(header), ...rows.map(line)];
}

export default defineCommand({
  meta: { name: "check", description: "Check the kubeconfig, cluster reachability and every permission kube-devops needs" },
  args: {
    namespace: { type: "string", alias: "n", default: "kube-devops", description: "Namespace the components run in (for namespaced grants)", valueHint: "ns" },
    reports: { type: "string", default: "none", description: `Also check reconcile's report grant for this format: ${REPORTS_SETTINGS.join("|")}`, valueHint: "format" },
    "cert-mode": { type: "string", default: "self-managed", description: `Webhook certificates as deployed (deploy --cert-mode): ${CERT_MODES.join("|")}; only self-managed needs the Secret and caBundle grants`, valueHint: "mode" },
    "metrics-auth": { type: "string", default: "kubernetes", description: `The components' /metrics as deployed (deploy --metrics-auth): ${METRICS_AUTH_MODES.join("|")}; only kubernetes needs the TokenReview and SubjectAccessReview grants (watch, reconcile and webhook)`, valueHint: "mode" },
    component: { type: "string", default: "all", description: `Which permissions to check: all|${CHECK_COMPONENTS.join("|")}`, valueHint: "name" },
    preflight: { type: "boolean", default: false, description: "Check only the cluster and the permissions (before installing): the install in -n is not looked at" },
    verbose: { type: "boolean", default: false, description: "List every permission checked and a `kubectl auth can-i` line per denial" },
    "cli-rbac-for": { type: "string", description: "Print (and do nothing else) the kube-devops-cli ClusterRole and its binding to this username (`system:serviceaccount:<ns>:<name>` for a ServiceAccount), for `| kubectl apply -f -` by a cluster admin", valueHint: "username" },
  },
  async run({ args }) {
    const { globals, env, out } = cliRuntime();
    if (args["cli-rbac-for"] !== undefined) {
      out(toYaml(renderCliGrant(subjectOf(args["cli-rbac-for"]))));
      return;
    }
    const reports = args.reports as ReportsSetting;
    if (!REPORTS_SETTINGS.includes(reports)) throw usageError(`Invalid --reports "${args.reports}": expected one of ${REPORTS_SETTINGS.join(", ")}`);
    const certMode = args["cert-mode"];
    if (!(CERT_MODES as readonly string[]).includes(certMode)) throw usageError(`Invalid --cert-mode "${certMode}": expected one of ${CERT_MODES.join(", ")}`);
    const metricsAuth = parseMetricsAuthMode(args["metrics-auth"]);
    const components: CheckComponent[] = args.component === "all" ? [...CHECK_COMPONENTS] : [args.component as CheckComponent];
    if (!components.every((c) => (CHECK_COMPONENTS as readonly string[]).includes(c))) {
      throw usageError(`Invalid --component "${args.component}": expected all or one of ${CHECK_COMPONENTS.join(", ")}`);
    }
    out("Running cluster connectivity checks...\n\n");
    let kc;
    try {
      kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, context: globals.context, env });
    } catch (err) {
      out(`${dots("Kubeconfig", "FAIL")}\n\n`);
      throw err;
    }
    out(`${dots("Kubeconfig", "OK")}\n`);
    // One attempt, short timeout: a diagnostic must answer quickly, not retry for a minute.
    const client = createKubeClient(kc, { retry: { maxAttempts: 1 }, timeoutMs: 10_000 });
    let version: { major: string; minor: string; gitVersion: string };
    try {
      version = await probe(client);
    } catch (err) {
      out(`${dots("Cluster connection", "FAIL")}\n\n  Error: ${errorText(err)}\n  Hint:  Is the cluster running? Check with: kubectl cluster-info\n\n`);
      throw new KubeDevopsError("CHECK_FAILED", `cannot reach the cluster at ${kc.getCurrentCluster()?.server ?? "?"} (context ${kc.getCurrentContext()})`, {
        cause: err,
        hint: err instanceof KubeDevopsError && err.hint ? err.hint : "Is the cluster running? Check with: kubectl cluster-info",
      });
    }
    out(`${dots("Cluster connection", `OK (v${version.major}.${version.minor})`)}\n`);
    const problems: string[] = [];
    // The reference's two probes are what the CLI reads: they fail the check only when the CLI is
    // among the components checked, not for a component's own least-privilege identity.
    const cliChecked = components.includes("cli");
    const notNeeded = cliChecked ? "" : "; only the CLI needs it";
    try {
      await client.listPage(PODS, { limit: 1 });
      out(`${dots("List pods permission", "OK")}\n`);
    } catch (err) {
      out(`${dots("List pods permission", `FAIL (${errorText(err)}${notNeeded})`)}\n`);
      if (cliChecked) problems.push("cannot list pods");
    }
    try {
      const { items } = await client.listAll(NODES);
      out(`${dots("List nodes permission", `OK (${items.length} nodes)`)}\n`);
    } catch (err) {
      out(`${dots("List nodes permission", `FAIL (${errorText(err)}${notNeeded})`)}\n`);
      if (cliChecked) problems.push("cannot list nodes");
    }
    // only the two reads above are the CLI's; an install conflict below is not fixed by its grant
    const cliProbesFailed = problems.length > 0;
    let conflicted = false;
    // the CLI installs nothing in -n: only the components' check asks whether -n's install can be theirs
    if (components.some((c) => c !== "cli")) {
      try {
        const { conflicts, leftovers, unreadable } = await preflightInstall(client, INSTALL_CLAIMS, args.namespace);
        const theirs = [...new Set(conflicts.map((c) => c.namespace))].join(", ");
        if (conflicts.length > 0) {
          // -n defaults to kube-devops: checking an install elsewhere without -n reads as a conflict too
          const elsewhere = theirs.includes(",") ? "" : `if the install in ${theirs} is the one to check, run kube-devops check -n ${theirs}; else `;
          out(`${dots("Other installs", `CONFLICT (kube-devops is installed in ${theirs})`)}\n    ${describeConflicts(conflicts)} serve ${theirs}, not ${args.namespace}\n    hint: ${elsewhere}${installConflictHint(args.namespace, theirs)}\n`);
          problems.push(`kube-devops is installed in namespace ${theirs}, not ${args.namespace}`);
          conflicted = true;
        } else if (unreadable.length > 0) {
          out(`${dots("Other installs", `UNKNOWN (not allowed to get ${unreadable.join(", ")})`)}\n`);
        } else if (leftovers.length > 0) {
          const gone = [...new Set(leftovers.map((c) => c.namespace))].join(", ");
          out(`${dots("Other installs", `OK (only leftovers of one in ${gone}, which no longer exists)`)}\n    ${describeConflicts(leftovers)}: ${args.namespace}'s manifests take them over\n`);
        } else {
          out(`${dots("Other installs", "OK (none in another namespace)")}\n`);
        }
      } catch (err) {
        out(`${dots("Other installs", `UNKNOWN (${errorText(err)})`)}\n`);
      }
    }
    out(`\n  Kubernetes version: ${version.major}.${version.minor} (${version.gitVersion}, context ${kc.getCurrentContext()})\n\n`);

    const installComponents = components.filter((c): c is Component => c !== "cli");
    let installFailures: string[] = [];
    if (!args.preflight && installComponents.length > 0) {
      const lines = await readInstallStatus(client, { namespace: args.namespace, components: installComponents, version: VERSION, certMode, now: Date.now(), crds: renderCrds(), componentName });
      out(`Install in ${args.namespace} (this binary is v${VERSION}):\n${renderHealthLines(lines)}\n`);
      installFailures = lines.filter((l) => l.status === "FAIL").map((l) => l.label);
    }

    const results = await reviewAccess(client, plannedChecks(components, args.namespace, { reports, selfManagedCertificates: certMode === "self-managed", metricsAuth: metricsAuth === "kubernetes" }));
    out(`Permissions kube-devops needs (SelfSubjectAccessReview as the current identity; namespaced grants in ${args.namespace}):\n`);
    const denied = results.filter((r) => !r.allowed);
    for (const a of summarizeAccess(results)) {
      out(`${dots(`Permissions ${a.component}`, a.denied === 0 ? `OK (${a.checked} granted)` : `DENIED (${a.denied} of ${a.checked}: ${a.summary})`)}\n`);
    }
    if (args.verbose) {
      out(`\n${renderAccessTable(results).join("\n")}\n`);
      for (const r of denied) out(`  DENIED ${r.component}: ${canIHint(r)} — needed by ${r.usedBy}\n`);
    }
    const cliReadsDenied = cliChecked && (denied.some((r) => r.component === "cli") || cliProbesFailed);
    const componentsDenied = denied.some((r) => r.component !== "cli");
    const username = cliReadsDenied || componentsDenied ? await reviewSelf(client) : undefined;
    if (componentsDenied) out(`    hint: ${denialHint(componentOfUser(username, args.namespace, componentName), [...new Set(denied.map((r) => r.component))], args.namespace)}\n`);
    if (cliReadsDenied) {
      const who = username ? shellWord(username) : "<your username: kubectl auth whoami>";
      out(`\n  The CLI's reads are granted by the ${CLI_CLUSTER_ROLE} ClusterRole, bound to the identity that runs it (${username ?? "unknown: SelfSubjectReview unavailable"}).\n`);
      out(`  A cluster admin grants them with:\n    kube-devops check --cli-rbac-for ${who} | kubectl apply -f -\n`);
    }
    if (denied.length > 0) problems.push(`${denied.length} of ${results.length} permissions denied`);
    if (installFailures.length > 0) problems.push(`the install in ${args.namespace} does not work (${installFailures.join(", ")})`);
    if (problems.length > 0) {
      out("\n");
      const onlyCli = components.length === 1 && cliChecked;
      const hint = onlyCli ? "apply the CLI grant above, then run check again" : "run kube-devops check as the identity the components use (e.g. --kubeconfig of their ServiceAccount); for the CLI, apply the grant above";
      // a conflict or a broken install is not fixed by another identity: their hints were printed above
      const notAccess = denied.length === 0 && !cliReadsDenied;
      const above = [...(conflicted ? ["the Other installs line"] : []), ...(installFailures.length > 0 ? ["the FAIL lines"] : [])].join(" and ");
      throw new KubeDevopsError("CHECK_FAILED", `check failed: ${problems.join("; ")}`, { hint: notAccess ? `see ${above} above` : cliReadsDenied ? hint : "run kube-devops check as the identity the components use (e.g. --kubeconfig of their ServiceAccount)" });
    }
    out("\nAll checks completed.\n");
  },
});
