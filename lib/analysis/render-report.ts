/**
 * @module
 * One entry for every `-o` format of `analyze`, and the CI verdicts
 * (`--fail-on`, `--min-score`) that turn a report into exit codes 3 and 4;
 * `multi-cluster analyze` judges `--fail-on` through the same functions.
 */
import { countAtOrAbove, emptySeverityCounts, isSeverity, type SeverityCounts } from "../checks/severity.ts";
import { KubeDevopsError, usageError } from "../errors.ts";
import { integerFlag } from "../integer-flag.ts";
import type { Severity } from "../policy/schema.ts";
import type { AnalysisReport } from "./build-report.ts";
import { reportDocument } from "./report-document.ts";
import { renderJunit } from "./render-junit.ts";
import { renderSarif } from "./render-sarif.ts";
import { renderTable } from "./render-table.ts";
import { visibleLine } from "./visible-text.ts";
import { renderAnalysisReports } from "../reports/from-analysis.ts";
import { stringifyYaml, stringifyYamlDocuments } from "../yaml-stringify.ts";

export const OUTPUT_FORMATS = ["table", "json", "yaml", "sarif", "junit", "policyreport", "openreports"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The report in the requested format, newline-terminated. */
export function renderReport(report: AnalysisReport, format: OutputFormat, options: { top?: number; cwd?: string } = {}): string {
  switch (format) {
    case "table":
      return renderTable(report, options.top);
    case "json":
      return `${JSON.stringify(reportDocument(report), null, 2)}\n`;
    case "yaml":
      return stringifyYaml(reportDocument(report));
    case "sarif":
      return `${JSON.stringify(renderSarif(report, options.cwd), null, 2)}\n`;
    case "junit":
      return renderJunit(report);
    case "policyreport":
      return stringifyYamlDocuments(renderAnalysisReports(report, "wgpolicyk8s"));
    case "openreports":
      return stringifyYamlDocuments(renderAnalysisReports(report, "openreports"));
  }
}

/** Scored (not exempt) findings per severity: the severities the check set gave them. */
export function countBySeverity(report: AnalysisReport): SeverityCounts {
  const counts = emptySeverityCounts();
  for (const w of report.workloads) for (const f of w.findings) if (!f.exempt) counts[f.severity]++;
  return counts;
}

/** `--fail-on`'s value: undefined when not given; a usage error (exit 2) unless a severity. */
export function parseFailOn(value: string | undefined): Severity | undefined {
  if (value !== undefined && !isSeverity(value)) throw usageError(`Invalid --fail-on "${value}": expected critical, high, medium or low`);
  return value;
}

/** `--min-score`: an integer 0-100, or undefined when not given. */
export function parseMinScore(value: string | undefined): number | undefined {
  return value === undefined ? undefined : integerFlag("--min-score", value, { min: 0, max: 100, expected: "an integer 0-100" });
}

/**
 * Throws POLICY_VIOLATION (exit 3) when `counts` hold a finding at or above `failOn`; `where` names
 * what holds them, `also` the other gate that failed too (exit 3 wins; the reader still learns both).
 */
export function enforceFailOn(counts: Readonly<SeverityCounts>, failOn: Severity, where?: string, also?: string): void {
  const n = countAtOrAbove(counts, failOn);
  if (n > 0) throw new KubeDevopsError("POLICY_VIOLATION", `${n} violation(s) at or above severity ${failOn} (--fail-on ${failOn})${where ? ` in ${where}` : ""}${also ? `; and ${also}` : ""}`);
}

/** The selection flags as given, e.g. `-n shopp -l app=web`; "the filters" when none is known. */
export function describeFilters(filters: { namespace?: string | undefined; excludeNamespaces?: readonly string[] | undefined; selector?: string | undefined }): string {
  const parts = [
    filters.namespace ? `-n ${filters.namespace}` : "",
    filters.excludeNamespaces?.length ? `--exclude-namespaces ${filters.excludeNamespaces.join(",")}` : "",
    filters.selector ? `-l ${filters.selector}` : "",
  ].filter((p) => p !== "");
  return parts.length > 0 ? parts.join(" ") : "the filters";
}

/** True when -n, --exclude-namespaces or -l left out every pod and controller of an input that had some. */
export function filteredToNothing(report: AnalysisReport): boolean {
  const s = report.skipped;
  return s.filtered > 0 && report.tally.pods + s.succeeded + s.evicted + s.terminating + s.systemNamespace === 0;
}

/** `-n shopp left nothing to score: …`, naming what was present. */
export function describeFilteredToNothing(report: AnalysisReport, filters: string): string {
  return visibleLine(`${filters} left nothing to score: all ${report.skipped.filtered} pods and pod controllers were filtered out (namespaces present: ${report.filteredNamespaces.join(", ")})`);
}

/** The CI gates a run carries, e.g. `--fail-on low and --min-score 95`; "" when none. */
export function describeGates(gates: { failOn?: Severity | undefined; minScore?: number | undefined }): string {
  return [gates.failOn ? `--fail-on ${gates.failOn}` : "", gates.minScore !== undefined ? `--min-score ${gates.minScore}` : ""].filter((g) => g !== "").join(" and ");
}

/**
 * Throws POLICY_VIOLATION (exit 3) or SCORE_BELOW (exit 4) when a CI gate fails, and USAGE
 * (exit 2) when there is a gate but the filters (`filters`: the flags as given) left nothing to judge:
 * a mistyped -n must not pass every gate with the 100 of an empty set. Offline that is seen in the
 * report; live the caller asks the server and passes what it found as `judgedNothing`.
 */
export function enforceGates(
  report: AnalysisReport,
  gates: { failOn?: Severity | undefined; minScore?: number | undefined; filters?: string | undefined; judgedNothing?: string | undefined; hint?: string | undefined },
): void {
  const given = describeGates(gates);
  const nothing = gates.judgedNothing ?? (filteredToNothing(report) ? describeFilteredToNothing(report, gates.filters ?? "the filters") : undefined);
  if (given !== "" && nothing !== undefined) {
    throw usageError(`${given} judged nothing: ${nothing}`, gates.hint ?? "check -n, --exclude-namespaces and -l against the input");
  }
  const scoreBelow = gates.minScore !== undefined && report.score < gates.minScore ? `score ${report.score} is below --min-score ${gates.minScore}` : undefined;
  if (gates.failOn) enforceFailOn(countBySeverity(report), gates.failOn, undefined, scoreBelow);
  if (scoreBelow !== undefined) throw new KubeDevopsError("SCORE_BELOW", scoreBelow);
}
