/**
 * @module
 * Durations on the command line, Go-style: `30s`, `1h`, `1m30s`, `500ms`; a bare
 * number means seconds. Returned in milliseconds.
 */
import { usageError } from "./errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a duration; undefined when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed) return undefined;
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] as string] as number), 0));
}

/** Parses the value of `flag` or throws a usage error naming it. */
export function durationFlag(flag: string, text: string, options: { min?: number } = {}): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw usageError(`Invalid ${flag} "${text}": expected a duration such as 30s, 5m or 1h`);
  if (options.min !== undefined && ms < options.min) throw usageError(`Invalid ${flag} "${text}": must be at least ${options.min} ms`);
  return ms;
}
