/**
 * @module
 * Whole-number flag values. `Number(text)` takes "" and " " as 0, "0x10" as 16 and
 * "1e3" as 1000, so `--audit-retention ""` silently turned audit history off; every
 * command parses its counts here instead: decimal digits only, within bounds. Pure.
 */
import { usageError } from "./errors.ts";

export interface IntegerBounds {
  min: number;
  /** Default: Number.MAX_SAFE_INTEGER, the largest whole number a flag can hold exactly. */
  max?: number;
  /** What the error says is expected; default "an integer >= min" (or "from min to max"). */
  expected?: string;
}

/** `text` as an integer within `bounds`, else a usage error naming `flag` and the value. */
export function integerFlag(flag: string, text: string, bounds: IntegerBounds): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (bounds.max === undefined && n > Number.MAX_SAFE_INTEGER) {
    // A whole number, only too large: "expected an integer" would be wrong.
    throw usageError(`Invalid ${flag} "${text}": too large, the maximum is ${Number.MAX_SAFE_INTEGER}`);
  }
  if (Number.isNaN(n) || n < bounds.min || (bounds.max !== undefined && n > bounds.max)) {
    const expected = bounds.expected ?? (bounds.max === undefined ? `an integer >= ${bounds.min}` : `an integer from ${bounds.min} to ${bounds.max}`);
    throw usageError(`Invalid ${flag} "${text}": expected ${expected}`);
  }
  return n;
}
