import { describe, expect, test } from "bun:test";
import { findRecord } from "../bench/lib/component.ts";
import { splitLines } from "../bench/lib/change-latency.ts";
import { namespaceCount, namespaceOf } from "../bench/lib/emulator-pods.ts";
import { median, quantile } from "../bench/lib/measure.ts";
import { parseCpuSeconds, parseProcMemory } from "../bench/lib/proc.ts";
import { churnFigure, latencyFigure, memoryFigures, rssSeries } from "../bench/lib/scale-figures.ts";
import { renderLineChart, yAxis } from "../bench/lib/svg-chart.ts";

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

  test("renderLineChart() with logY puts decade ticks on the y axis", () => {
    const svg = renderLineChart({
      title: "time vs pods",
      xLabel: "pods",
      yLabel: "ms",
      logY: true,
      lines: [
        { name: "analyze", points: [[1000, 34], [10000, 410], [100000, 5017]] },
        { name: "parse", points: [[1000, 3], [10000, 28], [100000, 295]] },
      ],
    });
    expect(svg).toContain("ms (log scale)");
    for (const tick of [">1<", ">10<", ">100<", ">1000<", ">10000<"]) expect(svg).toContain(tick);
    expect(svg).not.toContain("NaN");
  });

  test("yAxis() spans whole decades on a log scale and starts at 0 on a linear one", () => {
    const log = yAxis([3, 5017], true);
    expect(log.ticks).toEqual([1, 10, 100, 1000, 10000]);
    expect(log.at(1)).toBe(0);
    expect(log.at(10000)).toBe(1);
    expect(log.at(100)).toBeCloseTo(0.5);
    expect(yAxis([120, 150], true).ticks).toEqual([100, 1000]);
    const linear = yAxis([67, 262], false);
    expect(linear.ticks).toEqual([0, 125, 250, 375, 500]);
    expect(linear.at(250)).toBe(0.5);
  });

  test("parseProcMemory() reads VmRSS and VmHWM in MB", () => {
    const status = "Name:\tkube-devops\nVmPeak:\t 9000000 kB\nVmHWM:\t  270336 kB\nVmRSS:\t  177152 kB\nThreads:\t9\n";
    expect(parseProcMemory(status)).toEqual({ rss: 173, hwm: 264 });
    expect(Number.isNaN(parseProcMemory("Name:\tzombie\n").rss)).toBe(true);
  });

  test("parseCpuSeconds() adds utime and stime, counting fields after a command name with spaces", () => {
    const stat = "4242 (kube devops) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 9 0 100 0 0";
    expect(parseCpuSeconds(stat)).toBe(3.25);
  });

  test("splitLines() keeps an incomplete last line for the next chunk", () => {
    expect(splitLines('{"a":1}\n{"b"')).toEqual({ lines: ['{"a":1}'], rest: '{"b"' });
    expect(splitLines('{"a":1}\n\n')).toEqual({ lines: ['{"a":1}'], rest: "" });
  });

  test("findRecord() finds the first log record with a message", () => {
    const records = [{ msg: "controller_starting" }, { msg: "http_server_started", addr: "http://127.0.0.1:1" }, { msg: "http_server_started", addr: "x" }];
    expect(findRecord(records, "http_server_started")?.addr).toBe("http://127.0.0.1:1");
    expect(findRecord(records, "nope")).toBeUndefined();
  });

  test("namespaceOf() and namespaceCount() lay pods out in namespaces of 100", () => {
    expect(namespaceOf(0)).toBe("team-0");
    expect(namespaceOf(199)).toBe("team-1");
    expect(namespaceCount(10_000)).toBe(100);
    expect(namespaceCount(10_001)).toBe(101);
  });

  test("scale figures: ratios to the same run's baselines, the target on steady RSS only", () => {
    expect(churnFigure("events/s", 20_000.4, 25_000, "processed / emitted")).toEqual({ label: "events/s", value: 20_000, unit: "events/s", baseline: { label: "emulator raw emission rate, same run", value: 25_000 }, ratio: 0.8, ratioMeaning: "processed / emitted" });
    expect(latencyFigure("change", 4.26, 1.7, "gauge / bare watch")).toMatchObject({ value: 4.3, baseline: { value: 1.7 }, ratio: 2.51 });
    const run = { synced: { rss: 171.2, hwm: 180 }, afterChurn: { rss: 256, hwm: 265 }, settled: { rss: 173.4, hwm: 265.2 } };
    const figures = memoryFigures("100k pods", run, { label: "idle watch, 1 pod", rss: 67 }, { settleMs: 10_000, target: { text: "< 150 MB", maxMB: 150 } });
    expect(figures.map((f) => [f.label, f.value])).toEqual([
      ["RSS after sync, 100k pods", 171],
      ["RSS right after churn, 100k pods", 256],
      ["steady RSS (10 s after churn), 100k pods", 173],
      ["peak RSS (VmHWM), 100k pods", 265],
    ]);
    expect(figures[2]).toMatchObject({ baseline: { label: "idle watch, 1 pod", value: 67 }, ratio: 2.59, target: "< 150 MB", met: false });
    expect(figures.filter((f) => f.target !== undefined)).toHaveLength(1);
    expect(memoryFigures("10k pods", run, { label: "idle", rss: 67 }, { settleMs: 10_000 }).some((f) => f.target !== undefined)).toBe(false);
    const series = rssSeries("reconcile", [{ pods: 0, memory: { rss: 68, hwm: 70 } }, { pods: 10_000, memory: run.settled }]);
    expect(series.title).toBe("reconcile RSS vs pods");
    expect(series.lines.map((l) => l.points)).toEqual([[[0, 68], [10_000, 173.4]], [[0, 70], [10_000, 265.2]]]);
  });
});
