/**
 * memberlist message shapes as typed TypeScript values.
 *
 * Every message is a plain object tagged by `type`. Byte fields (`addr`, `meta`, `vsn`,
 * `payload`, `target`, `sourceAddr`) stay `Uint8Array`: they are raw bytes on the wire and are
 * never UTF-8 decoded (reference §1.2, §7.1). Names are JS strings (Go `string`, sent as msgpack str).
 * @module
 */

/**
 * memberlist message type numbers: the first byte of every message.
 * Append only: values are protocol (reference §1.1).
 */
export const MessageType = {
  ping: 0,
  indirectPing: 1,
  ack: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nack: 11,
  hasCrc: 12,
  error: 13,
  hasLabel: 244,
} as const;
/**
 * hearsay-only stream message types, sent only to peers that announced the matching feature bit
 * (never to memberlist). Append only: values are protocol. `0xE8` is the state layer's datagram.
 */
export const HearsayStreamType = {
  /** Digest push/pull v1 (`wire/digest-stream.ts`): request, reply and entries legs. */
  digestPushPull: 0xe9,
} as const;

/**
 * Names of message type bytes as the message union spells them (`ping`, `indirect-ping`,
 * `push-pull`, …; `has-crc`, `has-label` for the envelopes): metric labels and traffic counters.
 */
export const TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries({ ...MessageType, ...HearsayStreamType }).map(([name, code]) => [code, name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)]),
);

/** One of the {@link MessageType} numbers. */
export type MessageTypeNumber = (typeof MessageType)[keyof typeof MessageType];

/** Push/pull node state numbers (reference §1.3). Append only: values are protocol. */
export const NodeStateNumber = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;
/** One of the {@link NodeStateNumber} values. */
export type NodeStateNumberValue = (typeof NodeStateNumber)[keyof typeof NodeStateNumber];

/** Fields a sender fills in so replies reach it even from an ephemeral socket (reference §7.9). */
export interface SourceFields {
  /** Raw IP bytes (4 or 16) of the sender's advertised address. */
  readonly sourceAddr?: Uint8Array;
  /** Sender's advertised port. */
  readonly sourcePort?: number;
  /** Sender's node name. */
  readonly sourceNode?: string;
}

/** `ping` (type 0): a direct probe. `node` is the intended target's name ('' = anyone). */
export interface PingMessage extends SourceFields {
  readonly type: 'ping';
  /** Sequence number echoed by the ack; u32. */
  readonly seqNo: number;
  readonly node: string;
}

/** `indirectPingReq` (type 1): asks a relay to probe `target:port` (named `node`) for us. */
export interface IndirectPingMessage extends SourceFields {
  readonly type: 'indirect-ping';
  readonly seqNo: number;
  /** Raw IP bytes of the probed node. */
  readonly target: Uint8Array;
  /** Port of the probed node; 0 means "the relay's bind port" (protocol < 2). */
  readonly port: number;
  readonly node: string;
  /** Ask the relay to send a nack if the target does not answer (protocol 4). */
  readonly nack: boolean;
}

/** `ackResp` (type 2). `payload` is nil (`null`) unless a ping delegate supplied one. */
export interface AckMessage {
  readonly type: 'ack';
  readonly seqNo: number;
  readonly payload: Uint8Array | null;
}

/** `nackResp` (type 11): a relay could not reach the target in time. */
export interface NackMessage {
  readonly type: 'nack';
  readonly seqNo: number;
}

/** `suspect` (type 3): `from` suspects `node` at `incarnation`. */
export interface SuspectMessage {
  readonly type: 'suspect';
  readonly incarnation: number;
  readonly node: string;
  readonly from: string;
}

/** `alive` (type 4): `node` is alive at `incarnation`, reachable at `addr:port`. */
export interface AliveMessage {
  readonly type: 'alive';
  readonly incarnation: number;
  readonly node: string;
  /** Raw IP bytes: 4, or 16 (IPv6 or IPv4-mapped). Compared byte for byte, as Go does. */
  readonly addr: Uint8Array;
  readonly port: number;
  /** Node metadata, at most 512 bytes; `null` when Go sent nil. */
  readonly meta: Uint8Array | null;
  /** [pmin, pmax, pcur, dmin, dmax, dcur]; always 6 bytes when we send. */
  readonly vsn: Uint8Array;
  /**
   * hearsay-only key `Hf`: the hearsay features the node announces about itself (bit 0: cluster
   * state v1). Go's decoder skips the unknown key and re-encodes a relayed alive without it.
   */
  readonly features?: number;
}

/** `dead` (type 5): `from` declares `node` dead; `from === node` is a graceful leave. */
export interface DeadMessage {
  readonly type: 'dead';
  readonly incarnation: number;
  readonly node: string;
  readonly from: string;
}

/** `user` (type 8) over UDP: opaque host bytes (`08` + raw bytes). */
export interface UserMessage {
  readonly type: 'user';
  readonly payload: Uint8Array;
}

/** `errResp` (type 13): a stream peer's error reply. */
export interface ErrorMessage {
  readonly type: 'error';
  readonly error: string;
}

/** One node's entry in a push/pull exchange (`pushNodeState`; key `Name`, not `Node`). */
export interface PushNodeState {
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly meta: Uint8Array | null;
  readonly incarnation: number;
  readonly state: NodeStateNumberValue;
  readonly vsn: Uint8Array;
  /** hearsay-only key `Hf`, as in {@link AliveMessage.features}. */
  readonly features?: number | undefined;
}

/** `pushPull` (type 6), stream only: the header, N node states and the user state bytes. */
export interface PushPullMessage {
  readonly type: 'push-pull';
  readonly join: boolean;
  readonly nodes: readonly PushNodeState[];
  /** Delegate (user) state; empty means `UserStateLen = 0`. */
  readonly userState: Uint8Array;
}

/** Messages that travel inside UDP packets (possibly inside compounds / compression). */
export type PacketMessage =
  | PingMessage
  | IndirectPingMessage
  | AckMessage
  | NackMessage
  | SuspectMessage
  | AliveMessage
  | DeadMessage
  | UserMessage;

/**
 * Digest push/pull, leg 1 (hearsay only, `E9`): the initiator's bucket hashes of its member table
 * (`buckets.length` is the bucket count, a power of two).
 */
export interface DigestRequestMessage {
  readonly type: 'digest-request';
  readonly buckets: Uint32Array;
}

/** Digest push/pull, leg 2: the buckets whose hashes differ (ascending) and the responder's entries in them. */
export interface DigestReplyMessage {
  readonly type: 'digest-reply';
  readonly buckets: readonly number[];
  readonly nodes: readonly PushNodeState[];
}

/** Digest push/pull, leg 3 (one way, on a new stream): the initiator's entries in the differing buckets. */
export interface DigestEntriesMessage {
  readonly type: 'digest-entries';
  readonly nodes: readonly PushNodeState[];
}

/** Messages that open or answer a TCP stream exchange (the `digest-*` ones only between hearsay nodes). */
export type StreamMessage = PushPullMessage | PingMessage | AckMessage | UserMessage | ErrorMessage | DigestRequestMessage | DigestReplyMessage | DigestEntriesMessage;

/** Broadcastable membership gossip: the messages the transmit-limited queue carries. */
export type GossipMessage = AliveMessage | SuspectMessage | DeadMessage;
