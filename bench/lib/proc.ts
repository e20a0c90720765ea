/**
 * @module
 * Memory and CPU of a running child from /proc (Linux): pure parsers of
 * /proc/<pid>/status and /proc/<pid>/stat, and thin readers around them.
 */
import { readFileSync } from "node:fs";

export interface Memory {
  /** Resident set size now (VmRSS), MB. */
  rss: number;
  /** Peak resident set size (VmHWM), MB. */
  hwm: number;
}

/** VmRSS and VmHWM (kB in the file) of a /proc/<pid>/status text, in MB (NaN when absent). */
export function parseProcMemory(status: string): Memory {
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/**
 * CPU seconds (user + system) of a /proc/<pid>/stat line. The command name in parentheses may
 * hold spaces, so fields are counted after the last ")"; utime and stime are in clock ticks
 * (USER_HZ = 100 on Linux).
 */
export function parseCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function processMemory(pid: number): Memory {
  return parseProcMemory(readFileSync(`/proc/${pid}/status`, "utf8"));
}

export function processCpuSeconds(pid: number): number {
  return parseCpuSeconds(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** VmRSS once a process has settled: `samples` readings 500 ms apart after `settleMs`, the median (VmHWM of the last). */
export async function settledMemory(pid: number, settleMs: number, samples = 3): Promise<Memory> {
  await Bun.sleep(settleMs);
  const readings: Memory[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await Bun.sleep(500);
    readings.push(processMemory(pid));
  }
  const rss = readings.map((r) => r.rss).sort((a, b) => a - b);
  return { rss: rss[Math.floor(rss.length / 2)] as number, hwm: (readings.at(-1) as Memory).hwm };
}
