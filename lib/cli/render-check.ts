/**
 * @module
 * `check`'s two renderings of one CheckReport: the text (the reference's dot-leader lines, hints
 * under what is not OK) and the `-o json|yaml` document, which is the report itself.
 */
import { stringifyYaml } from "../yaml-stringify.ts";
import type { CheckLine, CheckReport } from "./check-report.ts";

export const CHECK_OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type CheckOutputFormat = (typeof CHECK_OUTPUT_FORMATS)[number];

/** The reference's two lines whose FAIL is followed by an `Error:`/`Hint:` block, not a detail. */
const BLOCK_LINES = new Set(["Kubeconfig", "Cluster connection"]);

/** `  Label ........ value`: the value starts at column 33, as in the reference. */
export function dots(label: string, value: string): string {
  return `  ${label} ${".".repeat(Math.max(3, 28 - label.length))} ${value}`;
}

function renderLine(l: CheckLine, withHint = true): string {
  if (l.status === "FAIL" && BLOCK_LINES.has(l.name)) {
    const block = `${l.message ? `  Error: ${l.message}\n` : ""}${l.hint ? `  Hint:  ${l.hint}\n` : ""}`;
    return `${dots(l.name, "FAIL")}\n\n${block}${block ? "\n" : ""}`;
  }
  const notes = (l.notes ?? []).map((n) => `    ${n}\n`).join("");
  return `${dots(l.name, `${l.status}${l.message ? ` (${l.message})` : ""}`)}\n${notes}${withHint && l.hint ? `    hint: ${l.hint}\n` : ""}`;
}

function renderAccessTable(rows: NonNullable<CheckReport["permissions"]>): string[] {
  const cells = rows.map((r) => [r.component, r.verb, r.resource, r.namespace ?? "*", r.name ?? "", r.allowed ? "OK" : "DENIED"]);
  const header = ["COMPONENT", "VERB", "RESOURCE", "NAMESPACE", "NAME", "RESULT"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ");
  return [line(header), ...cells.map(line)];
}

function renderPermissions(report: CheckReport, lines: readonly CheckLine[]): string {
  let text = `Permissions kube-devops needs (SelfSubjectAccessReview as the current identity; namespaced grants in ${report.namespace}):\n`;
  // the components' denials share one hint (decision 0037): printed once, under them all
  text += lines.map((l) => renderLine(l, false)).join("");
  if (report.permissions) {
    text += `\n${renderAccessTable(report.permissions).join("\n")}\n`;
    for (const l of lines) for (const d of l.denials ?? []) text += `  DENIED ${l.component}: ${d.canI} — needed by ${d.usedBy}\n`;
  }
  const hint = lines.find((l) => l.status === "DENIED" && l.component !== "cli")?.hint;
  if (hint) text += `    hint: ${hint}\n`;
  if (report.cliGrant) {
    text += `\n  The CLI's reads are granted by the ${report.cliGrant.clusterRole} ClusterRole, bound to the identity that runs it (${report.identity ?? "unknown: SelfSubjectReview unavailable"}).\n`;
    text += `  A cluster admin grants them with:\n    ${report.cliGrant.command}\n`;
  }
  return text;
}

/** What `check` prints on stdout without -o; the failure itself goes to stderr through the CLI root. */
export function renderCheckText(report: CheckReport): string {
  const of = (section: CheckLine["section"]) => report.lines.filter((l) => l.section === section);
  let text = `Running cluster connectivity checks...\n\n${of("connectivity").map((l) => renderLine(l)).join("")}`;
  const cluster = report.cluster;
  if (!cluster) return text;
  text += `\n  Kubernetes version: ${cluster.version} (${cluster.gitVersion}, context ${report.context ?? ""})\n\n`;
  if (report.installChecked) text += `Install in ${report.namespace} (this binary is v${report.binaryVersion}):\n${of("install").map((l) => renderLine(l)).join("")}\n`;
  text += renderPermissions(report, of("permissions"));
  return text + (report.summary.exitCode === 0 ? "\nAll checks completed.\n" : "\n");
}

/** The -o json|yaml document: the report as it is. */
export function renderCheckDocument(report: CheckReport, format: "json" | "yaml"): string {
  return format === "json" ? `${JSON.stringify(report, null, 2)}\n` : stringifyYaml(report);
}
