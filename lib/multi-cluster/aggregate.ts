/**
 * @module
 * Multi-cluster governance, pure: the reference's aggregate (pod-weighted mean
 * of cluster scores, floored; 100 when nothing was evaluated), findings per
 * severity summed over the clusters, and the text the commands print.
 */
import { enforceFailOn } from "../analysis/render-report.ts";
import { countAtOrAbove, emptySeverityCounts, type SeverityCounts } from "../checks/severity.ts";
import { KubeDevopsError } from "../errors.ts";
import { SEVERITIES, type Severity } from "../policy/schema.ts";
import { classify, type Classification } from "../score.ts";

export interface ClusterResult {
  context: string;
  server: string;
  /** Present when the cluster was analyzed. */
  score?: number;
  pods?: number;
  violations?: number;
  classification?: Classification;
  /** Scored findings per severity, as the bundle's severityOverrides set them. */
  bySeverity?: SeverityCounts;
  /** Present when it failed: what went wrong, naming the context. */
  error?: string;
}

export interface Aggregate {
  score: number;
  classification: Classification;
  /** Clusters that were analyzed (failed ones do not count). */
  clusters: number;
  pods: number;
  violations: number;
  bySeverity: SeverityCounts;
}

/** `floor(Σ score·pods / Σ pods)` over the analyzed clusters; 100 when they hold no pods. */
export function aggregateClusters(results: readonly ClusterResult[]): Aggregate {
  let weighted = 0;
  let pods = 0;
  let violations = 0;
  let clusters = 0;
  const bySeverity = emptySeverityCounts();
  for (const r of results) {
    if (r.score === undefined || r.error !== undefined) continue;
    clusters++;
    weighted += r.score * (r.pods ?? 0);
    pods += r.pods ?? 0;
    violations += r.violations ?? 0;
    for (const s of SEVERITIES) bySeverity[s] += r.bySeverity?.[s] ?? 0;
  }
  const score = pods === 0 ? 100 : Math.floor(weighted / pods);
  return { score, classification: classify(score), clusters, pods, violations, bySeverity };
}

/** The reference's per-cluster table (CLUSTER 30, SCORE 6, PODS 6, VIOLATIONS 12, STATUS). */
export function renderPerClusterTable(results: readonly ClusterResult[]): string {
  const lines = [`${"CLUSTER".padEnd(30)}${"SCORE".padStart(6)}${"PODS".padStart(6)}${"VIOLATIONS".padStart(12)} STATUS`, "-".repeat(75)];
  for (const r of results) {
    if (r.error !== undefined) lines.push(`${r.context.padEnd(30)}${"-".padStart(6)}${"-".padStart(6)}${"-".padStart(12)} ERROR`);
    else lines.push(`${r.context.padEnd(30)}${String(r.score).padStart(6)}${String(r.pods).padStart(6)}${String(r.violations).padStart(12)} ${r.classification}`);
  }
  return `${lines.join("\n")}\n\n`;
}

const SEVERITY_WIDTH: Readonly<Record<Severity, number>> = { critical: 9, high: 7, medium: 8, low: 7 };

/**
 * Not the reference's: the findings of each cluster per severity, a second
 * table under its per-cluster table so that table's lines stay as they were.
 */
export function renderSeverityTable(results: readonly ClusterResult[]): string {
  const row = (name: string, cell: (s: Severity) => string) => `${name.padEnd(30)}${SEVERITIES.map((s) => cell(s).padStart(SEVERITY_WIDTH[s])).join("")}`;
  const lines = [row("CLUSTER", (s) => s.toUpperCase()), "-".repeat(75)];
  for (const r of results) {
    const counts = r.error === undefined ? r.bySeverity : undefined;
    lines.push(row(r.context, (s) => (counts ? String(counts[s]) : "-")));
  }
  return `${lines.join("\n")}\n\n`;
}

/** Not the reference's: `Findings by severity: critical <n>, high <n>, medium <n>, low <n>`, over the analyzed clusters. */
export function renderSeverityLine(aggregate: Aggregate): string {
  return `Findings by severity: ${SEVERITIES.map((s) => `${s} ${aggregate.bySeverity[s]}`).join(", ")}\n`;
}

/** `Aggregate: <Class> — score <s>/100 across <n> cluster(s)` (em dash, as the reference). */
export function renderAggregateLine(aggregate: Aggregate): string {
  return `Aggregate: ${aggregate.classification} \u2014 score ${aggregate.score}/100 across ${aggregate.clusters} cluster(s)\n`;
}

export interface ContextRow {
  name: string;
  current: boolean;
  /** Undefined when not probed. */
  status?: string;
}

/** CONTEXT (40) + STATUS, 55 dashes, rows, then `<n> context(s) found.` */
export function renderContextList(rows: readonly ContextRow[]): string {
  if (rows.length === 0) return "No kubeconfig contexts found.\n";
  const lines = [`${"CONTEXT".padEnd(40)} STATUS`, "-".repeat(55)];
  for (const r of rows) lines.push(`${`${r.current ? "* " : ""}${r.name}`.padEnd(40)} ${r.status ?? "(not probed; use --probe)"}`);
  return `${lines.join("\n")}\n\n${rows.length} context(s) found.\n`;
}

/**
 * `--fail-on` and `--min-score` over the clusters that were analyzed, as `analyze` judges one:
 * POLICY_VIOLATION (exit 3) naming the clusters with a finding at or above the severity, then
 * SCORE_BELOW (exit 4) naming each cluster below the score with its score. The score is judged
 * per cluster: the aggregate is pod-weighted, so a small cluster at 40 would hide behind a large
 * one at 95.
 */
export function enforceClusterGates(results: readonly ClusterResult[], aggregate: Aggregate, gates: { failOn?: Severity | undefined; minScore?: number | undefined }): void {
  const { failOn, minScore } = gates;
  const below = minScore === undefined ? [] : results.filter((r) => r.score !== undefined && r.score < minScore);
  const scoreBelow = below.length > 0 ? `score below --min-score ${minScore} in ${below.map((r) => `${r.context} (${r.score})`).join(", ")}` : undefined;
  if (failOn) {
    const over = results.filter((r) => r.bySeverity && countAtOrAbove(r.bySeverity, failOn) > 0).map((r) => r.context);
    enforceFailOn(aggregate.bySeverity, failOn, over.join(", "), scoreBelow);
  }
  if (scoreBelow !== undefined) throw new KubeDevopsError("SCORE_BELOW", scoreBelow);
}
