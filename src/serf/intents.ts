/**
 * The serf adapter: what a hearsay node does so that serf agents read its graceful leave as
 * *left*, not *failed*.
 *
 * serf keeps its own member status beside memberlist's. A member goes *left* in serf only when
 * serf's leave intent (a serf message, sent as a memberlist user broadcast) arrived before or
 * after memberlist reported it gone; a bare memberlist leave reads as *failed* (serf
 * `handleNodeLeave`). serf accepts the intent only if its Lamport time is above the time of the
 * last intent it accepted about that member, so this adapter keeps a serf member clock and moves
 * it past every serf clock it sees: serf's push/pull user state and the intents serf gossips.
 * Pure: it turns bytes seen into bytes to send; the facade does the sending.
 * @module
 */
import type { DelegateProtocol } from '../options.js';
import { LamportClock } from './lamport.js';
import { SerfMessageType, encodeJoinIntent, encodeLeaveIntent, readMemberClock } from './messages.js';

/**
 * serf's delegate protocol range, what `delegateProtocol: 'serf'` stands for: min 2 and max 5 are
 * what every serf 0.8–0.10 agent advertises (`ProtocolVersionMin`/`Max`); version 4 is serf's
 * library default (`DefaultConfig().ProtocolVersion`, what Consul and Nomad embed), while a `serf
 * agent` advertises its maximum, 5. hearsay speaks only the serf messages that are the same from
 * version 2 to 5 (the leave and join intents), and serf agents check only their own version, so
 * either is accepted; 4 claims no more than hearsay speaks.
 */
export const SERF_DELEGATE_PROTOCOL: DelegateProtocol = Object.freeze({ min: 2, max: 5, version: 4 });

/** True when `d` is serf's delegate range (min 2, max 5, any version in it): the node sits in a serf cluster. */
export function isSerfDelegate(d: DelegateProtocol): boolean {
  return d.min === SERF_DELEGATE_PROTOCOL.min && d.max === SERF_DELEGATE_PROTOCOL.max;
}

/** One node's serf intents: its serf member clock, and the leave / join intents stamped with it. */
export class SerfIntents {
  private readonly clock = new LamportClock();

  /** @param node this node's name, which the intents carry. */
  constructor(private readonly node: string) {}

  /** The serf member clock's current time. */
  get time(): number {
    return this.clock.time;
  }

  /**
   * A user message arrived (gossip, datagram or stream): if it is serf's leave or join intent,
   * witness its time, as serf's `handleNodeLeaveIntent` / `handleNodeJoinIntent` do. Anything
   * else (serf events and queries run on other clocks; host messages) leaves the clock alone.
   */
  witnessMessage(payload: Uint8Array): void {
    const reading = readMemberClock(payload);
    if (reading !== undefined && reading.kind !== 'push-pull') this.clock.witness(reading.ltime);
  }

  /**
   * A push/pull's user state was merged: serf's `messagePushPull` carries the sender's member
   * clock, witnessed minus one as serf's `MergeRemoteState` does (no message has that time yet).
   * @returns false when the state is not serf's push/pull (the caller logs it at debug).
   */
  witnessState(userState: Uint8Array): boolean {
    if (userState[0] !== SerfMessageType.pushPull) return false;
    const reading = readMemberClock(userState);
    if (reading === undefined) return false;
    if (reading.ltime > 0) this.clock.witness(reading.ltime - 1);
    return true;
  }

  /**
   * Our leave intent, stamped as serf's `Leave` stamps its own: the current time, then the clock
   * moves on, so a later intent (after a rejoin) is newer still.
   */
  leaveIntent(): Uint8Array {
    const ltime = this.clock.time;
    this.clock.increment();
    return encodeLeaveIntent(ltime, this.node);
  }

  /**
   * Our join intent, stamped as serf's `broadcastJoin`: the current time, witnessed. Sent when we
   * come back after a leave, so serf agents that hold us *leaving* take us back as alive.
   */
  joinIntent(): Uint8Array {
    const ltime = this.clock.time;
    this.clock.witness(ltime);
    return encodeJoinIntent(ltime, this.node);
  }
}
