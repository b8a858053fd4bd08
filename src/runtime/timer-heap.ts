/**
 * A binary min-heap of timers ordered by (due, seq): equal due times fire in scheduling order,
 * so one seed gives one trace (foca #26).
 * @module
 */

/** One heap entry. */
export interface HeapEntry<T> {
  readonly due: number;
  readonly seq: number;
  readonly value: T;
}

/** Min-heap keyed by `(due, seq)`. */
export class TimerHeap<T> {
  private readonly items: HeapEntry<T>[] = [];
  private seq = 0;

  /** Number of pending entries. */
  get size(): number {
    return this.items.length;
  }

  /** Adds `value` due at `due` (ms). */
  push(due: number, value: T): void {
    const items = this.items;
    items.push({ due, seq: this.seq++, value });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  /** The earliest entry, without removing it. */
  peek(): HeapEntry<T> | undefined {
    return this.items[0];
  }

  /** Removes and returns the earliest entry. */
  pop(): HeapEntry<T> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && less(items[l]!, items[m]!)) m = l;
      if (r < items.length && less(items[r]!, items[m]!)) m = r;
      if (m === i) break;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
    return top;
  }

  /** Drops every entry. */
  clear(): void {
    this.items.length = 0;
  }
}

function less<T>(a: HeapEntry<T>, b: HeapEntry<T>): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
