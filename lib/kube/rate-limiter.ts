/**
 * @module
 * A client-side token bucket (QPS with a burst), as client-go's flowcontrol:
 * callers reserve a token in arrival order and wait for it, so a controller
 * never sends more than `qps` requests a second on average, `burst` at once.
 */
import type { Clock } from "./clock.ts";

export interface RateLimit {
  /** Sustained requests per second; 0 or Infinity disables the limit. */
  qps: number;
  /** Requests allowed at once after an idle period (bucket size, >= 1). */
  burst: number;
}

/** Defaults for long-running controllers (controller-runtime's, see docs/decisions/0005). */
export const CONTROLLER_RATE_LIMIT: RateLimit = { qps: 20, burst: 30 };
/** Defaults for one-shot CLI commands, which page through lists quickly. */
export const CLI_RATE_LIMIT: RateLimit = { qps: 50, burst: 100 };

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {
    if (!(limit.qps >= 0) || !(limit.burst >= 1)) {
      throw new RangeError(`invalid rate limit: qps ${limit.qps}, burst ${limit.burst} (qps >= 0, burst >= 1)`);
    }
    this.tokens = limit.burst;
    this.last = clock.now();
  }

  private get disabled(): boolean {
    return this.limit.qps === 0 || this.limit.qps === Number.POSITIVE_INFINITY;
  }

  /**
   * Reserves one token and returns how long the caller must wait for it (ms).
   * The reservation is made now, so later callers queue behind earlier ones.
   */
  reserve(): number {
    if (this.disabled) return 0;
    const now = this.clock.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.limit.qps) * 1000);
  }

  /** Waits for a token (returns early, without the token, if `signal` aborts). */
  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.clock.sleep(wait, signal);
  }
}
