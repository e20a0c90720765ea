/**
 * @module
 * A persistent API outage for the reliability suite: every request fails with one
 * status until `end()`, open watches are cut, and the requests clients made
 * during the outage are counted per second (from the fault rule's remaining uses).
 */
import type { Emulator } from "../kube/emulator.ts";

const BUDGET = 10_000_000;

export interface Outage {
  /** Requests seen in each whole second of the outage so far. */
  readonly perSecond: number[];
  /** Requests seen since the outage began. */
  total(): number;
  /** Ends the outage (the API answers again); resolves with the per-second counts. */
  end(): number[];
}

/** Starts failing every request with `status` (503 and 429 carry Retry-After) and drops every watch. */
export function startOutage(emu: Emulator, options: { status?: number; retryAfterSeconds?: number } = {}): Outage {
  const base = emu.faults.pendingFailures;
  emu.faults.failNext(BUDGET, { status: options.status ?? 503, ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}) });
  emu.faults.dropWatches({ abrupt: true });
  const total = (): number => base + BUDGET - emu.faults.pendingFailures;
  const perSecond: number[] = [];
  let last = 0;
  const timer = setInterval(() => {
    const now = total();
    perSecond.push(now - last);
    last = now;
  }, 1000);
  return {
    perSecond,
    total,
    end() {
      clearInterval(timer);
      emu.faults.clear();
      return perSecond;
    },
  };
}
