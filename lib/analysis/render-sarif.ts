/**
 * @module
 * SARIF 2.1.0 for GitHub code scanning: one rule per enabled check, one result
 * per finding located at its file:line (offline) or logically at its workload
 * (live). Exempt findings carry an in-source suppression with the reason.
 */
import { CHECK_BY_ID } from "../checks/registry.ts";
import { STDIN_NAME } from "../manifests/parse-manifests.ts";
import type { Severity } from "../policy/schema.ts";
import { VERSION } from "../version.ts";
import type { AnalysisReport } from "./build-report.ts";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note" };

/** Maps a path to a SARIF artifact URI (relative paths stay relative; stdin has none). */
function artifactUri(file: string): string {
  return file.split("/").map(encodeURIComponent).join("/");
}

/** The SARIF log as plain data. */
export function renderSarif(report: AnalysisReport) {
  const rules = report.checks.map((id) => {
    const c = CHECK_BY_ID[id];
    return {
      id,
      name: id,
      shortDescription: { text: c.title },
      help: { text: `Fix: ${c.fix}` },
      defaultConfiguration: { level: LEVEL[c.defaultSeverity] },
      properties: { weight: c.weight, severity: c.defaultSeverity },
    };
  });
  const results = report.workloads.flatMap((w) =>
    w.findings.map((f) => ({
      ruleId: f.check,
      ruleIndex: report.checks.indexOf(f.check),
      level: LEVEL[f.severity],
      message: { text: `${w.key}: ${f.message}` },
      locations: [
        {
          // stdin is no file in the repository: code scanning would look for one named "<stdin>"
          ...(f.file !== undefined && f.file !== STDIN_NAME
            ? { physicalLocation: { artifactLocation: { uri: artifactUri(f.file) }, region: { startLine: f.line ?? 1 } } }
            : {}),
          logicalLocations: [{ fullyQualifiedName: `${w.key}${f.container ? `/${f.container}` : ""}`, kind: "resource" }],
        },
      ],
      properties: { severity: f.severity, pod: f.pod, namespace: f.namespace, container: f.container },
      ...(f.exempt ? { suppressions: [{ kind: "inSource", justification: f.exemptReason ?? "devops.stochastic.io/exempt annotation" }] } : {}),
    })),
  );
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "kube-devops", version: VERSION, informationUri: "https://github.com/stochasticquant/kube-devops", rules } },
        results,
        properties: { score: report.score, classification: report.classification },
      },
    ],
  };
}
