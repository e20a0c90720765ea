import { describe, expect, test } from "bun:test";
import { median, quantile } from "../bench/lib/measure.ts";
import { renderLineChart } from "../bench/lib/svg-chart.ts";

describe("bench helpers", () => {
  test("quantile() uses nearest rank", () => {
    const v = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(median(v)).toBe(5);
    expect(quantile(v, 0.99)).toBe(10);
    expect(quantile(v, 0)).toBe(1);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });

  test("renderLineChart() draws one polyline per line, log-scaled over decades", () => {
    const svg = renderLineChart({
      title: "RSS vs pods",
      xLabel: "pods",
      yLabel: "MB",
      lines: [
        { name: "watch", points: [[1000, 40], [10000, 55], [100000, 120]] },
        { name: "operator", points: [[1000, 45], [100000, 130]] },
      ],
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain("(log scale)");
    expect(svg).toContain("100k");
  });
});
