/**
 * @module
 * Per-key exponential backoff (client-go's per-item failure rate limiter, with
 * full jitter and a floor): each key that keeps failing waits longer, up to the
 * cap, while keys that work are not slowed down; `forget` after a success.
 */
import { Backoff, type BackoffPolicy } from "./backoff.ts";
import type { Random } from "./clock.ts";

export class KeyedBackoff {
  private readonly streaks = new Map<string, Backoff>();

  constructor(
    private readonly policy: BackoffPolicy & { minMs?: number },
    private readonly random: Random = Math.random,
  ) {}

  /** Records a failure of `key`: the delay before its retry, and how many failures in a row it has had. */
  fail(key: string): { delayMs: number; failures: number } {
    let backoff = this.streaks.get(key);
    if (!backoff) this.streaks.set(key, (backoff = new Backoff(this.policy, this.random)));
    const delayMs = backoff.next();
    return { delayMs, failures: backoff.failures };
  }

  /** Failures in a row of `key` (0 when it is not failing). */
  failures(key: string): number {
    return this.streaks.get(key)?.failures ?? 0;
  }

  /** Ends `key`'s streak (it worked); returns how long the streak was. */
  forget(key: string): number {
    const failures = this.failures(key);
    this.streaks.delete(key);
    return failures;
  }

  /** Keys currently failing. */
  get size(): number {
    return this.streaks.size;
  }
}
