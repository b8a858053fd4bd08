/**
 * The two transmit-limited gossip queues (memberlist's `broadcasts` and the delegate's user
 * broadcasts, reference §6) and how one packet's worth is taken from them.
 * @module
 */
import { METRIC } from '../observability.js';
import { encodeMessage } from '../wire/codec.js';
import type { GossipMessage } from '../wire/messages.js';
import { TransmitLimitedQueue, retransmitLimit, type FinishedBroadcast } from './broadcasts.js';
import { COMPOUND_OVERHEAD } from './config.js';
import type { Effects } from './effects.js';

/** Most user broadcasts queued; the oldest is dropped beyond this (like serf's queue pruning). */
export const MAX_USER_BROADCASTS = 1024;

/**
 * Owns membership gossip (alive/suspect/dead, one entry per member name) and user gossip (at
 * most {@link MAX_USER_BROADCASTS}), and reports finished completions as `broadcast-done`.
 */
export class GossipQueues {
  private readonly membership: TransmitLimitedQueue;
  private readonly user: TransmitLimitedQueue;

  /**
   * @param retransmitMult `retransmitMult` from the options.
   * @param budget the piggyback budget per datagram, bytes (see `piggybackBudget`).
   */
  constructor(
    private readonly retransmitMult: number,
    private readonly budget: number,
  ) {
    this.membership = new TransmitLimitedQueue(retransmitMult);
    this.user = new TransmitLimitedQueue(retransmitMult, MAX_USER_BROADCASTS);
  }

  /** True when neither queue holds anything (the gossip ticker parks then). */
  get isEmpty(): boolean {
    return this.membership.size === 0 && this.user.size === 0;
  }

  /**
   * Reports both queues' depths (memberlist's `queue.broadcasts`, which it samples every 30 s)
   * whenever one changed since the last report. Called at the end of every step.
   */
  reportDepth(fx: Effects): void {
    const membership = this.membership.size;
    const user = this.user.size;
    if (membership === this.reported[0] && user === this.reported[1]) return;
    this.reported[0] = membership;
    this.reported[1] = user;
    fx.metric('gauge', METRIC.broadcastQueueDepth, membership, MEMBERSHIP_QUEUE);
    fx.metric('gauge', METRIC.broadcastQueueDepth, user, USER_QUEUE);
  }
  private readonly reported = [-1, -1];

  /** Queues a membership message, named by the member it is about (replaces older news of it). */
  queue(msg: GossipMessage, completionId?: number): void {
    this.membership.queue(encodeMessage(msg), msg.node, completionId);
  }

  /** Largest user broadcast payload one gossip packet can carry: budget − 2 compound overheads − the `08` type byte. */
  get maxUserBytes(): number {
    return this.budget - 2 * COMPOUND_OVERHEAD - 1;
  }

  /**
   * Queues a user broadcast (`08` + payload, piggybacked after membership gossip, cost len + 3).
   * Returns false (and queues nothing) if the payload could never fit one packet
   * (`payload > budget − 5` bytes). Beyond `MAX_USER_BROADCASTS` queued, the oldest is dropped.
   * @param completionId reported as `broadcast-done` once sent its retransmit limit (or dropped).
   */
  queueUser(payload: Uint8Array, completionId?: number): boolean {
    if (payload.length > this.maxUserBytes) return false;
    const framed = new Uint8Array(payload.length + 1);
    framed[0] = 8;
    framed.set(payload, 1);
    this.user.queue(framed, undefined, completionId);
    return true;
  }

  /**
   * memberlist `getBroadcasts`: our own membership messages first, then user broadcasts in what is
   * left (each user message costs len + 3: its `08` type byte and the compound length entry).
   * @param n estimated cluster size, for the retransmit limit.
   */
  take(limit: number, n: number, out: Uint8Array[]): void {
    const used = this.membership.take(COMPOUND_OVERHEAD, limit, n, out);
    const avail = limit - used;
    if (avail > COMPOUND_OVERHEAD + 1 && this.user.size > 0) {
      // User entries are stored framed (`08` + payload), so overhead 2 on the framed length is
      // memberlist's overhead 3 on the raw payload.
      this.user.take(COMPOUND_OVERHEAD, avail, n, out);
    }
  }

  /**
   * Empties the membership queue as if every message had been sent its retransmit limit for a
   * cluster of `n` (what a cluster looks like once gossip has spread). User gossip is untouched.
   * Completions are reported by the next {@link flushDone}.
   */
  settle(n: number): void {
    this.membership.settle(retransmitLimit(this.retransmitMult, n));
  }

  /** Emits `broadcast-done` for every completion the queues recorded. Called at the end of each step. */
  flushDone(fx: Effects): void {
    // Every step ends here and almost none finished anything: no work (not even an array) then.
    if (this.membership.finished.length > 0) emitDone(fx, this.membership.finished);
    if (this.user.finished.length > 0) emitDone(fx, this.user.finished);
  }
}

/** Emits `broadcast-done` for each of `done`, then empties it. */
function emitDone(fx: Effects, done: FinishedBroadcast[]): void {
  for (const d of done) fx.emit({ type: 'broadcast-done', id: d.id, transmits: d.transmits });
  done.length = 0;
}

const MEMBERSHIP_QUEUE = Object.freeze({ queue: 'membership' });
const USER_QUEUE = Object.freeze({ queue: 'user' });
