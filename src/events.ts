/**
 * Event names, payloads and member snapshots: what the host sees.
 * @module
 */
import type { ConflictEvent } from './hooks/conflict.js';

/** A member's state as the cluster sees it. `left` = graceful leave; `dead` = declared failed. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** Protocol version bytes a member advertises (`Vsn`). */
export interface MemberVersions {
  readonly protocolMin: number;
  readonly protocolMax: number;
  readonly protocolCurrent: number;
  readonly delegateMin: number;
  readonly delegateMax: number;
  readonly delegateCurrent: number;
}

/** A frozen, point-in-time view of one member. Never updated in place: take a new one. */
export interface MemberSnapshot {
  /** Unique node name. */
  readonly name: string;
  /** `host:port` to reach it (IPv6 bracketed). */
  readonly address: string;
  /** IP text. */
  readonly host: string;
  readonly port: number;
  readonly state: MemberState;
  /** Its incarnation number: bumped by the member itself to refute or to change metadata. */
  readonly incarnation: number;
  /** Raw metadata bytes as gossiped (empty when none). */
  readonly metadata: Uint8Array;
  /** The metadata decoded as serf tags, when it is in that form (`0xFF` + msgpack string map). */
  readonly tags: Readonly<Record<string, string>> | undefined;
  readonly versions: MemberVersions;
  /**
   * Smoothed round trip of this node's direct probes of the member, ms: an exponentially weighted
   * moving average with weight 1/8 on each new sample, as TCP's SRTT (RFC 6298). `undefined` until
   * a direct probe of it has completed, for ourselves, and again after the member's address changes.
   */
  readonly rttMs: number | undefined;
}

/** `join`: a member became known and alive (new, or back from dead/left). */
export interface JoinEvent {
  readonly member: MemberSnapshot;
}
/** `update`: an alive member changed metadata or address. */
export interface UpdateEvent {
  readonly member: MemberSnapshot;
  readonly previous: MemberSnapshot;
}
/** `alive` (a suspect that recovered), `fail`, `leave`: a state transition. */
export interface MemberEvent {
  readonly member: MemberSnapshot;
}
/** `suspect`: an alive member is suspected (not yet failed). A `suspicion` event follows at once. */
export interface SuspectEvent {
  readonly member: MemberSnapshot;
  /**
   * Who raised the suspicion: the member whose `suspect` message reached this node first, or this
   * node's own name when its own probe failed or a push/pull reported the member suspect or dead
   * (memberlist merges those as a suspicion of its own).
   */
  readonly accuser: string;
}
/**
 * `suspicion`: how far a running suspicion has got, so a host can read suspicion as a graded
 * signal rather than a yes/no. Emitted right after `suspect` when a suspicion starts, and again
 * each time an independent member confirms it. Lifeguard (§IV-B) starts the timeout at its maximum
 * and shortens it towards its minimum as the `expected` confirmations arrive; the values here are
 * those of the timer the node runs, not recomputed. Times are the node clock's monotonic ms
 * (`performance.now()` on a real node, virtual time in the simulator), as in `self:isolated`.
 * No memberlist equivalent (memberlist only counts confirmations in a metric).
 */
export interface SuspicionEvent {
  readonly member: MemberSnapshot;
  /** Who raised the suspicion (see {@link SuspectEvent.accuser}); never counted as a confirmation. */
  readonly accuser: string;
  /** The member whose confirmation this event reports; `undefined` when the suspicion starts. */
  readonly confirmedBy: string | undefined;
  /**
   * True once the member's host refused our TCP fallback ping (nothing listens on its port): the
   * suspicion then ends one probe interval after the failed probe, and the event is emitted again
   * with that earlier deadline.
   */
  readonly refused: boolean;
  /** Independent confirmations so far, 0 … `expected`. */
  readonly confirmations: number;
  /**
   * Confirmations Lifeguard expects (its k: `suspicionMult − 2`, or 0 when fewer live members
   * could confirm). With all of them in, the timeout is at its minimum. 0 means the suspicion runs
   * at its minimum timeout from the start and confirmations are not counted.
   */
  readonly expected: number;
  /** When the member became suspect. */
  readonly startedAt: number;
  /**
   * When the suspicion runs out: the member is then declared failed (`fail`), unless it refuted
   * first (`alive`), or this node could not verify the suspicion itself (it was cut off, or its
   * probe went unanswered by every relay too): then its own probe decides first.
   */
  readonly deadlineAt: number;
  /** The whole timeout as it now stands, ms from `startedAt` (whole ms; `deadlineAt − startedAt` up to float rounding). */
  readonly timeoutMs: number;
  /** `deadlineAt` − now when emitted, ms; 0 when the last confirmation ended it (`fail` follows). */
  readonly remainingMs: number;
}
/** `self:refute`: this node was accused and bumped its incarnation to refute. */
export interface RefuteEvent {
  /** The incarnation we now advertise. */
  readonly incarnation: number;
  /** Who accused us, when known. */
  readonly accuser: string | undefined;
  readonly accusation: 'suspect' | 'dead' | 'alive';
}
/** `self:health`: the Lifeguard local-health score changed (0 = healthy). */
export interface HealthEvent {
  readonly score: number;
  readonly previous: number;
}
/**
 * `self:isolated`: this node was cut off and is back. For a while every probe it sent went
 * unanswered, by the target and by every relay, and nothing else answered it either; emitted
 * once anything answers again. Meanwhile its own suspicions were held, not turned into `fail`
 * events, and are now re-checked. Times are the node clock's monotonic ms (`performance.now()`
 * on a real node, virtual time in the simulator).
 */
export interface IsolatedEvent {
  /** When the first unanswered probe of the episode was sent, ms. */
  readonly startedAt: number;
  /** When something answered again, ms. */
  readonly endedAt: number;
  /** `endedAt − startedAt`, ms. */
  readonly durationMs: number;
}
/** `message`: a user payload gossiped or sent by a peer. */
export interface MessageEvent {
  readonly payload: Uint8Array;
  /**
   * The sending member's name when known: the member advertised at `address` (any state), else,
   * when no member is, the one live member other than us whose host is `address`'s host — which is
   * how a stream (sent from an ephemeral port) is identified. `undefined` when no member matches, or
   * several share that host (nodes on one machine): then only `address` says where it came from.
   */
  readonly from: string | undefined;
  /** The source `host:port` of the datagram or stream (a stream's is the sender's ephemeral port). */
  readonly address: string;
}

/** `state` event: one observed change of one member's key. */
export interface StateEvent {
  /** The member that owns the key (our own name for our writes). */
  readonly member: string;
  readonly key: string;
  /** The new value; `undefined` when the key was deleted (or the member's state was dropped). */
  readonly value: string | Uint8Array | undefined;
  /** The value before, as this node saw it; `undefined` when the key was new. */
  readonly previous: string | Uint8Array | undefined;
  /** The owner's version of this change (its monotonic counter). */
  readonly version: number;
}

/** `event`: a cluster-wide event published by `from` (this node included). */
export interface PublishedEvent {
  readonly name: string;
  readonly payload: Uint8Array;
  /** The publishing member's name. */
  readonly from: string;
  /** The publisher's Lamport time: events that caused one another are ordered by it across publishers. */
  readonly lamport: number;
}

/**
 * Which members `members()` lists. Without a filter: alive and suspect members (self included),
 * as memberlist's `Members()`. Fields combine with AND.
 */
export interface MembersFilter {
  /** `'all'` (adds dead and left members not yet reaped), one state, or a list. Default alive + suspect. */
  readonly state?: 'all' | MemberState | readonly MemberState[];
  /** Only members whose serf tags include every one of these `name: value` pairs. */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The event map of `Hearsay` (eventemitter3 generic map). Events are emitted in order, after the
 * state change they describe, exactly once per transition. A listener that throws is reported
 * through the logger and cannot corrupt state.
 */
export interface HearsayEvents {
  join: (event: JoinEvent) => void;
  update: (event: UpdateEvent) => void;
  suspect: (event: SuspectEvent) => void;
  suspicion: (event: SuspicionEvent) => void;
  alive: (event: MemberEvent) => void;
  fail: (event: MemberEvent) => void;
  leave: (event: MemberEvent) => void;
  message: (event: MessageEvent) => void;
  conflict: (event: ConflictEvent) => void;
  'self:refute': (event: RefuteEvent) => void;
  'self:health': (event: HealthEvent) => void;
  'self:isolated': (event: IsolatedEvent) => void;
  /** One observed change of a member's key (`node.state`), in the owner's version order. */
  state: (event: StateEvent) => void;
  /** A cluster-wide event from `publish()`, once per node, in its publisher's order. */
  event: (event: PublishedEvent) => void;
}
