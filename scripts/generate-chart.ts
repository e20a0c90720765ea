/**
 * @module
 * Writes the Helm chart `chart/` from gen/chart (the files on disk are exactly renderChart's),
 * removing files the generator no longer produces.
 *
 *   bun run chart
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { renderChart } from "../gen/chart/render-chart.ts";
import pkg from "../package.json" with { type: "json" };

const ROOT = join(import.meta.dir, "..", "chart");

function listFiles(dir: string): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true, encoding: "utf8" });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [relative(ROOT, join(dir, e.name))]));
}

const files = renderChart(pkg.version);
for (const stale of listFiles(ROOT).filter((f) => !(f in files))) rmSync(join(ROOT, stale));
for (const [path, content] of Object.entries(files)) {
  mkdirSync(dirname(join(ROOT, path)), { recursive: true });
  writeFileSync(join(ROOT, path), content);
}
console.error(`wrote ${Object.keys(files).length} files to chart/`);
