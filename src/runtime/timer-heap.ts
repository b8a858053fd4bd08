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

/**
 * Min-heap keyed by `(due, seq)`.
 *
 * Keys live in typed arrays beside the values (not in an object per entry): the simulator's one
 * queue holds thousands of entries and sifting compares keys at every level, so the comparisons
 * read contiguous memory instead of chasing a pointer each, and a push allocates nothing.
 * Hot paths use {@link peekDue}, {@link peekValue} and {@link drop}; {@link peek} and
 * {@link pop} build an entry object.
 */
export class TimerHeap<T> {
  private dues = new Float64Array(16);
  private seqs = new Float64Array(16);
  private values: (T | undefined)[] = [];
  private n = 0;
  private seq = 0;

  /** Number of pending entries. */
  get size(): number {
    return this.n;
  }

  /** Adds `value` due at `due` (ms). */
  push(due: number, value: T): void {
    if (this.n === this.dues.length) this.grow();
    const { dues, seqs, values } = this;
    const seq = this.seq++;
    let i = this.n++;
    // Every entry already in the heap has a smaller seq, so an equal due stops the climb.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pd = dues[parent]!;
      if (pd <= due) break;
      dues[i] = pd;
      seqs[i] = seqs[parent]!;
      values[i] = values[parent];
      i = parent;
    }
    dues[i] = due;
    seqs[i] = seq;
    values[i] = value;
  }

  /** Due time of the earliest entry; `Infinity` when empty. */
  peekDue(): number {
    return this.n > 0 ? this.dues[0]! : Infinity;
  }

  /** The earliest entry's value, without removing it. */
  peekValue(): T | undefined {
    return this.n > 0 ? this.values[0] : undefined;
  }

  /** The earliest entry, without removing it. */
  peek(): HeapEntry<T> | undefined {
    return this.n > 0 ? { due: this.dues[0]!, seq: this.seqs[0]!, value: this.values[0] as T } : undefined;
  }

  /** Removes and returns the earliest entry. */
  pop(): HeapEntry<T> | undefined {
    const top = this.peek();
    this.drop();
    return top;
  }

  /** Removes the earliest entry, if any. */
  drop(): void {
    if (this.n === 0) return;
    const { dues, seqs, values } = this;
    const n = --this.n;
    const due = dues[n]!;
    const seq = seqs[n]!;
    const value = values[n];
    values[n] = undefined;
    if (n === 0) return;
    // Sift the last entry down from the root, moving the hole rather than swapping.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let m = l;
      const r = l + 1;
      if (r < n && (dues[r]! < dues[l]! || (dues[r] === dues[l] && seqs[r]! < seqs[l]!))) m = r;
      const md = dues[m]!;
      if (due < md || (due === md && seq < seqs[m]!)) break;
      dues[i] = md;
      seqs[i] = seqs[m]!;
      values[i] = values[m];
      i = m;
    }
    dues[i] = due;
    seqs[i] = seq;
    values[i] = value;
  }

  /** Drops every entry. */
  clear(): void {
    this.values = [];
    this.n = 0;
  }

  private grow(): void {
    const size = this.dues.length * 2;
    const dues = new Float64Array(size);
    const seqs = new Float64Array(size);
    dues.set(this.dues);
    seqs.set(this.seqs);
    this.dues = dues;
    this.seqs = seqs;
  }
}
