/**
 * serf's Lamport clock (serf `lamport.go`), for the member clock hearsay must stay ahead of.
 *
 * serf drops a leave intent whose `LTime` is not above the member's `statusLTime`, the time of the
 * last intent it accepted about that member; and every serf node's clock is above every
 * `statusLTime` it holds. So a leave intent stamped with a clock that has witnessed a serf node's
 * clock is accepted by that node. Pure: integers in, integers out.
 * @module
 */
import { MAX_LAMPORT_TIME } from './messages.js';

/** A Lamport clock with serf's rules: {@link witness} moves it one past what it saw. */
export class LamportClock {
  private counter: number;

  /** Starts at 1, as serf's `Create` does, so our first intent is above the 0 serf starts every member at. */
  constructor(start = 1) {
    this.counter = start;
  }

  /** The current time. */
  get time(): number {
    return this.counter;
  }

  /** Advances by one and returns the new time (serf `Increment`). Saturates at {@link MAX_LAMPORT_TIME}. */
  increment(): number {
    if (this.counter < MAX_LAMPORT_TIME) this.counter++;
    return this.counter;
  }

  /**
   * Takes in a time seen from another process: if it is not below ours, ours becomes one past it
   * (serf `Witness`). Values that are not integers in [0, {@link MAX_LAMPORT_TIME}] are ignored.
   */
  witness(other: number): void {
    if (!Number.isInteger(other) || other < 0 || other > MAX_LAMPORT_TIME) return;
    if (other >= this.counter) this.counter = Math.min(other + 1, MAX_LAMPORT_TIME);
  }
}
