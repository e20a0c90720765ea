/**
 * @module
 * The skeleton both scale benches share: the component idle on a near-empty cluster,
 * then at each scale seeded, synced, exercised (churn, latency probes), left to settle,
 * and stopped; memory read at each step. The bench supplies how to seed/start and what
 * to exercise; this returns the figures, the notes and the RSS-vs-pods chart.
 */
import type { Subprocess } from "bun";
import { processMemory, type Memory } from "./proc.ts";
import type { Figure, Series } from "./result.ts";
import { memoryFigures, rssSeries } from "./scale-figures.ts";

export interface ScaleRun {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  stop(): Promise<number>;
}

export interface ScalePlan<R extends ScaleRun> {
  /** The command name, e.g. "watch". */
  component: string;
  scales: readonly number[];
  /** How long after the exercise the steady RSS is read. */
  settleMs: number;
  /** The baseline of the steady RSS: the component on the cluster `start(0)` gives. */
  idleLabel: string;
  /** "10k pods", "10k pods, 101 policies": the suffix of each figure's label. */
  label(pods: number): string;
  /** Seeds the cluster up to `pods` (0: the idle cluster) and starts the component; resolves once it has synced. */
  start(pods: number): Promise<R>;
  /** Churn and latency probes on a synced run; returns their figures. */
  exercise(run: R, pods: number, label: string): Promise<Figure[]>;
  target?: { pods: number; text: string; maxMB: number };
}

export async function runScales<R extends ScaleRun>(plan: ScalePlan<R>): Promise<{ figures: Figure[]; notes: string[]; series: Series }> {
  const figures: Figure[] = [];
  const notes: string[] = [];
  const stop = async (run: R, label: string): Promise<void> => {
    const code = await run.stop();
    if (code !== 0) notes.push(`${plan.component} exited ${code} on SIGTERM at ${label}`);
  };
  const idle = await plan.start(0);
  await Bun.sleep(500);
  const idleMemory = processMemory(idle.proc.pid);
  await stop(idle, "idle");
  const points: Array<{ pods: number; memory: Memory }> = [{ pods: 0, memory: idleMemory }];
  for (const pods of plan.scales) {
    const label = plan.label(pods);
    const run = await plan.start(pods);
    const synced = processMemory(run.proc.pid);
    figures.push(...(await plan.exercise(run, pods, label)));
    const afterChurn = processMemory(run.proc.pid);
    await Bun.sleep(plan.settleMs); // the allocator returns freed pages over a few seconds
    const settled = processMemory(run.proc.pid);
    points.push({ pods, memory: settled });
    const target = plan.target?.pods === pods ? { target: plan.target } : {};
    figures.push(...memoryFigures(label, { synced, afterChurn, settled }, { label: plan.idleLabel, rss: idleMemory.rss }, { settleMs: plan.settleMs, ...target }));
    await stop(run, label);
  }
  return { figures, notes, series: rssSeries(plan.component, points) };
}
