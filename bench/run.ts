/**
 * @module
 * `bun run bench`: runs every bench script (each prints one BenchResult JSON on
 * stdout), then writes bench/results/results.json, bench/results/REPORT.md and
 * SVG charts. Every figure is a ratio to a baseline measured in the same run,
 * with absolute numbers for context. Not part of `bun test`.
 *
 *   bun run bench              # all
 *   bun run bench binary       # only the named scripts
 *   bun run bench soak         # the soak (optional: never in the default run; added to the last report)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { arch, cpus, totalmem } from "node:os";
import { ANCHORS } from "./anchors.ts";
import type { BenchResult } from "./lib/result.ts";
import { renderLineChart } from "./lib/svg-chart.ts";

const ROOT = resolve(import.meta.dir, "..");
const OUT = join(ROOT, "bench", "results");

/** The bench scripts, in the order they run. */
const SCRIPTS = ["binary", "analyze-offline", "webhook", "kube-list-watch", "operator", "watch-scale", "operator-scale"] as const;
/** Scripts that run only when named (minutes long, not part of the default run): `bun run bench soak`. */
const OPTIONAL = ["soak"] as const;

async function runScript(name: string): Promise<BenchResult> {
  console.error(`bench: ${name} ...`);
  const start = performance.now();
  const proc = Bun.spawn(["bun", join("bench", `${name}.ts`)], { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
  const stdout = await new Response(proc.stdout).text();
  const code = await proc.exited;
  if (code !== 0) throw new Error(`bench ${name} exited ${code}`);
  const line = stdout.trim().split("\n").at(-1) ?? "";
  console.error(`bench: ${name} done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return JSON.parse(line) as BenchResult;
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? String(Math.round(n)) : String(Number(n.toPrecision(3)));
}

function renderReport(results: BenchResult[], charts: Map<string, string>, when: string): string {
  const lines = [
    "# kube-devops benchmark report",
    "",
    `Run: ${when} · ${cpus().length} × ${cpus()[0]?.model ?? "cpu"} · ${Math.round(totalmem() / 2 ** 30)} GiB · ${arch()} · Bun ${Bun.version}`,
    "",
    "Every figure is measured against a baseline in the same run on the same machine; the ratio is the number to quote.",
    "",
  ];
  for (const r of results) {
    lines.push(`## ${r.title}`, "", `Setup: ${r.setup}`, "", "| figure | value | baseline | ratio | target |", "|---|---|---|---|---|");
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

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const known: readonly string[] = [...SCRIPTS, ...OPTIONAL];
  const scripts = wanted.length ? known.filter((s) => wanted.includes(s)) : [...SCRIPTS];
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length) throw new Error(`unknown bench ${unknown.join(", ")}; known: ${known.join(", ")}`);
  const fresh: BenchResult[] = [];
  for (const s of scripts) fresh.push(await runScript(s));
  // An optional script alone (the soak) adds its section to the last report instead of replacing it.
  const onlyOptional = scripts.every((s) => (OPTIONAL as readonly string[]).includes(s));
  const previous = onlyOptional && existsSync(join(OUT, "results.json")) ? (JSON.parse(readFileSync(join(OUT, "results.json"), "utf8")) as { results: BenchResult[] }).results : [];
  const results = [...previous.filter((r) => !fresh.some((f) => f.name === r.name)), ...fresh];
  mkdirSync(join(OUT, "charts"), { recursive: true });
  const charts = new Map<string, string>();
  for (const r of results) {
    for (const s of r.series ?? []) {
      const file = `charts/${r.name}-${s.title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}.svg`;
      writeFileSync(join(OUT, file), renderLineChart(s));
      charts.set(`${r.name}:${s.title}`, file);
    }
  }
  // Charts no result draws any more (a renamed series) would linger beside the report.
  const drawn = new Set(charts.values());
  for (const f of readdirSync(join(OUT, "charts"))) if (f.endsWith(".svg") && !drawn.has(`charts/${f}`)) rmSync(join(OUT, "charts", f));
  const when = new Date().toISOString();
  writeFileSync(join(OUT, "results.json"), `${JSON.stringify({ when, results }, null, 2)}\n`);
  writeFileSync(join(OUT, "REPORT.md"), renderReport(results, charts, when));
  console.error(`bench: wrote ${join("bench", "results", "REPORT.md")}`);
}

await main();
