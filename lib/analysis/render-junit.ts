/**
 * @module
 * JUnit XML for CI dashboards: one testsuite per workload, one testcase per
 * enabled check; a check with scored findings fails, one with only exempt
 * findings is skipped.
 */
import type { AnalysisReport, WorkloadResult } from "./build-report.ts";

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] as string);
}

function renderSuite(report: AnalysisReport, w: WorkloadResult): { xml: string; failures: number; skipped: number } {
  let failures = 0;
  let skipped = 0;
  const cases = report.checks.map((id) => {
    const findings = w.findings.filter((f) => f.check === id);
    const scored = findings.filter((f) => !f.exempt);
    const name = `name="${escapeXml(id)}" classname="${escapeXml(w.key)}"`;
    if (scored.length > 0) {
      failures++;
      const body = scored.map((f) => `${f.severity}: ${f.message}`).join("\n");
      return `    <testcase ${name}>\n      <failure message="${escapeXml(scored[0]?.message ?? id)}" type="${scored[0]?.severity}">${escapeXml(body)}</failure>\n    </testcase>`;
    }
    if (findings.length > 0) {
      skipped++;
      return `    <testcase ${name}>\n      <skipped message="exempt by annotation"/>\n    </testcase>`;
    }
    return `    <testcase ${name}/>`;
  });
  const xml = `  <testsuite name="${escapeXml(w.key)}" tests="${report.checks.length}" failures="${failures}" errors="0" skipped="${skipped}">\n${cases.join("\n")}\n  </testsuite>`;
  return { xml, failures, skipped };
}

/** The JUnit document (workloads without findings pass every check and are summarised by the root counts). */
export function renderJunit(report: AnalysisReport): string {
  const suites = report.workloads.map((w) => renderSuite(report, w));
  const failures = suites.reduce((n, s) => n + s.failures, 0);
  const skipped = suites.reduce((n, s) => n + s.skipped, 0);
  const tests = suites.length * report.checks.length;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="kube-devops analyze" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...suites.map((s) => s.xml),
    `</testsuites>`,
    "",
  ].join("\n");
}
