/**
 * @module
 * What `bun run bench` writes, as pure functions: the results of a run merged into the stored
 * ones (a subset run re-measures only its sections), and REPORT.md rendered from them.
 */
import { ANCHORS } from "../anchors.ts";
import type { BenchResult } from "./result.ts";

/** bench/results/results.json: the time of the last run and every section's result. */
export interface StoredResults {
  when: string;
  results: BenchResult[];
}

/**
 * The sections after a run at `when`: each `fresh` result, dated `when`, and every other
 * section of `order` kept from `previous` with the date it was measured (results stored before
 * sections were dated take the stored run's time). Sections come in `order`; a stored section
 * whose script no longer exists is dropped.
 */
export function mergeResults(previous: StoredResults | undefined, fresh: readonly BenchResult[], when: string, order: readonly string[]): BenchResult[] {
  const byName = new Map<string, BenchResult>();
  for (const r of previous?.results ?? []) byName.set(r.name, { ...r, measured: r.measured ?? previous?.when });
  for (const r of fresh) byName.set(r.name, { ...r, measured: when });
  return order.flatMap((name) => byName.get(name) ?? []);
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? String(Math.round(n)) : String(Number(n.toPrecision(3)));
}

/**
 * REPORT.md: one section per result, the charts by `<name>:<series title>`, then the published
 * anchors. `optional` sections (the soak) are not part of a full run, so keeping an earlier one
 * does not make a full run partial.
 */
export function renderReport(results: readonly BenchResult[], charts: ReadonlyMap<string, string>, when: string, machine: string, optional: readonly string[] = []): string {
  const rerun = results.filter((r) => r.measured === when);
  const kept = results.filter((r) => r.measured !== when && !optional.includes(r.name));
  const lines = [
    "# kube-devops benchmark report",
    "",
    `Run: ${when} · ${machine}`,
    "",
    "Every figure is measured against a baseline in the same run on the same machine; the ratio is the number to quote.",
    "",
  ];
  if (kept.length > 0) {
    const names = rerun.length > 0 ? rerun.map((r) => `\`${r.name}\``).join(", ") : "none";
    lines.push(`This run re-measured ${names} only; every other section is kept from an earlier run, dated under its heading.`, "");
  }
  for (const r of results) {
    lines.push(`## ${r.title}`, "");
    if (r.measured !== undefined) lines.push(`Measured: ${r.measured}${r.measured === when ? " (this run)" : " (an earlier run; not re-measured in this one)"}`, "");
    lines.push(`Setup: ${r.setup}`, "", "| figure | value | baseline | ratio | target |", "|---|---|---|---|---|");
    for (const f of r.figures) {
      const base = f.baseline ? `${fmt(f.baseline.value)} ${f.unit} (${f.baseline.label})` : "";
      const ratio = f.ratio === undefined ? "" : `${fmt(f.ratio)}${f.ratioMeaning ? ` (${f.ratioMeaning})` : ""}`;
      const target = f.target ? `${f.target} ${f.met === undefined ? "" : f.met ? "✅" : "❌"}` : "";
      lines.push(`| ${f.label} | ${fmt(f.value)} ${f.unit} | ${base} | ${ratio} | ${target} |`);
    }
    for (const s of r.series ?? []) {
      const file = charts.get(`${r.name}:${s.title}`);
      if (file) lines.push("", `![${s.title}](${file})`);
    }
    if (r.notes?.length) lines.push("", ...r.notes.map((n) => `- ${n}`));
    lines.push("");
  }
  lines.push("## Published numbers of other tools (their setups, not ours)", "", "| tool | figure | value | setup | source |", "|---|---|---|---|---|");
  for (const a of ANCHORS) lines.push(`| ${a.tool} | ${a.figure} | ${a.value} | ${a.setup} | ${a.source} |`);
  lines.push("", "Their numbers are end to end through a real API server on much larger machines; ours isolate the component on 2 cores. Compare orders of magnitude, not digits.", "");
  return lines.join("\n");
}
