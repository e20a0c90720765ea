/**
 * @module
 * The figures the scale benches (watch-scale, operator-scale) report alike, built from
 * their measurements: churn throughput against the emulator's emission rate, the memory
 * of a component through a run, change latency against a bare watch client, and the
 * RSS-vs-pods chart.
 */
import type { Memory } from "./proc.ts";
import type { Figure, Series } from "./result.ts";

/** Events/s a component took in during churn, against the emulator's raw emission rate in the same run. */
export function churnFigure(label: string, rate: number, emitted: number, ratioMeaning: string): Figure {
  return { label, value: Math.round(rate), unit: "events/s", baseline: { label: "emulator raw emission rate, same run", value: Math.round(emitted) }, ratio: Number((rate / emitted).toFixed(2)), ratioMeaning };
}

export interface RunMemory {
  /** Right after the initial sync. */
  synced: Memory;
  /** Right after churn and the latency probes. */
  afterChurn: Memory;
  /** `settleMs` later (the allocator returns freed pages over a few seconds). */
  settled: Memory;
}

/** RSS after sync, right after churn, steady (against the idle component's RSS) and peak, MB. */
export function memoryFigures(scale: string, run: RunMemory, idle: { label: string; rss: number }, options: { settleMs: number; target?: { text: string; maxMB: number } }): Figure[] {
  const { target } = options;
  return [
    { label: `RSS after sync, ${scale}`, value: Math.round(run.synced.rss), unit: "MB" },
    { label: `RSS right after churn, ${scale}`, value: Math.round(run.afterChurn.rss), unit: "MB" },
    {
      label: `steady RSS (${options.settleMs / 1000} s after churn), ${scale}`,
      value: Math.round(run.settled.rss),
      unit: "MB",
      baseline: { label: idle.label, value: Math.round(idle.rss) },
      ratio: Number((run.settled.rss / idle.rss).toFixed(2)),
      ratioMeaning: "RSS / idle RSS",
      ...(target ? { target: target.text, met: run.settled.rss < target.maxMB } : {}),
    },
    { label: `peak RSS (VmHWM), ${scale}`, value: Math.round(run.settled.hwm), unit: "MB" },
  ];
}

/** A change latency (ms) against a bare watch client seeing the same change in the same run. */
export function latencyFigure(label: string, ms: number, watchMs: number, ratioMeaning: string): Figure {
  return { label, value: Number(ms.toFixed(1)), unit: "ms", baseline: { label: "a bare watch client sees the same change", value: Number(watchMs.toFixed(1)) }, ratio: Number((ms / watchMs).toFixed(2)), ratioMeaning };
}

/** The RSS-vs-pods chart: steady VmRSS and VmHWM at each scale (0 pods = idle). */
export function rssSeries(component: string, points: ReadonlyArray<{ pods: number; memory: Memory }>): Series {
  return {
    title: `${component} RSS vs pods`,
    xLabel: "pods",
    yLabel: "MB",
    lines: [
      { name: "steady VmRSS", points: points.map((p) => [p.pods, p.memory.rss]) },
      { name: "VmHWM (peak)", points: points.map((p) => [p.pods, p.memory.hwm]) },
    ],
  };
}
