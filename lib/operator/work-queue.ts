/**
 * @module
 * A keyed, delayed work queue: each key is due at most once (the earliest
 * schedule wins, so bursts of pod events coalesce), is never processed by two
 * workers at once, and is processed again if it was scheduled while in flight.
 * Due times sit in a binary heap with lazy deletion, so picking the next key is
 * O(log n) even with thousands of policies requeued every 30 s.
 */
import type { Clock } from "../kube/clock.ts";

export type Worker = (key: string) => Promise<void>;

type Entry = { at: number; key: string };

/** A min-heap of (at, key); stale entries (superseded schedules) are skipped when popped. */
class DueHeap {
  private readonly items: Entry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Entry | undefined {
    return this.items[0];
  }

  push(entry: Entry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as Entry).at <= entry.at) break;
      items[i] = items[parent] as Entry;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): Entry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && (items[right] as Entry).at < (items[left] as Entry).at ? right : left;
      if ((items[child] as Entry).at >= last.at) break;
      items[i] = items[child] as Entry;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

export class WorkQueue {
  /** The one live due time per key; heap entries that disagree are stale. */
  private readonly due = new Map<string, number>();
  private readonly heap = new DueHeap();
  private readonly inFlight = new Set<string>();
  /** Keys that came due while in flight: re-queued when their run ends. */
  private readonly deferred = new Set<string>();
  private wake: AbortController = new AbortController();

  constructor(private readonly clock: Clock) {}

  /** Makes `key` due in `delayMs` unless it is already due sooner. */
  schedule(key: string, delayMs: number): void {
    const at = this.clock.now() + Math.max(0, delayMs);
    const current = this.due.get(key);
    if (current !== undefined && current <= at) return;
    this.due.set(key, at);
    this.heap.push({ at, key });
    this.wake.abort();
  }

  /** Drops a pending schedule (the key is gone). */
  forget(key: string): void {
    this.due.delete(key);
    this.deferred.delete(key);
  }

  get pending(): number {
    return this.due.size;
  }

  /** The earliest live entry that can run now-or-later, discarding stale ones. */
  private nextDue(): Entry | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (!top) return undefined;
      if (this.due.get(top.key) !== top.at) {
        this.heap.pop();
        continue;
      }
      if (this.inFlight.has(top.key)) {
        this.heap.pop();
        this.deferred.add(top.key);
        continue;
      }
      return top;
    }
  }

  private finish(key: string): void {
    this.inFlight.delete(key);
    if (this.deferred.delete(key)) {
      const at = this.due.get(key);
      if (at !== undefined) this.heap.push({ at, key });
    }
    this.wake.abort();
  }

  /** Runs `worker` on due keys with at most `concurrency` in flight until `signal` aborts. */
  async run(worker: Worker, options: { concurrency: number; signal: AbortSignal }): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!options.signal.aborted) {
      const next = this.nextDue();
      const now = this.clock.now();
      if (next && next.at <= now && running.size < options.concurrency) {
        this.heap.pop();
        this.due.delete(next.key);
        this.inFlight.add(next.key);
        const task: Promise<void> = worker(next.key)
          .catch(() => undefined)
          .finally(() => {
            running.delete(task);
            this.finish(next.key);
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
