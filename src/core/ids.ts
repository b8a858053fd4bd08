/**
 * The core's two id counters. Each is one shared sequence because the values travel: timer
 * tokens are stored in timers (each family compares only its own), and sequence numbers go on
 * the wire, where the probe cycle and the relay role draw from the same u32 space as Go does.
 * @module
 */

/** Generation tokens for timers: every `next()` is new, so a timer holding an old one is stale. */
export class TimerTokens {
  private last = 0;

  /** A fresh token. */
  next(): number {
    return ++this.last;
  }
}

/** Ping sequence numbers: u32, wrapping like Go's `AddUint32`. */
export class SeqNumbers {
  private last = 0;

  /** The next sequence number. */
  next(): number {
    this.last = (this.last + 1) >>> 0;
    return this.last;
  }
}
