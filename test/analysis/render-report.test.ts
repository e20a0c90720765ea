/**
 * Output formats of analyze: the reference's summary block byte for byte, the
 * table's sections, JSON/YAML summary names, SARIF and JUnit structure, and
 * the CI gates (exit 3 / 4).
 */
import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { analyzeObjects } from "../../lib/analysis/build-report.ts";
import { countBySeverity, enforceFailOn, enforceGates, parseFailOn, renderReport } from "../../lib/analysis/render-report.ts";
import { renderSummaryBlock } from "../../lib/analysis/render-table.ts";
import { DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { STDIN_NAME } from "../../lib/manifests/parse-manifests.ts";
import { countAtOrAbove } from "../../lib/checks/severity.ts";
import { KubeDevopsError } from "../../lib/errors.ts";
import { makePod, NOW } from "../engine/fixtures.ts";

const report = analyzeObjects(
  [
    { object: makePod({ name: "bad", namespace: "shop", image: "x:latest", liveness: false, readiness: false, restarts: 5, phase: "Pending" }), file: "snap.yaml", line: 3 },
    { object: makePod({ name: "ok", namespace: "shop", annotations: { "devops.stochastic.io/exempt-checks": "latest_tag" }, image: "y" }), file: "snap.yaml", line: 40 },
  ],
  { checkSet: DEFAULT_CHECK_SET, now: NOW, exemptions: true, source: "reference defaults", scoreTemplates: true },
);

describe("table", () => {
  test("starts with the reference's summary block exactly", () => {
    const expected = [
      "===== DevOps Governance Summary =====",
      "Workload Pods Analyzed     : 2",
      "Images using :latest       : 1",
      "Missing liveness probes    : 1",
      "Missing readiness probes   : 1",
      "Restart severity score     : 5",
      "Pending pods               : 1",
      "--------------------------------------",
      "Cluster Health Score       : 78/100",
      "Cluster Status             : Stable",
      "======================================",
      "",
    ].join("\n");
    expect(renderSummaryBlock(report)).toBe(expected);
    expect(renderReport(report, "table").startsWith(`${expected}\n`)).toBe(true);
  });

  test("then exemptions, per-namespace scores and the top fixes with what to fix", () => {
    const table = renderReport(report, "table");
    expect(table).toContain("Exempt findings            : 1");
    expect(table).toMatch(/NAMESPACE\s+PODS\s+VIOLATIONS\s+SCORE\s+STATUS\nshop\s+2\s+5\s+78\s+Stable/);
    expect(table).toMatch(/\+22\.0\s+pod\/shop\/bad\s+pin the image to a version tag or a digest \(main\); add a livenessProbe \(main\)/);
  });

  test("--top 0 turns the list off and says how many workloads it leaves out, not that there is nothing to fix", () => {
    const table = renderReport(report, "table", { top: 0 });
    expect(table).toContain("TOP FIXES off (--top 0): 1 workload(s) with violations not listed (-o json lists them all)");
    expect(table).not.toContain("No violations to fix.");
  });
});

describe("json and yaml", () => {
  test("summary counters keep the reference's names", () => {
    const doc = JSON.parse(renderReport(report, "json"));
    expect(doc.kind).toBe("AnalysisReport");
    expect(doc.summary).toMatchObject({ total_pods: 2, latest_tag: 1, missing_liveness: 1, missing_readiness: 1, high_restarts: 5, pending: 1, violations: 5, exempt: 1, score: 78, classification: "Stable" });
    expect(doc.workloads[0].findings.length).toBe(5);
    expect(parse(renderReport(report, "yaml"))).toEqual(doc);
  });
});

describe("sarif", () => {
  test("one rule per check, results located at file:line, exempt findings suppressed", () => {
    const sarif = JSON.parse(renderReport(report, "sarif"));
    expect(sarif.version).toBe("2.1.0");
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(DEFAULT_CHECK_SET.ids);
    expect(run.results.length).toBe(6);
    const restarts = run.results.find((r: { ruleId: string }) => r.ruleId === "high_restarts");
    expect(restarts.level).toBe("error");
    expect(restarts.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: "snap.yaml" }, region: { startLine: 3 } });
    const suppressed = run.results.filter((r: { suppressions?: unknown }) => r.suppressions);
    expect(suppressed.length).toBe(1);
    expect(suppressed[0].locations[0].physicalLocation.region.startLine).toBe(40);
  });

  test("findings read from stdin are located logically only: there is no file for code scanning to open", () => {
    const piped = analyzeObjects([{ object: makePod({ name: "bad", namespace: "shop", image: "x:latest" }), file: STDIN_NAME, line: 1 }], {
      checkSet: DEFAULT_CHECK_SET,
      now: NOW,
      exemptions: true,
      source: "reference defaults",
      scoreTemplates: true,
    });
    const results = JSON.parse(renderReport(piped, "sarif")).runs[0].results as Array<{ locations: Array<Record<string, unknown>> }>;
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.locations[0]?.physicalLocation).toBeUndefined();
      expect(r.locations[0]?.logicalLocations).toEqual([expect.objectContaining({ kind: "resource" })]);
    }
  });
});

describe("junit", () => {
  test("a suite per workload, a case per check; failures and skips counted", () => {
    const xml = renderReport(report, "junit");
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="kube-devops analyze" tests="10" failures="5" errors="0" skipped="1">/);
    expect([...xml.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1])).toEqual(["pod/shop/bad", "pod/shop/ok"]);
    expect(xml).toContain('<failure message="container &apos;main&apos; has 5 restarts (threshold: 3)" type="critical">');
    expect(xml.match(/<testcase /g)?.length).toBe(10);
    expect(xml.trimEnd().endsWith("</testsuites>")).toBe(true);
  });
});

describe("junit: every scored workload, valid XML whatever the names", () => {
  const analyze = (objects: ReturnType<typeof makePod>[]) =>
    analyzeObjects(objects.map((object, i) => ({ object, file: "in.yaml", line: i + 1 })), { checkSet: DEFAULT_CHECK_SET, now: NOW, exemptions: true, source: "reference defaults", scoreTemplates: true });

  test("a compliant input is one passing suite per workload, not tests=\"0\" (which Jenkins fails)", () => {
    const xml = renderReport(analyze([makePod({ name: "b", namespace: "shop", image: "app:1.0" }), makePod({ name: "a", namespace: "shop", image: "app:1.0" })]), "junit");
    expect(xml).toContain('<testsuites name="kube-devops analyze" tests="10" failures="0" errors="0" skipped="0">');
    expect([...xml.matchAll(/<testsuite name="([^"]+)" tests="5" failures="0"/g)].map((m) => m[1])).toEqual(["pod/shop/a", "pod/shop/b"]);
    expect(xml).toContain('    <testcase name="missing_liveness" classname="pod/shop/a"/>');
  });

  test("workloads with findings come first, then the passing ones; every one of a workload's pods counts once", () => {
    const xml = renderReport(analyze([makePod({ name: "ok", namespace: "shop", image: "app:1.0" }), makePod({ name: "bad", namespace: "shop", image: "x:latest" })]), "junit");
    expect([...xml.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1])).toEqual(["pod/shop/bad", "pod/shop/ok"]);
    expect(xml).toMatch(/<testsuites [^>]*tests="10" failures="1"/);
  });

  const hostile = "ev\u0000il\u001b[31m\u0007<&>\"'\ttab\nline\u2028\ud800";

  test("characters XML 1.0 forbids become visible escapes; markup, tabs and breaks in attributes are references", () => {
    const xml = renderReport(analyze([makePod({ name: hostile, namespace: "shop", image: "x:latest" })]), "junit");
    const name = "pod/shop/ev\\x00il\\x1b[31m\\x07&lt;&amp;&gt;&quot;&apos;&#9;tab&#10;line\\u2028\\ud800";
    expect(xml).toContain(`<testsuite name="${name}" `);
    // XML 1.0 Char: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, supplementary planes (as pairs).
    expect(xml).not.toMatch(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/u);
  });

  test.skipIf(!Bun.which("python3"))("an XML parser reads the document back, names intact", () => {
    const xml = renderReport(analyze([makePod({ name: hostile, namespace: "shop", image: "x:latest" }), makePod({ name: "ok", namespace: "shop", image: "a:1" })]), "junit");
    const script = "import sys, xml.etree.ElementTree as E\nr = E.fromstring(sys.stdin.buffer.read())\nprint(r.get('tests'), [s.get('name') for s in r])";
    const result = Bun.spawnSync(["python3", "-c", script], { stdin: new TextEncoder().encode(xml), stdout: "pipe", stderr: "pipe" });
    expect(result.stderr.toString()).toBe("");
    expect(result.stdout.toString().trim()).toBe(String.raw`10 ['pod/shop/ev\\x00il\\x1b[31m\\x07<&>"\'\ttab\nline\\u2028\\ud800', 'pod/shop/ok']`);
  });

  test("the table shows control characters as escapes: no raw ESC, no broken rows", () => {
    const table = renderReport(analyze([makePod({ name: hostile, namespace: "sh\nop", image: "x:latest" })]), "table");
    expect(table).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029]/);
    expect(table).toContain("sh\\x0aop  ");
    expect(table).toContain("pod/sh\\x0aop/ev\\x00il\\x1b[31m\\x07<&>\"'\\x09tab\\x0aline\\u2028\\ud800  ");
  });
});

describe("gates", () => {
  test("--fail-on counts scored findings at or above the severity", () => {
    expect(countAtOrAbove(countBySeverity(report), "critical")).toBe(1);
    expect(countAtOrAbove(countBySeverity(report), "high")).toBe(2);
    expect(countAtOrAbove(countBySeverity(report), "low")).toBe(5);
    expect(countBySeverity(report)).toEqual({ critical: 1, high: 1, medium: 2, low: 1 });
  });

  test("--fail-on over counts (multi-cluster's path): exit 3 naming where, else nothing; a bad value is a usage error", () => {
    const counts = { critical: 0, high: 1, medium: 0, low: 4 };
    expect(() => enforceFailOn(counts, "critical")).not.toThrow();
    expect(() => enforceFailOn(counts, "high", "east")).toThrow("1 violation(s) at or above severity high (--fail-on high) in east");
    let code = 0;
    try {
      enforceFailOn(counts, "low");
    } catch (e) {
      code = (e as KubeDevopsError).exitCode;
    }
    expect(code).toBe(3);
    expect(parseFailOn(undefined)).toBeUndefined();
    expect(parseFailOn("medium")).toBe("medium");
    expect(() => parseFailOn("severe")).toThrow('Invalid --fail-on "severe"');
  });

  test("violations give POLICY_VIOLATION (exit 3), a low score SCORE_BELOW (exit 4), else nothing", () => {
    const codeOf = (f: () => void) => {
      try {
        f();
        return 0;
      } catch (e) {
        return (e as KubeDevopsError).exitCode;
      }
    };
    expect(codeOf(() => enforceGates(report, { failOn: "critical" }))).toBe(3);
    expect(codeOf(() => enforceGates(report, { minScore: 79 }))).toBe(4);
    expect(codeOf(() => enforceGates(report, { minScore: 78 }))).toBe(0);
    expect(codeOf(() => enforceGates(report, {}))).toBe(0);
  });
});
