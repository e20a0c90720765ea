/**
 * @module
 * SARIF 2.1.0 for GitHub code scanning: one rule per enabled check, one result
 * per finding located at its file:line (offline) or logically at its workload
 * (live). Exempt findings carry an in-source suppression with the reason.
 */
import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { CHECK_BY_ID } from "../checks/registry.ts";
import { STDIN_NAME } from "../manifests/parse-manifests.ts";
import type { Severity } from "../policy/schema.ts";
import { VERSION } from "../version.ts";
import type { AnalysisReport } from "./build-report.ts";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note" };

/** The base GitHub code scanning resolves relative artifact URIs against: the repository checkout. */
export const SRCROOT = "%SRCROOT%";

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/**
 * A SARIF artifactLocation for `file` as given on the command line: relative to `cwd` with
 * uriBaseId %SRCROOT% when it is under `cwd` (code scanning maps those to the repository),
 * else an absolute file:// URI. Without `cwd` the path is kept as given.
 */
export function artifactLocation(file: string, cwd: string | undefined): { uri: string; uriBaseId?: string } {
  if (cwd === undefined) return { uri: encodePath(file) };
  const path = resolve(cwd, file);
  const rel = relative(cwd, path);
  if (rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) return { uri: encodePath(rel.split(sep).join("/")), uriBaseId: SRCROOT };
  return { uri: pathToFileURL(path).href };
}

/** The SARIF log as plain data; `cwd` makes file locations relative to it (%SRCROOT%). */
export function renderSarif(report: AnalysisReport, cwd?: string) {
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
            ? { physicalLocation: { artifactLocation: artifactLocation(f.file, cwd), region: { startLine: f.line ?? 1 } } }
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
        // SARIF 3.14.14: the base's own URI is absolute and ends with a slash.
        ...(cwd === undefined ? {} : { originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(cwd.endsWith(sep) ? cwd : `${cwd}${sep}`).href } } }),
        results,
        properties: { score: report.score, classification: report.classification },
      },
    ],
  };
}
