/**
 * @module
 * `kube-devops check`: kubeconfig, reachability and server version (the
 * reference's dot-leader lines); whether the install in -n works (CRDs, Deployments, webhook
 * endpoints, configuration and certificate, whether the API server calls it (a dry-run pod), leaders,
 * policies — skipped with --preflight); then
 * every permission the components need as SelfSubjectAccessReviews of the current identity, one
 * line per component (--verbose: each). Exits 1 — with hints — when the cluster is unreachable, a
 * permission is missing (the reference exited 0: W-C3), an install line FAILs (decision 0037), or
 * kube-devops is installed in another namespace than -n (decision 0035).
 */
import { defineCommand } from "citty";
import { CERT_MODES } from "../gen/options.ts";
import { CHECK_COMPONENTS, plannedChecks, resourceLabel, reviewAccess, reviewSelf, type CheckComponent } from "../lib/cli/access-review.ts";
import { buildCheckReport, installLine, permissionLines, withGrantPointer, type CheckLine, type CheckReport, type CheckStatus } from "../lib/cli/check-report.ts";
import { CHECK_OUTPUT_FORMATS, renderCheckDocument, renderCheckText, type CheckOutputFormat } from "../lib/cli/render-check.ts";
import { serverClockOffset } from "../lib/cli/server-clock.ts";
import { CLI_CLUSTER_ROLE, cliGrantCovers, renderCliGrant, shellWord, subjectOf, type InstallNames } from "../lib/cli/cli-grant.ts";
import { toYaml } from "../gen/to-yaml.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { KubeDevopsError, usageError } from "../lib/errors.ts";
import { describeConflicts, installConflictHint } from "../lib/install/foreign-install.ts";
import { preflightInstall, type InstallClaims } from "../lib/install/install-preflight.ts";
import { COMPONENTS, type Component } from "../lib/rbac/permissions.ts";
import { renderCrds } from "../gen/crd.ts";
import { componentOfUser } from "../lib/cli/denial-summary.ts";
import { canIRead, type HealthLine, type RefusedRead } from "../lib/install/install-health.ts";
import { readInstallStatus } from "../lib/install/install-status.ts";
import { VERSION } from "../lib/version.ts";
import { componentName } from "../gen/options.ts";
import { METRICS_READER } from "../gen/rbac.ts";
import { createKubeClient, type KubeClient } from "../lib/kube/client.ts";
import { loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { CLI_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { CLUSTER_ROLE_BINDINGS, NODES, PODS, VALIDATING_WEBHOOK_CONFIGURATIONS } from "../lib/kube/resources.ts";
import { REPORTS_SETTINGS, type ReportsSetting } from "../lib/reports/policy-report.ts";
import { METRICS_AUTH_MODES, parseMetricsAuthMode, WEBHOOK_SERVICE_NAME } from "../lib/webhook/constants.ts";

/** Every ClusterRoleBinding and the webhook configuration any install writes, whatever its flags. */
const INSTALL_CLAIMS: InstallClaims = { bindings: [...COMPONENTS.map(componentName), METRICS_READER], webhookConfiguration: WEBHOOK_SERVICE_NAME };
/** What check reads by name in an install, which the CLI's grant allows. */
const INSTALL_NAMES: InstallNames = { deployments: COMPONENTS.map(componentName), bindings: INSTALL_CLAIMS.bindings };

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type ServerVersion = { major: string; minor: string; gitVersion: string; clockOffsetMs: number };

/** The server's version, and how far its clock is from ours (its `Date` header): lease ages are judged by its clock. */
async function probe(client: KubeClient): Promise<ServerVersion> {
  const sentAt = Date.now();
  const res = await client.executor.send({ method: "GET", path: "/version", verb: "get", resource: "version", idempotent: true });
  const receivedAt = Date.now();
  const v = (await res.json()) as { major?: string; minor?: string; gitVersion?: string };
  const clockOffsetMs = serverClockOffset(res.headers.get("date"), sentAt, receivedAt);
  return { major: v.major ?? "?", minor: (v.minor ?? "?").replace(/\+$/, ""), gitVersion: v.gitVersion ?? "", clockOffsetMs };
}

/** The first read the preflight was refused (`clusterrolebindings/<name>`), for the line's hint. */
function refusedClaim(unreadable: readonly string[]): RefusedRead | undefined {
  const [plural, name] = (unreadable[0] ?? "").split("/");
  const type = [CLUSTER_ROLE_BINDINGS, VALIDATING_WEBHOOK_CONFIGURATIONS].find((t) => t.plural === plural);
  return type && name ? { verb: "get", group: type.group, resource: type.plural, name } : undefined;
}

/** Whether -n's install could be the components': no other install's bindings or webhook configuration (decision 0035). */
async function checkOtherInstalls(client: KubeClient, namespace: string): Promise<CheckLine & { installedIn?: string; refused?: RefusedRead }> {
  const line = (status: CheckStatus, message: string, extra: Partial<CheckLine> = {}): CheckLine => ({ section: "connectivity", name: "Other installs", status, message, failing: false, ...extra });
  try {
    const { conflicts, leftovers, unreadable } = await preflightInstall(client, INSTALL_CLAIMS, namespace);
    if (conflicts.length > 0) {
      const theirs = [...new Set(conflicts.map((c) => c.namespace))].join(", ");
      // -n defaults to kube-devops: checking an install elsewhere without -n reads as a conflict too
      const elsewhere = theirs.includes(",") ? "" : `if the install in ${theirs} is the one to check, run kube-devops check -n ${theirs}; else `;
      return { ...line("CONFLICT", `kube-devops is installed in ${theirs}`, { notes: [`${describeConflicts(conflicts)} serve ${theirs}, not ${namespace}`], hint: `${elsewhere}${installConflictHint(namespace, theirs)}`, failing: true }), installedIn: theirs };
    }
    if (unreadable.length > 0) {
      const refused = refusedClaim(unreadable);
      return { ...line("UNKNOWN", `not allowed to get ${unreadable.join(", ")}`, refused ? { hint: canIRead(refused) } : {}), ...(refused ? { refused } : {}) };
    }
    if (leftovers.length > 0) {
      const gone = [...new Set(leftovers.map((c) => c.namespace))].join(", ");
      return line("OK", `only leftovers of one in ${gone}, which no longer exists`, { notes: [`${describeConflicts(leftovers)}: ${namespace}'s manifests take them over`] });
    }
    return line("OK", "none in another namespace");
  } catch (err) {
    return line("UNKNOWN", errorText(err));
  }
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
    output: { type: "string", alias: "o", default: "table", description: `Output format: ${CHECK_OUTPUT_FORMATS.join("|")} (json and yaml: one CheckReport document, same exit codes)`, valueHint: "format" },
    "cli-rbac-for": { type: "string", description: "Print (and do nothing else) the kube-devops-cli ClusterRole and its binding to this username (`system:serviceaccount:<ns>:<name>` for a ServiceAccount), for `| kubectl apply -f -` by a cluster admin", valueHint: "username" },
  },
  async run({ args }) {
    const { globals, env, out } = cliRuntime();
    const format = args.output as CheckOutputFormat;
    if (!(CHECK_OUTPUT_FORMATS as readonly string[]).includes(format)) throw usageError(`Invalid -o "${args.output}": expected one of ${CHECK_OUTPUT_FORMATS.join(", ")}`);
    if (args["cli-rbac-for"] !== undefined) {
      const grant = renderCliGrant(subjectOf(args["cli-rbac-for"]), INSTALL_NAMES);
      // json: one v1 List, which `kubectl apply -f -` takes as it takes the YAML stream
      out(format === "json" ? `${JSON.stringify({ apiVersion: "v1", kind: "List", items: grant }, null, 2)}\n` : toYaml(grant));
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
    const lines: CheckLine[] = [];
    const fields = { binaryVersion: VERSION, namespace: args.namespace, installChecked: false, lines };
    // one document or the text, from the same report, then the exit: a FAIL exits 1 in either format
    const finish = (report: CheckReport) => out(format === "table" ? renderCheckText(report) : renderCheckDocument(report, format));
    const connectivity = (name: string, status: CheckStatus, message = "", extra: Partial<CheckLine> = {}) => lines.push({ section: "connectivity", name, status, message, failing: false, ...extra });
    let kc;
    try {
      kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, context: globals.context, env });
    } catch (err) {
      connectivity("Kubeconfig", "FAIL", errorText(err), { failing: true });
      finish(buildCheckReport(fields, { components, unreachable: { problem: errorText(err), hint: err instanceof KubeDevopsError && err.hint ? err.hint : "" } }));
      throw err;
    }
    connectivity("Kubeconfig", "OK");
    const where = { context: kc.getCurrentContext(), server: kc.getCurrentCluster()?.server ?? "?" };
    // One attempt, short timeout: a diagnostic must answer quickly, not retry for a minute.
    const client = createKubeClient(kc, { retry: { maxAttempts: 1 }, timeoutMs: 10_000, rateLimit: CLI_RATE_LIMIT });
    let version: ServerVersion;
    try {
      version = await probe(client);
    } catch (err) {
      const hint = "Is the cluster running? Check with: kubectl cluster-info";
      connectivity("Cluster connection", "FAIL", errorText(err), { hint, failing: true });
      const problem = `cannot reach the cluster at ${where.server} (context ${where.context})`;
      finish(buildCheckReport({ ...fields, ...where }, { components, unreachable: { problem, hint: err instanceof KubeDevopsError && err.hint ? err.hint : hint } }));
      throw new KubeDevopsError("CHECK_FAILED", problem, { cause: err, hint: err instanceof KubeDevopsError && err.hint ? err.hint : hint });
    }
    connectivity("Cluster connection", "OK", `v${version.major}.${version.minor}`);
    // The reference's two probes are what the CLI reads: they fail the check only when the CLI is
    // among the components checked, not for a component's own least-privilege identity.
    const cliChecked = components.includes("cli");
    const notNeeded = cliChecked ? "" : "; only the CLI needs it";
    try {
      await client.listPage(PODS, { limit: 1 });
      connectivity("List pods permission", "OK");
    } catch (err) {
      connectivity("List pods permission", "FAIL", `${errorText(err)}${notNeeded}`, { failing: cliChecked });
    }
    try {
      const { items } = await client.listAll(NODES);
      connectivity("List nodes permission", "OK", `${items.length} nodes`);
    } catch (err) {
      connectivity("List nodes permission", "FAIL", `${errorText(err)}${notNeeded}`, { failing: cliChecked });
    }
    // the CLI installs nothing in -n: only the components' check asks whether -n's install can be theirs
    let installedIn: string | undefined;
    let otherInstalls: (CheckLine & { refused?: RefusedRead }) | undefined;
    if (components.some((c) => c !== "cli")) {
      const { installedIn: theirs, ...other } = await checkOtherInstalls(client, args.namespace);
      otherInstalls = other;
      installedIn = theirs;
    }

    const installComponents = components.filter((c): c is Component => c !== "cli");
    const installChecked = !args.preflight && installComponents.length > 0;
    let health: HealthLine[] = [];
    if (installChecked) {
      const now = Date.now() + version.clockOffsetMs;
      health = await readInstallStatus(client, { namespace: args.namespace, components: installComponents, version: VERSION, certMode, now, crds: renderCrds(), componentName, nonce: crypto.randomUUID(), ...(installedIn ? { installedIn } : {}) });
    }

    const results = await reviewAccess(client, plannedChecks(components, args.namespace, { reports, selfManagedCertificates: certMode === "self-managed", metricsAuth: metricsAuth === "kubernetes" }));
    const cliReadsDenied = cliChecked && (results.some((r) => r.component === "cli" && !r.allowed) || lines.some((l) => l.section === "connectivity" && l.status === "FAIL"));
    const covers = (read: RefusedRead) => cliGrantCovers(INSTALL_NAMES, read);
    // an install read the CLI's role holds was refused: its hint names the grant for who ran check
    const grantReadRefused = [...health, ...(otherInstalls ? [otherInstalls] : [])].some((l) => l.status === "UNKNOWN" && l.refused !== undefined && covers(l.refused));
    const username = results.some((r) => !r.allowed) || cliReadsDenied || grantReadRefused ? await reviewSelf(client) : undefined;
    const grant = `kube-devops check --cli-rbac-for ${username ? shellWord(username) : "<your username: kubectl auth whoami>"} | kubectl apply -f -`;
    // printed in this order: the Other installs line (connectivity), then the install's
    if (otherInstalls) {
      const { refused, ...other } = otherInstalls;
      const hint = other.status === "UNKNOWN" ? withGrantPointer(other.hint, refused, { covers, command: grant }) : other.hint;
      lines.push({ ...other, ...(hint ? { hint } : {}) });
    }
    lines.push(...health.map((l) => installLine(l, { covers, command: grant })));
    lines.push(...permissionLines(results, componentOfUser(username, args.namespace, componentName), args.namespace, grant));
    const report = buildCheckReport(
      {
        ...fields,
        ...where,
        cluster: { version: `${version.major}.${version.minor}`, gitVersion: version.gitVersion },
        installChecked,
        ...(username ? { identity: username } : {}),
        ...(args.verbose ? { permissions: results.map((r) => ({ component: r.component, verb: r.verb, resource: resourceLabel(r), ...(r.namespace ? { namespace: r.namespace } : {}), ...(r.name ? { name: r.name } : {}), allowed: r.allowed })) } : {}),
        ...(cliReadsDenied ? { cliGrant: { clusterRole: CLI_CLUSTER_ROLE, command: grant } } : {}),
      },
      { components },
    );
    finish(report);
    if (report.summary.exitCode !== 0) throw new KubeDevopsError("CHECK_FAILED", `check failed: ${report.summary.problems.join("; ")}`, { hint: report.summary.hint ?? "" });
  },
});
