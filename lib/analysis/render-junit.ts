/**
 * @module
 * JUnit XML for CI dashboards, shaped as kube-score's: one testsuite per scored
 * workload, one testcase per enabled check; a check with scored findings fails,
 * one with only exempt findings is skipped, and a workload without findings
 * passes every check — so a compliant input is N passing tests, not `tests="0"`
 * (which Jenkins reads as a broken report). Names are made valid XML 1.0.
 */
import { replicaPodOf, type AnalysisReport, type WorkloadResult } from "./build-report.ts";
import { visibleText } from "./visible-text.ts";

const ENTITIES: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;", "\t": "&#9;", "\n": "&#10;" };

/** Text content: markup escaped, characters XML 1.0 forbids shown as visible escapes. */
function escapeText(text: string): string {
  return visibleText(text).replace(/[<>&]/g, (c) => ENTITIES[c] as string);
}

/** Attribute values: as text, and tab and line breaks as character references (a parser would fold them to spaces). */
function escapeAttribute(text: string): string {
  return visibleText(text).replace(/[<>&"'\t\n]/g, (c) => ENTITIES[c] as string);
}

interface Suite {
  xml: string;
  tests: number;
  failures: number;
  skipped: number;
}

function renderSuite(report: AnalysisReport, w: WorkloadResult): Suite {
  let failures = 0;
  let skipped = 0;
  const classname = escapeAttribute(w.key);
  const cases = report.checks.map((id) => {
    const findings = w.findings.filter((f) => f.check === id);
    const scored = findings.filter((f) => !f.exempt);
    const name = `name="${escapeAttribute(id)}" classname="${classname}"`;
    if (scored.length > 0) {
      failures++;
      // A workload's replicas give the same message: name the pod, or the lines read as repeats.
      const body = scored.map((f) => {
        const pod = replicaPodOf(w, f);
        return `${f.severity}: ${f.message}${pod ? ` (pod ${pod})` : ""}`;
      }).join("\n");
      return `    <testcase ${name}>\n      <failure message="${escapeAttribute(scored[0]?.message ?? id)}" type="${scored[0]?.severity}">${escapeText(body)}</failure>\n    </testcase>`;
    }
    if (findings.length > 0) {
      skipped++;
      return `    <testcase ${name}>\n      <skipped message="exempt by annotation"/>\n    </testcase>`;
    }
    return `    <testcase ${name}/>`;
  });
  const xml = `  <testsuite name="${classname}" tests="${report.checks.length}" failures="${failures}" errors="0" skipped="${skipped}">\n${cases.join("\n")}\n  </testsuite>`;
  return { xml, tests: report.checks.length, failures, skipped };
}

function renderPassingSuite(report: AnalysisReport, key: string): Suite {
  const classname = escapeAttribute(key);
  const cases = report.checks.map((id) => `    <testcase name="${escapeAttribute(id)}" classname="${classname}"/>`);
  return { xml: `  <testsuite name="${classname}" tests="${cases.length}" failures="0" errors="0" skipped="0">\n${cases.join("\n")}\n  </testsuite>`, tests: cases.length, failures: 0, skipped: 0 };
}

/** The JUnit document: workloads with findings first (highest gain first), then the passing ones by name. */
export function renderJunit(report: AnalysisReport): string {
  const suites = [...report.workloads.map((w) => renderSuite(report, w)), ...report.passingWorkloads.map((key) => renderPassingSuite(report, key))];
  const sum = (pick: (s: Suite) => number) => suites.reduce((n, s) => n + pick(s), 0);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="kube-devops analyze" tests="${sum((s) => s.tests)}" failures="${sum((s) => s.failures)}" errors="0" skipped="${sum((s) => s.skipped)}">`,
    ...suites.map((s) => s.xml),
    `</testsuites>`,
    "",
  ].join("\n");
}
