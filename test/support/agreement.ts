/**
 * Holds our checks to other tools' published verdicts (test/analysis/other-tools-agreement.test.ts):
 * what a case is, how another tool's check maps onto ours, how our engine judges a case, and
 * the summary that docs/agreement.md carries.
 */
import { buildCheckSet } from "../../lib/checks/check-set.ts";
import { CHECKS, type ContainerCheckId } from "../../lib/checks/registry.ts";
import { analyzeObjects, type LocatedFinding } from "../../lib/analysis/build-report.ts";
import type { SourcedObject } from "../../lib/manifests/parse-manifests.ts";

export type Tool = "Polaris" | "kube-score" | "Kyverno" | "Gatekeeper";
export const TOOLS: readonly Tool[] = ["Polaris", "kube-score", "Kyverno", "Gatekeeper"];
export type Verdict = "pass" | "fail";

/**
 * What another tool's check means in our terms, written as our check ids:
 * - `missing_limits[memory]`: the check, restricted to the resources named (a finding counts
 *   when its message lists one of them: `missing resource limits (cpu, memory)`);
 * - `a|b`: fails when any part fails (Gatekeeper's required probes, Kyverno's requests + limits);
 * - `a&b`: fails when one container fails every part (Kyverno's "some probe on every container").
 */
export type MappedCheck = string;

export interface Case {
  tool: Tool;
  /** Corpus-relative path; `#…` names the object of the file, or the upstream test when several share it. */
  fixture: string;
  check: MappedCheck;
  /** The other tool's published verdict. */
  expected: Verdict;
  /** What our engine judges: the fixture's objects, or the one the verdict is about. */
  objects: SourcedObject[];
}

export interface Outcome {
  case: Case;
  ours: Verdict;
}

interface Part {
  check: ContainerCheckId;
  resources: readonly string[] | undefined;
}

const CONTAINER_CHECKS: ReadonlySet<string> = new Set(CHECKS.filter((c) => c.scope === "container").map((c) => c.id));
const RESOURCE_CHECKS: ReadonlySet<string> = new Set(["missing_requests", "missing_limits"]);

/** Parses a mapped check; throws on anything that is not one of our container checks. */
export function parseMappedCheck(check: MappedCheck): { parts: Part[]; sameContainer: boolean } {
  const sameContainer = check.includes("&");
  if (sameContainer && check.includes("|")) throw new Error(`mapped check mixes | and &: ${check}`);
  const parts = check.split(sameContainer ? "&" : "|").map((raw): Part => {
    const m = /^([a-z_]+)(?:\[([a-z,]+)\])?$/.exec(raw);
    const id = m?.[1];
    if (!m || !id || !CONTAINER_CHECKS.has(id)) throw new Error(`unknown check in mapped check: ${check}`);
    if (m[2] !== undefined && !RESOURCE_CHECKS.has(id)) throw new Error(`resources on a check without resources: ${check}`);
    return { check: id as ContainerCheckId, resources: m[2]?.split(",") };
  });
  return { parts, sameContainer };
}

/** The resources a resource finding names: `… missing resource requests (cpu, memory)`. */
function resourcesOf(f: LocatedFinding): string[] {
  const m = /\(([a-z, ]+)\)$/.exec(f.message);
  if (!m?.[1]) throw new Error(`resource finding without a resource list: ${f.message}`);
  return m[1].split(", ");
}

function matches(part: Part, f: LocatedFinding): boolean {
  if (f.check !== part.check) return false;
  const wanted = part.resources;
  return wanted === undefined || resourcesOf(f).some((r) => wanted.includes(r));
}

const NOW = Date.parse("2026-01-01T00:00:00Z");

/**
 * Our verdict on a case: offline analysis (pods as pods, controllers by their pod template) with
 * exactly the mapped checks enabled and exemptions off, then the findings read through the mapping.
 */
export function judge(c: Case): Verdict {
  const { parts, sameContainer } = parseMappedCheck(c.check);
  const checkSet = buildCheckSet(parts.map((p) => p.check));
  const report = analyzeObjects(c.objects, { checkSet, now: NOW, exemptions: false, source: "agreement", scoreTemplates: true });
  const findings = report.workloads.flatMap((w) => w.findings);
  if (!sameContainer) return findings.some((f) => parts.some((p) => matches(p, f))) ? "fail" : "pass";
  const byContainer = new Map<string, LocatedFinding[]>();
  for (const f of findings) {
    const key = `${f.workload}\u0000${f.pod}\u0000${f.container}`;
    byContainer.set(key, [...(byContainer.get(key) ?? []), f]);
  }
  for (const own of byContainer.values()) if (parts.every((p) => own.some((f) => matches(p, f)))) return "fail";
  return "pass";
}

/** The table key of a case: tool, fixture and mapped check. */
export function caseKey(c: { tool: Tool; fixture: string; check: MappedCheck }): string {
  return `${c.tool} ${c.fixture} ${c.check}`;
}

export interface Deliberate {
  tool: Tool;
  fixture: string;
  check: MappedCheck;
  /** Our verdict (the other tool's is the opposite). */
  ours: Verdict;
  /** Why, pointing at the decision that explains it. */
  reason: string;
}

/** A case left out of the comparison, with why; without `check`, every case of the fixture. */
export interface Exclusion {
  tool: Tool;
  fixture: string;
  check?: MappedCheck;
  reason: string;
}

/** True when `e` leaves out case `c`. */
export function excludes(e: Exclusion, c: Case): boolean {
  return e.tool === c.tool && e.fixture === c.fixture && (e.check === undefined || e.check === c.check);
}

/** Bullets grouped by reason, in first-seen order: `- reason` then one nested line per case. */
function byReason<T extends { reason: string }>(entries: readonly T[], line: (e: T) => string): string[] {
  if (entries.length === 0) return ["- none"];
  const groups = new Map<string, T[]>();
  for (const e of entries) groups.set(e.reason, [...(groups.get(e.reason) ?? []), e]);
  return [...groups].flatMap(([reason, own]) => [`- ${reason}`, ...own.map((e) => `  - ${line(e)}`)]);
}

const disagreement = (d: Deliberate): string => `${d.tool} \`${d.fixture}\` \`${d.check}\`: they ${d.ours === "pass" ? "fail" : "pass"}, we ${d.ours}`;
const exclusion = (e: Exclusion): string => `${e.tool} \`${e.fixture}\`${e.check === undefined ? "" : ` \`${e.check}\``}`;

/**
 * The generated part of docs/agreement.md: cases and agreements per tool and mapped check, then
 * the deliberate and unexplained disagreements and the cases not compared, each with its reason.
 * The test holds the doc to this text.
 */
export function renderSummary(
  outcomes: readonly Outcome[],
  tables: { deliberate: readonly Deliberate[]; unexplained: readonly Deliberate[]; excluded: readonly Exclusion[] },
): string {
  const rows = new Map<string, { tool: Tool; check: MappedCheck; cases: number; agree: number }>();
  for (const o of outcomes) {
    const key = `${TOOLS.indexOf(o.case.tool)}\u0000${o.case.check}`;
    const row = rows.get(key) ?? { tool: o.case.tool, check: o.case.check, cases: 0, agree: 0 };
    row.cases++;
    if (o.ours === o.case.expected) row.agree++;
    rows.set(key, row);
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => r);
  const agree = outcomes.filter((o) => o.ours === o.case.expected).length;
  // A `|` in a table cell ends the cell, even inside backticks (GitHub-flavoured Markdown).
  const cell = (check: MappedCheck) => `\`${check.replaceAll("|", "\\|")}\``;
  return [
    "| tool | their check, as ours | cases | agree | disagree |",
    "|---|---|---:|---:|---:|",
    ...sorted.map((r) => `| ${r.tool} | ${cell(r.check)} | ${r.cases} | ${r.agree} | ${r.cases - r.agree} |`),
    `| **all** | | **${outcomes.length}** | **${agree}** | **${outcomes.length - agree}** |`,
    "",
    "Deliberate disagreements, by reason:",
    "",
    ...byReason(tables.deliberate, disagreement),
    "",
    "Unexplained disagreements (no decision covers them yet):",
    "",
    ...byReason(tables.unexplained, disagreement),
    "",
    "Not compared (the verdict is not about what our check asks):",
    "",
    ...byReason(tables.excluded, exclusion),
  ].join("\n");
}
