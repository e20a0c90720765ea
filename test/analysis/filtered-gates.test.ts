/**
 * A filter that leaves nothing to score from a non-empty input (a mistyped -n) warns, naming
 * the filter and the namespaces present; with --min-score or --fail-on it is a usage error
 * (exit 2), not the silent pass the 100 of an empty set used to give.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { analyzeObjects, type AnalyzeOptions } from "../../lib/analysis/build-report.ts";
import { describeFilteredToNothing, describeFilters, enforceGates, filteredToNothing } from "../../lib/analysis/render-report.ts";
import { DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { KubeDevopsError } from "../../lib/errors.ts";
import { parseLabelSelector } from "../../lib/label-selector.ts";
import { parseManifests } from "../../lib/manifests/parse-manifests.ts";
import { runBinary } from "../support/binary.ts";

const SNAPSHOT = "examples/cluster-snapshot.yaml";
const objects = parseManifests(readFileSync(SNAPSHOT, "utf8"), SNAPSHOT);
const analyze = (over: Partial<AnalyzeOptions>) =>
  analyzeObjects(objects, { checkSet: DEFAULT_CHECK_SET, now: Date.parse("2026-01-01T00:00:00Z"), exemptions: true, source: "test", scoreTemplates: true, ...over });
const NAMESPACES = "batch, data, dev, kube-system, monitoring, payments, shop";

describe("filteredToNothing", () => {
  test("-n of a namespace not in the input, an -l nothing matches, or every namespace excluded", () => {
    expect(filteredToNothing(analyze({ namespaces: new Set(["shopp"]) }))).toBe(true);
    expect(filteredToNothing(analyze({ selector: parseLabelSelector("app=nope") }))).toBe(true);
    expect(filteredToNothing(analyze({ excludeNamespaces: new Set(NAMESPACES.split(", ")) }))).toBe(true);
  });

  test("not when something passed the filter (even if then skipped), nor without a filter, nor for an empty input", () => {
    expect(filteredToNothing(analyze({ namespaces: new Set(["shop"]) }))).toBe(false);
    expect(filteredToNothing(analyze({ namespaces: new Set(["kube-system"]) }))).toBe(false); // passed -n, then skipped as a system namespace
    expect(filteredToNothing(analyze({}))).toBe(false);
    expect(filteredToNothing(analyzeObjects([], { checkSet: DEFAULT_CHECK_SET, now: 0, exemptions: true, source: "test", scoreTemplates: true, namespaces: new Set(["x"]) }))).toBe(false);
  });

  test("the message names the filter as given and the namespaces that were present", () => {
    const filters = describeFilters({ namespace: "shopp", excludeNamespaces: ["a", "b"], selector: "app=web" });
    expect(filters).toBe("-n shopp --exclude-namespaces a,b -l app=web");
    expect(describeFilteredToNothing(analyze({ namespaces: new Set(["shopp"]) }), "-n shopp")).toBe(`-n shopp left nothing to score: all 23 pods and pod controllers were filtered out (namespaces present: ${NAMESPACES})`);
  });

  test("a gate over nothing is a usage error; without a gate, or with something scored, the gates judge as before", () => {
    const empty = analyze({ namespaces: new Set(["shopp"]) });
    expect(() => enforceGates(empty, { minScore: 95, filters: "-n shopp" })).toThrow(KubeDevopsError);
    expect(() => enforceGates(empty, { minScore: 95, filters: "-n shopp" })).toThrow(/^--min-score 95 judged nothing: -n shopp left nothing to score/);
    expect(() => enforceGates(empty, {})).not.toThrow();
    expect(() => enforceGates(analyze({ namespaces: new Set(["payments"]) }), { failOn: "critical", filters: "-n payments" })).not.toThrow();
    expect(() => enforceGates(analyze({ namespaces: new Set(["batch"]) }), { failOn: "critical", filters: "-n batch" })).toThrow(/^1 violation\(s\) at or above severity critical/);
  });
});

describe("analyze -n <typo>", () => {
  test("with --min-score and --fail-on: exit 2, no report on stdout (no 100/100 Healthy beside the refusal), the reason on stderr", () => {
    const { code, stdout, stderr } = runBinary(["analyze", "-f", SNAPSHOT, "-n", "shopp", "--min-score", "95", "--fail-on", "low"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(`error: --fail-on low and --min-score 95 judged nothing: -n shopp left nothing to score: all 23 pods and pod controllers were filtered out (namespaces present: ${NAMESPACES})`);
  });

  test("without a gate: exit 0 and a warning naming the filter", () => {
    const { code, stderr } = runBinary(["analyze", "-f", SNAPSHOT, "-l", "tier=nope", "-o", "json"]);
    expect(code).toBe(0);
    expect(stderr).toContain(`-l tier=nope left nothing to score: all 23 pods and pod controllers were filtered out (namespaces present: ${NAMESPACES})`);
  });

  test("a namespace that is present passes the gates as before, silently", () => {
    const { code, stderr } = runBinary(["analyze", "-f", SNAPSHOT, "-n", "payments", "--fail-on", "critical"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
