/**
 * @module
 * A keyed, delayed work queue: each key is due at most once (the earliest
 * schedule wins, so bursts of pod events coalesce), is never processed by two
 * workers at once, and is processed again if it was scheduled while in flight.
 */
import type { Clock } from "../kube/clock.ts";

export type Worker = (key: string) => Promise<void>;

export class WorkQueue {
  private readonly due = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private wake: AbortController = new AbortController();

  constructor(private readonly clock: Clock) {}

  /** Makes `key` due in `delayMs` unless it is already due sooner. */
  schedule(key: string, delayMs: number): void {
    const at = this.clock.now() + Math.max(0, delayMs);
    const current = this.due.get(key);
    if (current !== undefined && current <= at) return;
    this.due.set(key, at);
    this.wake.abort();
  }

  /** Drops a pending schedule (the key is gone). */
  forget(key: string): void {
    this.due.delete(key);
  }

  get pending(): number {
    return this.due.size;
  }

  private nextDue(): { key: string; at: number } | undefined {
    let next: { key: string; at: number } | undefined;
    for (const [key, at] of this.due) {
      if (this.inFlight.has(key)) continue;
      if (!next || at < next.at) next = { key, at };
    }
    return next;
  }

  /** Runs `worker` on due keys with at most `concurrency` in flight until `signal` aborts. */
  async run(worker: Worker, options: { concurrency: number; signal: AbortSignal }): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!options.signal.aborted) {
      const next = this.nextDue();
      const now = this.clock.now();
      if (next && next.at <= now && running.size < options.concurrency) {
        this.due.delete(next.key);
        this.inFlight.add(next.key);
        const task = worker(next.key)
          .catch(() => undefined)
          .finally(() => {
            this.inFlight.delete(next.key);
            running.delete(task);
            this.wake.abort();
          });
        running.add(task);
        continue;
      }
      this.wake = new AbortController();
      const stop = (): void => this.wake.abort();
      options.signal.addEventListener("abort", stop, { once: true });
      const waitMs = next && running.size < options.concurrency ? next.at - now : 60_000;
      await this.clock.sleep(waitMs, this.wake.signal);
      options.signal.removeEventListener("abort", stop);
    }
    await Promise.allSettled(running);
  }
}
