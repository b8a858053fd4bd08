/**
 * Push/pull anti-entropy and join state exchange (memberlist `pushPull`, `sendLocalState`,
 * `mergeRemoteState`, `verifyProtocol`; reference §3.2, §4).
 *
 * Gossip is probabilistic; a periodic full-state exchange with one random member repairs whatever
 * it missed, and the same exchange (with `join` set) is how a node joins.
 * @module
 */
import { METRIC } from '../observability.js';
import { EncodedPushNodeState } from '../wire/bodies.js';
import { protocolMax, protocolMin, protocolRangeValid } from '../wire/capabilities.js';
import { encodeMessage } from '../wire/codec.js';
import { NodeStateNumber, type PushNodeState, type PushPullMessage, type StreamMessage } from '../wire/messages.js';
import { JOIN_REFUSED_PREFIX, type Admission } from './admission.js';
import type { CoreConfig } from './config.js';
import { DigestPushPull } from './digest-push-pull.js';
import type { Effects } from './effects.js';
import type { TimerTokens } from './ids.js';
import type { MemberEntry, MemberTable } from './members.js';
import type { Outbox } from './outbox.js';
import type { Random } from './random.js';
import type { FailedMembers } from './reconnect.js';
import { pushStateOf } from './push-state.js';
import { drop } from './report.js';
import type { SelfState } from './self.js';
import type { Membership } from './state-merge.js';
import type { Streams } from './streams.js';
import type { PushPullTickTimer } from './timers.js';

const EMPTY = new Uint8Array(0);
/** memberlist `pushPullScaleThreshold`. */
const PUSH_PULL_SCALE_THRESHOLD = 32;

/**
 * memberlist `pushPullScale`: the interval unchanged up to 32 members, then
 * `× (⌈log2 n − log2 32⌉ + 1)` — so large clusters do not drown in full-state exchanges.
 */
export function pushPullScale(intervalMs: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return multiplier * intervalMs;
}

/**
/**
 * Our whole table (self and every state, in probe order) as a push/pull message. Its user state is
 * empty: the core cannot call the host, so the driver fills it in from the user-state hook just
 * before the frame is written (see docs/architecture.md, "Host hooks").
 */
export function localState(members: MemberTable, join: boolean): PushPullMessage {
  const nodes: PushNodeState[] = [];
  for (const e of members.entries()) nodes.push(pushStateOf(e));
  return { type: 'push-pull', join, nodes, userState: EMPTY };
}

/**
 * memberlist `verifyProtocol`: over all *alive* nodes, remote and local, find the highest PMin and
 * DMin and the lowest PMax and DMax; then *every* node on both sides (any state; a missing Vsn
 * counts as 0) must have its PCur and DCur inside those ranges. One failure rejects the exchange.
 *
 * `current[i]` = 1 marks `remote[i]` as our own current entry for that member (see
 * `PushPull.merge`): its versions and state are the local entry's, already counted on the local
 * side, so it is skipped, and a compatible table costs one pass over ours. Any incompatibility is
 * re-checked in full, so the error is exactly the one the full check names first.
 * @returns an Error naming the node and versions, as Go words it; `undefined` if compatible.
 */
export function verifyProtocol(members: MemberTable, remote: readonly PushNodeState[], current?: Uint8Array): Error | undefined {
  if (current === undefined) return verifyAll(members, remote);
  const ranges = new VersionRanges();
  for (let i = 0; i < remote.length; i++) {
    if (current[i] !== 1) ranges.add(remote[i]!.vsn, remote[i]!.state === NodeStateNumber.alive);
  }
  for (const e of members.entries()) ranges.add(e.vsn, e.state === 'alive');
  return ranges.compatible() ? undefined : verifyAll(members, remote);
}

/**
 * The fast pass of {@link verifyProtocol}: the ranges alive nodes allow and the extremes of every
 * node's current versions. Every PCur and DCur falls inside the ranges iff the extremes do.
 */
class VersionRanges {
  private maxPMin = 0;
  private minPMax = 255;
  private maxDMin = 0;
  private minDMax = 255;
  private minPCur = 255;
  private maxPCur = 0;
  private minDCur = 255;
  private maxDCur = 0;

  /** Counts one node's Vsn (a short or missing one as zeros); only an alive node's bounds the ranges. */
  add(vsn: Uint8Array, alive: boolean): void {
    const long = vsn.length >= 6;
    const pCur = long ? vsn[2]! : 0;
    const dCur = long ? vsn[5]! : 0;
    this.minPCur = Math.min(this.minPCur, pCur);
    this.maxPCur = Math.max(this.maxPCur, pCur);
    this.minDCur = Math.min(this.minDCur, dCur);
    this.maxDCur = Math.max(this.maxDCur, dCur);
    if (!alive || !long) return;
    this.maxPMin = Math.max(this.maxPMin, protocolMin(vsn));
    this.minPMax = Math.min(this.minPMax, protocolMax(vsn));
    this.maxDMin = Math.max(this.maxDMin, vsn[3]!);
    this.minDMax = Math.min(this.minDMax, vsn[4]!);
  }

  compatible(): boolean {
    return this.minPCur >= this.maxPMin && this.maxPCur <= this.minPMax && this.minDCur >= this.maxDMin && this.maxDCur <= this.minDMax;
  }
}

/** {@link verifyProtocol} in full, as memberlist runs it (every entry on both sides, in order). */
function verifyAll(members: MemberTable, remote: readonly PushNodeState[]): Error | undefined {
  let maxPMin = 0;
  let minPMax = 255;
  let maxDMin = 0;
  let minDMax = 255;
  for (const r of remote) {
    if (r.state !== NodeStateNumber.alive || r.vsn.length < 6) continue;
    maxPMin = Math.max(maxPMin, protocolMin(r.vsn));
    minPMax = Math.min(minPMax, protocolMax(r.vsn));
    maxDMin = Math.max(maxDMin, r.vsn[3]!);
    minDMax = Math.min(minDMax, r.vsn[4]!);
  }
  const local = members.entries();
  for (const e of local) {
    if (e.state !== 'alive') continue;
    maxPMin = Math.max(maxPMin, protocolMin(e.vsn));
    minPMax = Math.min(minPMax, protocolMax(e.vsn));
    maxDMin = Math.max(maxDMin, e.vsn[3] ?? 0);
    minDMax = Math.min(minDMax, e.vsn[4] ?? 0);
  }
  const check = (name: string, vsn: Uint8Array): Error | undefined => {
    const pCur = vsn.length >= 6 ? vsn[2]! : 0;
    const dCur = vsn.length >= 6 ? vsn[5]! : 0;
    if (pCur < maxPMin || pCur > minPMax) return new Error(`Node '${name}' protocol version (${pCur}) is incompatible: [${maxPMin}, ${minPMax}]`);
    if (dCur < maxDMin || dCur > minDMax) return new Error(`Node '${name}' delegate protocol version (${dCur}) is incompatible: [${maxDMin}, ${minDMax}]`);
    return undefined;
  };
  for (const r of remote) {
    const err = check(r.name, r.vsn);
    if (err) return err;
  }
  for (const e of local) {
    const err = check(e.name, e.vsn);
    if (err) return err;
  }
  return undefined;
}

/** What push/pull works with (each owned elsewhere). */
export interface PushPullDeps {
  readonly config: CoreConfig;
  readonly random: Random;
  readonly tokens: TimerTokens;
  readonly self: SelfState;
  readonly members: MemberTable;
  readonly failed: FailedMembers;
  readonly membership: Membership;
  readonly streams: Streams;
  readonly admission: Admission;
  readonly outbox: Outbox;
}

/** Owns the push/pull ticker and the comeback exchanges' budget. Answers for `push-pull-tick` timers. */
export class PushPull {
  /** Token of the current ticker chain. */
  private tickToken = 0;
  /** Earliest time of our next comeback exchange, ms ({@link askComeback}: one per push/pull interval). */
  private nextComebackAt = Number.NEGATIVE_INFINITY;

  /** The digest exchange between capable hearsay nodes (digest-push-pull.ts), merging through {@link merge}. */
  readonly digest: DigestPushPull;

  constructor(private readonly d: PushPullDeps) {
    this.digest = new DigestPushPull({ config: d.config, self: d.self, members: d.members, streams: d.streams, pushPull: this });
  }

  /** Our whole table for a push/pull (join and anti-entropy). */
  localState(join: boolean): PushPullMessage {
    return localState(this.d.members, join);
  }

  /**
   * Our entry for `name` as a push/pull entry, if its encoding is exactly `buf[start, end)`: the
   * peer holds the same view of that member as we do (see `StreamDecoderOptions.knownNode`).
   */
  known(name: string, buf: Uint8Array, start: number, end: number): PushNodeState | undefined {
    const entry = this.d.members.get(name);
    if (entry === undefined) return undefined;
    const mine = pushStateOf(entry);
    try {
      return mine.encodes(buf, start, end) ? mine : undefined;
    } catch {
      return undefined; // an entry we could not send; the decoder decodes the peer's copy instead
    }
  }

  /** Whether `r` is our own current entry for that member (the stream decoder handed it over, see {@link known}). */
  private isCurrent(r: PushNodeState): boolean {
    if (!(r instanceof EncodedPushNodeState)) return false;
    const entry = this.d.members.get(r.name);
    return entry !== undefined && pushStateOf(entry) === r;
  }

  /**
   * Whether merging `r` would do nothing: an alive that is our own current entry, not about us,
   * with a valid Vsn — `Membership.alive` would stop at its "not newer" check (same address,
   * same incarnation). Merge skips those without building a message.
   */
  private repeatsOurs(r: PushNodeState, current: boolean, me: string): boolean {
    return current && r.state === NodeStateNumber.alive && r.name !== me && r.name.length > 0 && protocolRangeValid(r.vsn);
  }

  /**
   * memberlist `mergeRemoteState`: {@link verifyProtocol} first (on failure nothing is merged), then
   * per entry: alive → `aliveNode`; left → `dead` with From = Node (→ left); suspect and dead → a
   * *suspect from us* — a remote death is only a local suspicion (reference §7.13), so one confused
   * peer cannot kill members wholesale. Then, if the peer sent user state, a `merge-user-state`
   * event for the driver to hand to the host's hook (memberlist calls `MergeRemoteState` last, and
   * only for a non-empty buffer; the facade's serf adapter also reads serf's Lamport clock from it).
   * `join` is the exchange's flag: ours when we initiated it, the peer's when it did (memberlist
   * passes the same).
   *
   * `comeback`: the state is the reply of a member that came back from dead ({@link askComeback}).
   * Its suspect and dead entries about others are stale accusations: we do not suspect them
   * ourselves; we tell each accused member directly ({@link tellAccused}) so a live one refutes.
   */
  merge(now: number, fx: Effects, remote: PushPullMessage, join: boolean, comeback?: string): Error | undefined {
    const { members, membership } = this.d;
    // One look-up per entry, before anything is merged: which are our own current entries.
    const nodes = remote.nodes;
    const current = new Uint8Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) if (this.isCurrent(nodes[i]!)) current[i] = 1;
    const err = verifyProtocol(members, nodes, current);
    if (err !== undefined) {
      fx.metric('increment', METRIC.pushPull, 1, { outcome: 'rejected' });
      fx.log('debug', { error: err.message }, 'push/pull rejected by protocol version check');
      return err;
    }
    const me = this.d.config.name;
    const via = remote.join ? 'join' : 'push-pull';
    // Once anything was merged the table may differ from what `current` saw: look again.
    let changed = false;
    for (let i = 0; i < nodes.length; i++) {
      const r = nodes[i]!;
      if (this.repeatsOurs(r, changed ? this.isCurrent(r) : current[i] === 1, me)) continue;
      changed = true;
      switch (r.state) {
        case NodeStateNumber.alive:
          membership.alive(now, fx, { type: 'alive', incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn, ...(r.features === undefined ? {} : { features: r.features }) }, false, undefined, via);
          break;
        case NodeStateNumber.left:
          membership.dead(now, fx, { type: 'dead', incarnation: r.incarnation, node: r.name, from: r.name });
          break;
        case NodeStateNumber.dead:
        case NodeStateNumber.suspect:
          if (comeback !== undefined && r.name !== me) this.tellAccused(fx, r, comeback);
          else membership.suspect(now, fx, { type: 'suspect', incarnation: r.incarnation, node: r.name, from: me });
          break;
        default:
          drop(fx, 'bad-state', { node: r.name, state: r.state }, 'push/pull entry with an unknown state');
      }
    }
    fx.metric('increment', METRIC.pushPull, 1, { outcome: 'ok' });
    if (remote.userState.length > 0) fx.emit({ type: 'merge-user-state', state: remote.userState, join });
    return undefined;
  }

  /** Arms the push/pull ticker (a fresh chain). */
  scheduleTick(now: number, fx: Effects, afterMs: number): void {
    this.tickToken = this.d.tokens.next();
    const timer: PushPullTickTimer = { type: 'push-pull-tick', token: this.tickToken, dueAt: now + afterMs };
    fx.schedule(timer, afterMs);
  }

  /** True when `timer` belongs to a replaced chain. */
  isStale(timer: PushPullTickTimer): boolean {
    return timer.token !== this.tickToken;
  }

  /**
   * Periodic anti-entropy: a `join = false` push/pull with one random alive member, as a digest
   * exchange when both of us announce the digest feature (digest-push-pull.ts).
   *
   * Stops after `leave()` (memberlist keeps it running until `Shutdown`): nobody gossips to a left
   * member, so its table goes stale, and pushing it would resurrect members the others have already
   * declared dead and reaped — they would accept the stale alive as a brand-new node.
   */
  onTick(now: number, fx: Effects, timer: PushPullTickTimer): void {
    if (timer.token !== this.tickToken || this.d.self.leaving) return;
    const { config: cfg, members, random } = this.d;
    const interval = pushPullScale(cfg.pushPullIntervalMs, members.size);
    const next: PushPullTickTimer = { type: 'push-pull-tick', token: timer.token, dueAt: now + interval };
    fx.schedule(next, interval);
    const [peer] = members.kRandom(1, random, (e) => e.name === cfg.name || e.state !== 'alive');
    if (peer !== undefined && this.digest.usable(peer)) this.digest.start(fx, peer);
    else if (peer !== undefined) {
      const id = this.d.streams.register({ kind: 'push-pull' });
      fx.stream(peer.address, id, this.localState(false), cfg.tcpTimeoutMs);
    }
    const failed = this.d.failed.pick(now, members.entries(), (name) => members.get(name) !== undefined, members.count('alive'), random);
    if (failed !== undefined) this.reconnect(fx, failed.address, true);
  }

  /** A push/pull with a member we consider failed (see reconnect.ts). */
  private reconnect(fx: Effects, address: string, followUp: boolean): void {
    const id = this.d.streams.register({ kind: 'reconnect', address, followUp });
    fx.stream(address, id, this.localState(false), this.d.config.tcpTimeoutMs);
  }

  /** The reply to a reconnect attempt: merge it, and if the member answered the first time, exchange once more to carry both sides' refutations across. */
  onReconnectResult(now: number, fx: Effects, address: string, followUp: boolean, result: StreamMessage | Error): void {
    const answered = !(result instanceof Error) && result.type === 'push-pull';
    this.onResult(now, fx, result);
    if (answered) {
      fx.log('debug', { address }, 'reconnected to a member considered failed');
      if (followUp && !this.d.self.leaving) this.reconnect(fx, address, false);
    }
  }

  /**
   * `member` came back from dead (it refuted a death): a push/pull with it now, at most one such
   * exchange per push/pull interval, none when push/pull is off or after `leave()`.
   *
   * A member that was cut off long enough to be declared dead has likely suspected others
   * meanwhile, and its suspect gossip went where nobody heard it. A Go peer lets those suspicions
   * expire after the heal and declares healthy members dead, which every Go peer applies
   * (memberlist's `deadNode`). Its reply lists them while they still run: we refute those about
   * us at once and tell the other accused (merge with `comeback`), so their refutations reach it
   * before its timeouts do. The budget bounds the cost of a large heal (each node asks one
   * comeback per interval, as many exchanges as one round of anti-entropy).
   */
  askComeback(now: number, fx: Effects, member: MemberEntry): void {
    const { config: cfg, members } = this.d;
    if (cfg.pushPullIntervalMs <= 0 || this.d.self.leaving || now < this.nextComebackAt) return;
    this.nextComebackAt = now + pushPullScale(cfg.pushPullIntervalMs, members.size);
    const id = this.d.streams.register({ kind: 'push-pull', comeback: member.name });
    fx.stream(member.address, id, this.localState(false), cfg.tcpTimeoutMs);
    fx.log('debug', { node: member.name }, 'back from dead: asking what it still suspects');
  }

  /**
   * Sends `r.name` a plain `suspect` about itself, from `accuser`, when we hold it alive or suspect
   * at no newer incarnation than the accusation: a live member refutes, and its refutation ends
   * the accuser's stale suspicion (a newer incarnation clears it in memberlist and here alike).
   * If we know a newer incarnation, the state we pushed in the same exchange already clears it.
   */
  private tellAccused(fx: Effects, r: PushNodeState, accuser: string): void {
    const entry = this.d.members.get(r.name);
    if (entry === undefined || (entry.state !== 'alive' && entry.state !== 'suspect') || r.incarnation < entry.incarnation) return;
    this.d.outbox.sendToMember(fx, entry, [encodeMessage({ type: 'suspect', incarnation: r.incarnation, node: r.name, from: accuser })]);
  }

  /** The reply to our periodic push/pull, or to a comeback exchange with `comeback`: merge it. */
  onResult(now: number, fx: Effects, result: StreamMessage | Error, comeback?: string): void {
    if (result instanceof Error || result.type !== 'push-pull') {
      const why = result instanceof Error ? result.message : result.type === 'error' ? result.error : `unexpected ${result.type} reply`;
      fx.metric('increment', METRIC.pushPull, 1, { outcome: 'failed' });
      fx.log('debug', { error: why }, 'push/pull failed');
      return;
    }
    // Periodic, reconnect and comeback exchanges are never joins.
    this.merge(now, fx, result, false, comeback);
  }

  /**
   * An inbound push/pull: build our reply first (echoing `join`), then merge theirs — memberlist's
   * order, so the joiner gets our table as it was before its own entry arrived. The reply goes out
   * even if the merge is rejected; the peer's own check will then reject ours.
   *
   * A join the admission hook refuses (any member it would add vetoed: memberlist's
   * `MergeDelegate`, whole exchange) merges nothing and is answered with an error reply, so the
   * joiner learns why (memberlist replies with its state before merging, and the joiner never knows).
   */
  handleRequest(now: number, fx: Effects, request: PushPullMessage): StreamMessage {
    const refusal = request.join ? this.d.admission.screen(now, fx, request.nodes) : undefined;
    if (refusal !== undefined) {
      fx.metric('increment', METRIC.pushPull, 1, { outcome: 'rejected' });
      return { type: 'error', error: `${JOIN_REFUSED_PREFIX}member "${refusal.member}" (${refusal.address}): ${refusal.reason}` };
    }
    const reply = this.localState(request.join);
    this.merge(now, fx, request, request.join);
    this.d.admission.endScreen();
    return reply;
  }
}
