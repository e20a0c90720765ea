/**
 * @module
 * A min-heap of timed entries (pending pods that will cross `forbidPendingDuration`).
 * Entries are never removed early: the owner checks on pop whether an entry still
 * applies, and rebuilds the heap when most entries are stale.
 */

export interface Deadline {
  at: number;
  key: string;
}

export class DeadlineHeap {
  private items: Deadline[] = [];

  get size(): number {
    return this.items.length;
  }

  push(entry: Deadline): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= entry.at) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = entry;
  }

  peek(): Deadline | undefined {
    return this.items[0];
  }

  pop(): Deadline | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && items[right]!.at < items[left]!.at ? right : left;
      if (items[child]!.at >= last.at) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Keeps only the entries `keep` accepts (used to drop stale entries in bulk). */
  rebuild(keep: (entry: Deadline) => boolean): void {
    const kept = this.items.filter(keep);
    this.items = [];
    for (const e of kept) this.push(e);
  }
}
