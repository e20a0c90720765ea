/**
 * The components' default memory limits against what the benchmark measured: at the scale the
 * docs claim (100k pods) each component's highest RSS in bench/results/results.json must fill at
 * most 3/4 of its limit, so a re-measured figure that outgrows a limit fails here.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResult } from "../../bench/lib/result.ts";
import { DEFAULT_RESOURCES, resolveDeployOptions } from "../../gen/options.ts";
import { renderDeployment } from "../../gen/workloads.ts";
import { parseQuantity } from "../../lib/quantity.ts";
import { COMPONENTS, type Component } from "../../lib/rbac/permissions.ts";
import { ROOT } from "../support/binary.ts";

const results = (JSON.parse(readFileSync(join(ROOT, "bench", "results", "results.json"), "utf8")) as { results: BenchResult[] }).results;

/** The bench section and figures that measure each component's memory at its largest scale. */
const MEASURED: Record<Component, { section: string; label: RegExp }> = {
  watch: { section: "watch-scale", label: /RSS.*100k pods/ },
  reconcile: { section: "operator-scale", label: /RSS.*100k pods/ },
  // the webhook holds no pods: its one RSS figure is idle (the admission bench does not read RSS)
  webhook: { section: "binary", label: /^idle RSS of `webhook serve`/ },
};

/** The highest of a component's RSS figures, MiB (bench "MB" are /proc kB / 1024: bench/lib/proc.ts). */
function highestRssMiB(component: Component): number {
  const { section, label } = MEASURED[component];
  const figures = results.find((r) => r.name === section)?.figures.filter((f) => label.test(f.label)) ?? [];
  expect(figures.length).toBeGreaterThan(0); // a renamed figure must not make this test vacuous
  for (const f of figures) expect(f.unit).toBe("MB");
  return Math.max(...figures.map((f) => f.value));
}

describe("default memory limits", () => {
  for (const component of COMPONENTS) {
    test(`${component}: the benchmark's highest RSS fills at most 3/4 of the limit`, () => {
      const limitMiB = (parseQuantity(DEFAULT_RESOURCES[component].limits.memory) ?? 0) / 2 ** 20;
      expect(highestRssMiB(component)).toBeLessThanOrEqual(limitMiB * 0.75);
    });
  }

  test("the generated Deployments carry those limits", () => {
    const options = resolveDeployOptions("1.0.0");
    for (const c of COMPONENTS) expect(renderDeployment(options, c).spec?.template.spec?.containers[0]?.resources).toEqual(DEFAULT_RESOURCES[c]);
  });
});
