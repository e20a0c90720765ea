/**
 * @module
 * `check`'s result as one typed document: every line it prints (connectivity, install,
 * permissions) and a summary with the exit code. Built by pure functions from what check read; the
 * text and the `-o json|yaml` renderings (render-check.ts) both read it, so they cannot drift.
 */
import { API_VERSION } from "../policy/schema.ts";
import type { HealthLine, RefusedRead } from "../install/install-health.ts";
import { canIHint, resourceLabel, type AccessResult, type CheckComponent } from "./access-review.ts";
import { denialHint, summarizeAccess } from "./denial-summary.ts";
import type { Component } from "../rbac/permissions.ts";

export const CHECK_STATUSES = ["OK", "WARN", "FAIL", "UNKNOWN", "CONFLICT", "DENIED"] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];
export type CheckSection = "connectivity" | "install" | "permissions";

/** A permission the identity was refused, and the `kubectl auth can-i` line that asks it again. */
export interface CheckDenial {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  usedBy: string;
  canI: string;
}

/** One dot-leader line of the text. */
export interface CheckLine {
  section: CheckSection;
  /** The label as printed: `Deployment watch`, `Permissions webhook`. */
  name: string;
  component?: string;
  status: CheckStatus;
  message: string;
  hint?: string;
  /** Lines printed under it (what an Other installs CONFLICT is made of). */
  notes?: string[];
  denials?: CheckDenial[];
  /** Permission lines: how many permissions of the component were asked about. */
  checked?: number;
  /** Whether this line makes check exit 1 (a FAIL of a probe only the CLI needs does not, unless the CLI is checked). */
  failing: boolean;
}

export interface CheckSummary {
  counts: Record<CheckStatus, number>;
  /** 0: every line that can fail passed (WARN and UNKNOWN do not fail); 1: see `problems`. */
  exitCode: 0 | 1;
  result: "passed" | "failed";
  problems: string[];
  hint?: string;
}

export interface CheckReport {
  apiVersion: string;
  kind: "CheckReport";
  /** This binary's version, which the install's Deployments are compared with. */
  binaryVersion: string;
  namespace: string;
  context?: string;
  server?: string;
  cluster?: { version: string; gitVersion: string };
  /** Whether the install in `namespace` was looked at (not with --preflight or --component cli). */
  installChecked: boolean;
  /** Who the API server says ran check, when a denial made it ask (SelfSubjectReview). */
  identity?: string;
  lines: CheckLine[];
  /** With --verbose: every permission checked. */
  permissions?: Array<{ component: string; verb: string; resource: string; namespace?: string; name?: string; allowed: boolean }>;
  /** When the CLI's own reads were refused: the grant a cluster admin applies. */
  cliGrant?: { clusterRole: string; command: string };
  summary: CheckSummary;
}

/** The CLI's grant (`--cli-rbac-for`): which refused reads it holds, and the command that applies it. */
export interface CliGrantPointer {
  covers: (read: RefusedRead) => boolean;
  command: string;
}

/** `hint`, and after it the CLI's grant when it holds the refused read. */
export function withGrantPointer(hint: string | undefined, refused: RefusedRead | undefined, grant: CliGrantPointer | undefined): string | undefined {
  const pointer = refused && grant?.covers(refused) ? `the kube-devops-cli role grants this read (an identity bound to an older one, or to none, lacks it): a cluster admin applies ${grant.command}` : undefined;
  return [hint, pointer].filter(Boolean).join("; ") || undefined;
}

/**
 * An install line as check prints it: the hint only under a line that is not OK. A line UNKNOWN
 * because a read the CLI's role holds was refused also points at that role: whoever ran check is
 * bound to an older one (before it held check's reads) or to none, and the fix is the same.
 */
export function installLine(l: HealthLine, grant?: CliGrantPointer): CheckLine {
  const hint = l.status === "UNKNOWN" ? withGrantPointer(l.hint, l.refused, grant) : l.hint;
  return { section: "install", name: l.label, ...(l.component ? { component: l.component } : {}), status: l.status, message: l.detail, ...(hint && l.status !== "OK" ? { hint } : {}), failing: l.status === "FAIL" };
}

function denialOf(r: AccessResult): CheckDenial {
  return { verb: r.verb, resource: resourceLabel(r), ...(r.namespace ? { namespace: r.namespace } : {}), ...(r.name ? { name: r.name } : {}), usedBy: r.usedBy, canI: canIHint(r) };
}

/** One line per component; the components' denials share one hint fitting who ran check (decision 0037). */
export function permissionLines(results: readonly AccessResult[], runAs: Component | undefined, namespace: string, cliGrantCommand: string): CheckLine[] {
  const deniedComponents = [...new Set(results.filter((r) => !r.allowed).map((r) => r.component))];
  return summarizeAccess(results).map((a) => {
    const denials = results.filter((r) => r.component === a.component && !r.allowed).map(denialOf);
    const base = { section: "permissions" as const, name: `Permissions ${a.component}`, component: a.component, checked: a.checked };
    if (a.denied === 0) return { ...base, status: "OK", message: `${a.checked} granted`, failing: false };
    const hint = a.component === "cli" ? `a cluster admin grants the CLI's reads: ${cliGrantCommand}` : denialHint(runAs, deniedComponents, namespace);
    return { ...base, status: "DENIED", message: `${a.denied} of ${a.checked}: ${a.summary}`, hint, denials, failing: true };
  });
}

export interface SummaryInput {
  lines: readonly CheckLine[];
  namespace: string;
  components: readonly CheckComponent[];
  /** The cluster could not be reached: this is the one problem, with the transport's hint. */
  unreachable?: { problem: string; hint: string };
}

/** The exit code and why, from the lines alone. */
export function summarizeCheck({ lines, namespace, components, unreachable }: SummaryInput): CheckSummary {
  const counts = Object.fromEntries(CHECK_STATUSES.map((s) => [s, lines.filter((l) => l.status === s).length])) as Record<CheckStatus, number>;
  if (unreachable) return { counts, exitCode: 1, result: "failed", problems: [unreachable.problem], hint: unreachable.hint };
  const failing = lines.filter((l) => l.failing);
  const probes = failing.filter((l) => l.section === "connectivity" && l.status === "FAIL");
  const conflicted = failing.some((l) => l.status === "CONFLICT");
  const installFailures = failing.filter((l) => l.section === "install").map((l) => l.name);
  const permissionLinesDenied = failing.filter((l) => l.section === "permissions");
  const denied = permissionLinesDenied.reduce((n, l) => n + (l.denials?.length ?? 0), 0);
  const checked = lines.reduce((n, l) => n + (l.checked ?? 0), 0);
  const problems = [
    ...probes.map((l) => `cannot ${l.name.replace(/ permission$/, "").toLowerCase()}`),
    ...failing.filter((l) => l.status === "CONFLICT").map((l) => `${l.message.replace(" installed in ", " installed in namespace ")}, not ${namespace}`),
    ...(denied > 0 ? [`${denied} of ${checked} permissions denied`] : []),
    ...(installFailures.length > 0 ? [`the install in ${namespace} does not work (${installFailures.join(", ")})`] : []),
  ];
  if (problems.length === 0) return { counts, exitCode: 0, result: "passed", problems };
  const cliReadsDenied = probes.length > 0 || permissionLinesDenied.some((l) => l.component === "cli");
  const onlyCli = components.length === 1 && components[0] === "cli";
  const above = [...(conflicted ? ["the Other installs line"] : []), ...(installFailures.length > 0 ? ["the FAIL lines"] : [])].join(" and ");
  const hint =
    denied === 0 && !cliReadsDenied
      ? `see ${above} above`
      : cliReadsDenied
        ? onlyCli
          ? "apply the CLI grant above, then run check again"
          : "run kube-devops check as the identity the components use (e.g. --kubeconfig of their ServiceAccount); for the CLI, apply the grant above"
        : "run kube-devops check as the identity the components use (e.g. --kubeconfig of their ServiceAccount)";
  return { counts, exitCode: 1, result: "failed", problems, hint };
}

/** The document; `summary` is computed from the lines. */
export function buildCheckReport(fields: Omit<CheckReport, "apiVersion" | "kind" | "summary">, summary: Omit<SummaryInput, "lines" | "namespace">): CheckReport {
  return { apiVersion: API_VERSION, kind: "CheckReport", ...fields, summary: summarizeCheck({ ...summary, lines: fields.lines, namespace: fields.namespace }) };
}
