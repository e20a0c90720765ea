/**
 * @module
 * Whole-number flag values. `Number(text)` takes "" and " " as 0, "0x10" as 16 and
 * "1e3" as 1000, so `--audit-retention ""` silently turned audit history off; every
 * command parses its counts here instead: decimal digits only, within bounds. Pure.
 */
import { usageError } from "./errors.ts";

export interface IntegerBounds {
  min: number;
  max?: number;
  /** What the error says is expected; default "an integer >= min" (or "from min to max"). */
  expected?: string;
}

/** `text` as an integer within `bounds`, else a usage error naming `flag` and the value. */
export function integerFlag(flag: string, text: string, bounds: IntegerBounds): number {
  const n = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(n) || n < bounds.min || (bounds.max !== undefined && n > bounds.max)) {
    const expected = bounds.expected ?? (bounds.max === undefined ? `an integer >= ${bounds.min}` : `an integer from ${bounds.min} to ${bounds.max}`);
    throw usageError(`Invalid ${flag} "${text}": expected ${expected}`);
  }
  return n;
}
