/**
 * serf's own messages, as far as hearsay speaks them: the leave and join intents it sends, and
 * the member-clock Lamport time it reads from serf traffic (serf `messages.go`).
 *
 * A serf message is one type byte (`messageType`, append only: values are protocol) followed by a
 * msgpack struct as serf's `encodeMessage` writes it with go-msgpack's default `MsgpackHandle`: a
 * map with the Go field names as keys in sorted order, the smallest integer forms, and strings as
 * fixstr / str16 / str32 (never `d9`) — the same rules as memberlist's structs, so the wire's
 * {@link Writer} produces serf's exact bytes (`test/serf/messages.test.ts` checks them against
 * fixtures written by serf's own encoder). Pure: no I/O.
 * @module
 */
import { Reader, WireFault, keySet } from '../wire/msgpack.js';
import { Writer, strBound } from '../wire/writer.js';

/** serf's `messageType` values hearsay reads or writes (append only: values are protocol). */
export const SerfMessageType = {
  /** `messageLeaveType`: `messageLeave{LTime, Node, Prune}`. */
  leave: 0,
  /** `messageJoinType`: `messageJoin{LTime, Node}`. */
  join: 1,
  /** `messagePushPullType`: serf's push/pull user state, `messagePushPull{LTime, …}`. */
  pushPull: 2,
} as const;

/** Largest Lamport time hearsay writes or reads: serf's `LamportTime` is a uint64, JavaScript's safe integers stop at 2⁵³ − 1. */
export const MAX_LAMPORT_TIME = Number.MAX_SAFE_INTEGER;

const LEAVE_KEYS = keySet('LTime', 'Node', 'Prune');
const JOIN_KEYS = keySet('LTime', 'Node');
const LTIME_KEYS = keySet('LTime');

/**
 * serf's leave intent for `node` at Lamport time `ltime`: `00` + `messageLeave{LTime, Node, Prune}`.
 * A serf agent that receives it marks the member *leaving*, and then *left* (not *failed*) when
 * memberlist reports the member gone (serf `handleNodeLeaveIntent`). `prune` asks serf to erase
 * the member at once instead (`serf force-leave -prune`); hearsay's own leave sends false.
 * @throws {RangeError} if `ltime` is not an integer from 0 to {@link MAX_LAMPORT_TIME}.
 */
export function encodeLeaveIntent(ltime: number, node: string, prune = false): Uint8Array {
  const w = new Writer();
  w.reset();
  w.ensure(1 + 1 + 3 * 7 + 9 + strBound(node) + 1);
  w.byte(SerfMessageType.leave);
  w.byte(0x83);
  w.raw(LEAVE_KEYS.enc[0]!);
  w.uint(ltime, MAX_LAMPORT_TIME, 'ltime');
  w.raw(LEAVE_KEYS.enc[1]!);
  w.str(node);
  w.raw(LEAVE_KEYS.enc[2]!);
  w.byte(prune ? 0xc3 : 0xc2);
  return w.finish();
}

/**
 * serf's join intent for `node` at Lamport time `ltime`: `01` + `messageJoin{LTime, Node}`. It
 * tells serf agents that a member they may hold as *leaving* is back (serf `broadcastJoin`).
 * @throws {RangeError} if `ltime` is not an integer from 0 to {@link MAX_LAMPORT_TIME}.
 */
export function encodeJoinIntent(ltime: number, node: string): Uint8Array {
  const w = new Writer();
  w.reset();
  w.ensure(1 + 1 + 2 * 6 + 9 + strBound(node));
  w.byte(SerfMessageType.join);
  w.byte(0x82);
  w.raw(JOIN_KEYS.enc[0]!);
  w.uint(ltime, MAX_LAMPORT_TIME, 'ltime');
  w.raw(JOIN_KEYS.enc[1]!);
  w.str(node);
  return w.finish();
}

/** What {@link readMemberClock} found in one serf message. */
export interface MemberClockReading {
  /** Which message carried it. */
  readonly kind: 'leave' | 'join' | 'push-pull';
  /** Its `LTime` field. */
  readonly ltime: number;
}

/**
 * The member-clock Lamport time a serf message carries: the `LTime` of a leave or join intent, or
 * of serf's push/pull user state (the sender's clock). Other serf messages (user events, queries)
 * run on serf's separate event and query clocks and give `undefined`, as does anything that is
 * not a well-formed serf message of these types, or an `LTime` above {@link MAX_LAMPORT_TIME}:
 * the bytes come from the network, so this never throws.
 */
export function readMemberClock(bytes: Uint8Array): MemberClockReading | undefined {
  const type = bytes[0];
  const kind = type === SerfMessageType.leave ? 'leave' : type === SerfMessageType.join ? 'join' : type === SerfMessageType.pushPull ? 'push-pull' : undefined;
  if (kind === undefined) return undefined;
  const r = new Reader(bytes, 1, bytes.length);
  try {
    const n = r.mapLen('serf message');
    let ltime: number | undefined;
    for (let i = 0; i < n; i++) {
      if (r.key(LTIME_KEYS, 0) === 0) ltime = r.uint('LTime', MAX_LAMPORT_TIME);
      else r.skip('serf field');
    }
    // go-msgpack decodes one value and ignores what follows; trailing bytes are not an error there either.
    return ltime === undefined ? undefined : { kind, ltime };
  } catch (error) {
    if (error instanceof WireFault) return undefined;
    throw error;
  }
}
