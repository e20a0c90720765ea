import { describe, expect, test } from "bun:test";
import { KubeDevopsError } from "../../lib/errors.ts";
import {
  enforceClusterGates,
  aggregateClusters,
  renderAggregateLine,
  renderContextList,
  renderSeverityLine,
  renderSeverityTable,
  type ClusterResult,
} from "../../lib/multi-cluster/aggregate.ts";

const c = (score: number, pods: number): ClusterResult => ({ context: `c${score}-${pods}`, server: "", score, pods, violations: 0 });

describe("aggregateClusters() — the reference's pinned cases", () => {
  test.each([
    [[], 100, "Healthy"],
    [[c(100, 10), c(50, 10)], 75, "Stable"],
    [[c(90, 100), c(20, 1)], 89, "Healthy"],
    [[c(40, 0), c(10, 0)], 100, "Healthy"],
    [[c(95, 50), c(60, 20), c(40, 10)], 79, "Stable"],
    [[c(35, 4)], 35, "Critical"],
  ] as const)("%j → %d", (clusters, score, cls) => {
    const a = aggregateClusters(clusters);
    expect(a.score).toBe(score);
    expect(a.classification).toBe(cls);
  });

  test("failed clusters do not count", () => {
    const a = aggregateClusters([c(80, 10), { context: "down", server: "", error: "unreachable" }]);
    expect(a).toMatchObject({ score: 80, clusters: 1, pods: 10 });
  });
});

describe("findings per severity", () => {
  const east: ClusterResult = { context: "east", server: "", score: 61, pods: 3, violations: 4, bySeverity: { critical: 2, high: 2, medium: 0, low: 0 } };
  const west: ClusterResult = { context: "west", server: "", score: 90, pods: 1, violations: 3, bySeverity: { critical: 0, high: 1, medium: 1, low: 1 } };
  const down: ClusterResult = { context: "down", server: "", error: "unreachable" };

  test("are summed over the analyzed clusters; a failed one adds nothing", () => {
    expect(aggregateClusters([east, west, down]).bySeverity).toEqual({ critical: 2, high: 3, medium: 1, low: 1 });
    expect(aggregateClusters([down]).bySeverity).toEqual({ critical: 0, high: 0, medium: 0, low: 0 });
  });

  test("print as a second per-cluster table and a line above the aggregate", () => {
    expect(renderSeverityTable([east, down])).toBe(
      [
        "CLUSTER                        CRITICAL   HIGH  MEDIUM    LOW",
        "-".repeat(75),
        "east                                  2      2       0      0",
        "down                                  -      -       -      -",
        "",
        "",
      ].join("\n"),
    );
    const aggregate = aggregateClusters([east, west]);
    expect(renderSeverityLine(aggregate) + renderAggregateLine(aggregate)).toBe(
      "Findings by severity: critical 2, high 3, medium 1, low 1\nAggregate: Stable \u2014 score 68/100 across 2 cluster(s)\n",
    );
  });
});

describe("enforceClusterGates() — --fail-on and --min-score over the analyzed clusters", () => {
  const sev = (critical: number, high: number) => ({ critical, high, medium: 0, low: 0 });
  const results: ClusterResult[] = [
    { context: "big", server: "https://big", score: 95, pods: 900, violations: 1, classification: "Healthy", bySeverity: sev(0, 1) },
    { context: "small", server: "https://small", score: 40, pods: 10, violations: 5, classification: "Critical", bySeverity: sev(2, 0) },
    { context: "down", server: "https://down", error: "context down: unreachable" },
  ];
  const aggregate = aggregateClusters(results);
  const outcome = (gates: Parameters<typeof enforceClusterGates>[2]) => {
    try {
      enforceClusterGates(results, aggregate, gates);
      return "pass";
    } catch (err) {
      return err instanceof KubeDevopsError ? `${err.exitCode} ${err.message}` : String(err);
    }
  };

  test("the pod-weighted aggregate passes a score one cluster fails: the gate names that cluster", () => {
    expect(aggregate.score).toBeGreaterThanOrEqual(80);
    expect(outcome({ minScore: 80 })).toBe("4 score below --min-score 80 in small (40)");
    expect(outcome({ minScore: 40 })).toBe("pass");
  });

  test("--fail-on names the clusters over it and is judged before --min-score (exit 3), naming the score gate that failed too; a failed cluster counts for neither", () => {
    expect(outcome({ failOn: "critical", minScore: 80 })).toBe("3 2 violation(s) at or above severity critical (--fail-on critical) in small; and score below --min-score 80 in small (40)");
    expect(outcome({ failOn: "critical", minScore: 40 })).toBe("3 2 violation(s) at or above severity critical (--fail-on critical) in small");
    expect(outcome({ failOn: "high" })).toBe("3 3 violation(s) at or above severity high (--fail-on high) in big, small");
    expect(outcome({})).toBe("pass");
  });
});

describe("renderContextList()", () => {
  test("marks the current context and says when nothing was probed", () => {
    const text = renderContextList([{ name: "east", current: true }, { name: "west", current: false, status: "reachable (v1.32.0)" }]);
    expect(text).toContain("* east");
    expect(text).toContain("(not probed; use --probe)");
    expect(text.endsWith("2 context(s) found.\n")).toBe(true);
    expect(renderContextList([])).toBe("No kubeconfig contexts found.\n");
  });
});
