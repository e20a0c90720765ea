/**
 * @module
 * Bounds how often a repeating log line is written: the first passes, then at
 * most one per window, carrying how many were held back meanwhile. Pure: the
 * caller passes the time.
 */

export class LogGate {
  private lastAt = Number.NEGATIVE_INFINITY;
  private held = 0;

  constructor(private readonly windowMs: number) {}

  /** Whether to log now; `suppressed` is how many lines were held back since the last one logged. */
  pass(nowMs: number): { pass: boolean; suppressed: number } {
    if (nowMs - this.lastAt < this.windowMs) {
      this.held++;
      return { pass: false, suppressed: this.held };
    }
    const suppressed = this.held;
    this.lastAt = nowMs;
    this.held = 0;
    return { pass: true, suppressed };
  }
}
