/**
 * @module
 * `bun run bench`: runs every bench script (each prints one BenchResult JSON on
 * stdout), then writes bench/results/results.json, bench/results/REPORT.md and
 * SVG charts. Every figure is a ratio to a baseline measured in the same run,
 * with absolute numbers for context. Not part of `bun test`.
 *
 *   bun run bench              # every default script
 *   bun run bench binary       # only the named scripts; every other section keeps its last results
 *   bun run bench soak         # the soak (optional: never in the default run)
 *
 * Each section of the report carries the date it was measured; a section not re-measured by this
 * run is kept from results.json, and REPORT.md says which sections this run re-measured.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { arch, cpus, totalmem } from "node:os";
import { mergeResults, renderReport, type StoredResults } from "./lib/report.ts";
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

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const known: readonly string[] = [...SCRIPTS, ...OPTIONAL];
  const scripts = wanted.length ? known.filter((s) => wanted.includes(s)) : [...SCRIPTS];
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length) throw new Error(`unknown bench ${unknown.join(", ")}; known: ${known.join(", ")}`);
  const when = new Date().toISOString();
  const fresh: BenchResult[] = [];
  for (const s of scripts) fresh.push(await runScript(s));
  const previous = existsSync(join(OUT, "results.json")) ? (JSON.parse(readFileSync(join(OUT, "results.json"), "utf8")) as StoredResults) : undefined;
  const results = mergeResults(previous, fresh, when, known);
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
  writeFileSync(join(OUT, "results.json"), `${JSON.stringify({ when, results } satisfies StoredResults, null, 2)}\n`);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"} · ${Math.round(totalmem() / 2 ** 30)} GiB · ${arch()} · Bun ${Bun.version}`;
  writeFileSync(join(OUT, "REPORT.md"), renderReport(results, charts, when, machine, OPTIONAL));
  console.error(`bench: wrote ${join("bench", "results", "REPORT.md")}`);
}

await main();
