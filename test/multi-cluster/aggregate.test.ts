import { describe, expect, test } from "bun:test";
import { aggregateClusters, renderContextList, type ClusterResult } from "../../lib/multi-cluster/aggregate.ts";

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

describe("renderContextList()", () => {
  test("marks the current context and says when nothing was probed", () => {
    const text = renderContextList([{ name: "east", current: true }, { name: "west", current: false, status: "reachable (v1.32.0)" }]);
    expect(text).toContain("* east");
    expect(text).toContain("(not probed; use --probe)");
    expect(text.endsWith("2 context(s) found.\n")).toBe(true);
    expect(renderContextList([])).toBe("No kubeconfig contexts found.\n");
  });
});
