/**
 * @module
 * Exponential backoff with full jitter (AWS "Exponential Backoff and Jitter"):
 * the delay is uniform in [0, min(cap, base * 2^attempt)], so many clients that
 * failed together do not retry together. Plus Retry-After parsing, bounded.
 */
import type { Random } from "./clock.ts";

export interface BackoffPolicy {
  /** Delay ceiling of the first retry, ms. */
  baseMs: number;
  /** Upper bound of any delay, ms. */
  maxMs: number;
}

/**
 * A loop's backoff: a floor, and (client-go's reflector backoff manager) a quiet period after which
 * the next failure starts from the first delay again — success alone does not reset it.
 */
export interface LoopBackoffPolicy extends BackoffPolicy {
  /** No delay below this, ms, even when jitter draws 0. */
  minMs?: number;
  /** The next failure starts over when the previous one was more than this long ago, ms. */
  resetAfterMs?: number;
}

/** The delay before retry number `attempt` (0-based), full jitter. */
export function computeBackoff(attempt: number, policy: BackoffPolicy, random: Random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * A stateful backoff for loops: `next()` grows the ceiling, `reset()` starts over. A floor keeps a
 * loop from spinning even when jitter draws 0. With `resetAfterMs`, `next(nowMs)` starts over by
 * itself once the previous failure is that old (client-go: "if we don't backoff for 2min, assume
 * the API server is healthy"), so a loop that fails right after every seeming success still grows.
 */
export class Backoff {
  private attempt = 0;
  private lastAt: number | undefined;

  constructor(
    private readonly policy: LoopBackoffPolicy,
    private readonly random: Random,
  ) {}

  /** The next delay, ms; `nowMs` is needed for `resetAfterMs`. */
  next(nowMs?: number): number {
    const { resetAfterMs } = this.policy;
    if (resetAfterMs !== undefined && nowMs !== undefined) {
      if (this.lastAt !== undefined && nowMs - this.lastAt > resetAfterMs) this.attempt = 0;
      this.lastAt = nowMs;
    }
    const delay = computeBackoff(this.attempt, this.policy, this.random);
    this.attempt++;
    return Math.max(this.policy.minMs ?? 0, delay);
  }

  /** Number of consecutive failures so far. */
  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
    this.lastAt = undefined;
  }
}

/**
 * Parses a Retry-After header (delta-seconds or an HTTP date) into ms from
 * `nowMs`; undefined when absent or unparseable. Never negative.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === "") return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/^[A-Za-z]{3}, /.test(text)) return undefined; // IMF-fixdate only, not whatever Date.parse accepts
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
