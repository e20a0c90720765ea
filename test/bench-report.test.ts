/**
 * `bun run bench <name>`: the named sections are re-measured, every other one is kept from
 * results.json with the date it was measured, and REPORT.md says which is which. Pure: no bench runs.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mergeResults, renderReport, type StoredResults } from "../bench/lib/report.ts";
import type { BenchResult } from "../bench/lib/result.ts";
import { ROOT } from "./support/binary.ts";

const ORDER = ["binary", "webhook", "watch-scale", "soak"];
const EARLIER = "2026-11-26T02:50:55.185Z";
const NOW = "2026-12-01T10:00:00.000Z";

function section(name: string, value: number, measured?: string): BenchResult {
  return { name, title: `${name} title`, setup: `${name} setup`, figures: [{ label: `${name} figure`, value, unit: "ms" }], ...(measured ? { measured } : {}) };
}

describe("mergeResults", () => {
  const stored: StoredResults = { when: EARLIER, results: [section("binary", 1), section("webhook", 2), section("watch-scale", 3)] };

  test("a subset run replaces only its sections; the others keep their figures and the stored run's date", () => {
    const merged = mergeResults(stored, [section("webhook", 20)], NOW, ORDER);
    expect(merged.map((r) => [r.name, r.figures[0]?.value, r.measured])).toEqual([
      ["binary", 1, EARLIER],
      ["webhook", 20, NOW],
      ["watch-scale", 3, EARLIER],
    ]);
  });

  test("a section keeps its own date across later subset runs", () => {
    const afterWebhook: StoredResults = { when: NOW, results: mergeResults(stored, [section("webhook", 20)], NOW, ORDER) };
    const later = "2026-12-02T08:00:00.000Z";
    const merged = mergeResults(afterWebhook, [section("soak", 9)], later, ORDER);
    expect(merged.map((r) => [r.name, r.measured])).toEqual([
      ["binary", EARLIER],
      ["webhook", NOW],
      ["watch-scale", EARLIER],
      ["soak", later],
    ]);
  });

  test("sections come in script order; a stored section whose script is gone is dropped; nothing stored is fine", () => {
    const withGone: StoredResults = { when: EARLIER, results: [section("renamed", 5), section("watch-scale", 3)] };
    expect(mergeResults(withGone, [section("binary", 1)], NOW, ORDER).map((r) => r.name)).toEqual(["binary", "watch-scale"]);
    expect(mergeResults(undefined, [section("webhook", 2), section("binary", 1)], NOW, ORDER).map((r) => [r.name, r.measured])).toEqual([
      ["binary", NOW],
      ["webhook", NOW],
    ]);
  });

  test("the committed results.json survives a run of `binary` alone: every other section unchanged", () => {
    const committed = JSON.parse(readFileSync(join(ROOT, "bench", "results", "results.json"), "utf8")) as StoredResults;
    const names = committed.results.map((r) => r.name);
    expect(names.length).toBeGreaterThan(1);
    const merged = mergeResults(committed, [section("binary", 1)], NOW, names);
    expect(merged.map((r) => r.name)).toEqual(names);
    for (const r of merged.filter((m) => m.name !== "binary")) {
      // kept as stored, dated when it was measured (older files have no date: the file's time)
      const stored = committed.results.find((c) => c.name === r.name) as BenchResult;
      expect(r).toEqual({ ...stored, measured: stored.measured ?? committed.when });
    }
  });
});

describe("renderReport", () => {
  test("a full run that keeps an earlier optional section (the soak) is not called partial", () => {
    const results = mergeResults({ when: EARLIER, results: [section("soak", 3)] }, [section("binary", 1), section("webhook", 2)], NOW, ORDER);
    expect(renderReport(results, new Map(), NOW, "2 × cpu", ["soak"])).not.toContain("This run re-measured");
    expect(renderReport(results, new Map(), NOW, "2 × cpu")).toContain("This run re-measured `binary`, `webhook` only");
  });

  test("a subset run names what it re-measured and dates every section", () => {
    const results = mergeResults({ when: EARLIER, results: [section("binary", 1), section("webhook", 2)] }, [section("webhook", 20)], NOW, ORDER);
    const report = renderReport(results, new Map(), NOW, "2 × cpu");
    expect(report).toContain(`Run: ${NOW} · 2 × cpu`);
    expect(report).toContain("This run re-measured `webhook` only; every other section is kept from an earlier run, dated under its heading.");
    expect(report).toContain(`## binary title\n\nMeasured: ${EARLIER} (an earlier run; not re-measured in this one)\n\nSetup: binary setup`);
    expect(report).toContain(`## webhook title\n\nMeasured: ${NOW} (this run)\n\nSetup: webhook setup`);
    expect(report).toContain("| webhook figure | 20 ms |  |  |  |");
    expect(report).toContain("## Published numbers of other tools");
  });

  test("a run that measured every section has no re-measured line", () => {
    const report = renderReport(mergeResults(undefined, [section("binary", 1), section("webhook", 2)], NOW, ORDER), new Map(), NOW, "2 × cpu");
    expect(report).not.toContain("re-measured");
    expect(report.match(/\(this run\)/g)).toHaveLength(2);
  });
});
