/**
 * Every YAML/JSON file of the shared corpus goes through offline analysis
 * without a crash; the one intentionally invalid file gives a clean INPUT
 * error naming it. Runs the pure pipeline per file, then the CLI once on the
 * whole corpus.
 */
import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { analyzeObjects } from "../../lib/analysis/build-report.ts";
import { checkSetFromPolicy, DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { KubeDevopsError } from "../../lib/errors.ts";
import { parseManifests } from "../../lib/manifests/parse-manifests.ts";
import { requireBundle } from "../../lib/policy/bundles.ts";
import { runBinary } from "../support/binary.ts";

const CORPUS = "/work/shared/corpus";
const INVALID = "polaris/pkg/kube/test_files/test_3/bad.yaml";
const files = existsSync(CORPUS) ? [...new Glob("**/*.{yaml,yml,json}").scanSync({ cwd: CORPUS, dot: true })].sort() : [];
const strict = checkSetFromPolicy({ ...requireBundle("restricted").spec, requireResourceRequests: true, requireResourceLimits: true });

describe.skipIf(files.length === 0)("shared corpus", () => {
  test("every file is analyzed offline without a crash; only the invalid one errors, naming itself", () => {
    const failures: string[] = [];
    let units = 0;
    for (const file of files) {
      try {
        const objects = parseManifests(readFileSync(join(CORPUS, file), "utf8"), file);
        for (const checkSet of [DEFAULT_CHECK_SET, strict]) {
          const r = analyzeObjects(objects, { checkSet, now: Date.parse("2026-01-01T00:00:00Z"), exemptions: true, source: "test", scoreTemplates: true });
          expect(r.score).toBeGreaterThanOrEqual(0);
          expect(r.score).toBeLessThanOrEqual(100);
          if (checkSet === strict) units += r.tally.pods;
        }
      } catch (err) {
        if (!(err instanceof KubeDevopsError) || err.code !== "INPUT" || !err.message.startsWith(`${file}:`)) throw err;
        failures.push(file);
      }
    }
    expect(failures).toEqual([INVALID]);
    expect(files.length).toBeGreaterThan(1500);
    expect(units).toBeGreaterThan(1500);
  });

  test("the CLI on the invalid file exits 1 and names file and line", () => {
    const { code, stderr, stdout } = runBinary(["analyze", "-f", join(CORPUS, INVALID)]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(new RegExp(`error: ${join(CORPUS, INVALID).replace(/[.]/g, "\\.")}:\\d+:\\d+: invalid YAML`));
  });
});
