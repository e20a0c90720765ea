/**
 * Every YAML/JSON file of the shared corpus goes through offline analysis
 * without a crash; the one intentionally invalid file, and the six that repeat
 * a mapping key, give a clean INPUT error naming file and line. Runs the pure pipeline per file, then the CLI once on the
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
/** Files that repeat a mapping key (Bun's parser would keep the last silently; kubectl's strict decoding refuses them). */
const REPEATED_KEYS: Record<string, string> = {
  "gitops-engine/pkg/health/testdata/statefulset-ondelete.yaml": ':94:3: invalid YAML: mapping key "updateStrategy" already defined at line 30',
  "holmesgpt/tests/llm/fixtures/test_ask_holmes/120_new_relic_traces2/deployment.yaml": ':222:3: invalid YAML: mapping key "requirements.txt" already defined at line 211',
  "kube-linter/tests/checks/cel.yml": ':36:1: invalid YAML: mapping key "apiVersion" already defined at line 30', // a missing `---`
  "kubernetes-examples/_archived/openshift-origin/etcd-controller.yaml": ':12:3: invalid YAML: mapping key "selector" already defined at line 6',
  "kubernetes-examples/_archived/openshift-origin/etcd-discovery-controller.yaml": ':12:3: invalid YAML: mapping key "selector" already defined at line 6',
  "kubernetes-examples/_archived/openshift-origin/openshift-controller.yaml": ':12:3: invalid YAML: mapping key "selector" already defined at line 8',
};
const files = existsSync(CORPUS) ? [...new Glob("**/*.{yaml,yml,json}").scanSync({ cwd: CORPUS, dot: true })].sort() : [];
const strict = checkSetFromPolicy({ ...requireBundle("restricted").spec, requireResourceRequests: true, requireResourceLimits: true });

describe.skipIf(files.length === 0)("shared corpus", () => {
  test("every file is analyzed offline without a crash; only the invalid ones error, naming themselves and the line", () => {
    const failures: string[] = [];
    let units = 0;
    let incomplete = 0;
    for (const file of files) {
      try {
        const objects = parseManifests(readFileSync(join(CORPUS, file), "utf8"), file);
        for (const checkSet of [DEFAULT_CHECK_SET, strict]) {
          // As the CLI reads -f: structurally checked; no object of the corpus is malformed (its fragments are incomplete, not malformed).
          const r = analyzeObjects(objects, { checkSet, now: Date.parse("2026-01-01T00:00:00Z"), exemptions: true, source: "test", scoreTemplates: true, checkShape: true });
          expect(r.score).toBeGreaterThanOrEqual(0);
          expect(r.score).toBeLessThanOrEqual(100);
          if (checkSet === strict) units += r.tally.pods;
          if (checkSet === strict) incomplete += r.skipped.incomplete;
        }
      } catch (err) {
        if (!(err instanceof KubeDevopsError) || err.code !== "INPUT" || !err.message.startsWith(`${file}:`)) throw err;
        if (file in REPEATED_KEYS) expect(err.message).toBe(`${file}${REPEATED_KEYS[file]}`);
        failures.push(file);
      }
    }
    expect(failures).toEqual([INVALID, ...Object.keys(REPEATED_KEYS)].sort());
    expect(files.length).toBeGreaterThan(1500);
    expect(units).toBeGreaterThan(1500);
    // Lint fixtures without a pod template or containers (kube-linter, kube-score, polaris, popeye): not scored, counted.
    expect(incomplete).toBe(102);
  });

  test("the CLI on the invalid file exits 1 and names file and line", () => {
    const { code, stderr, stdout } = runBinary(["analyze", "-f", join(CORPUS, INVALID)]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(new RegExp(`error: ${join(CORPUS, INVALID).replace(/[.]/g, "\\.")}:\\d+:\\d+: invalid YAML`));
  });
});
