/**
 * Membership state rules: alive / suspect / dead (and left) processing, incarnation precedence,
 * address conflicts, Lifeguard suspicion timers and self-refutation — memberlist `state.go`
 * (`aliveNode`, `suspectNode`, `deadNode`; `refute` is in self.ts), reference §5.
 *
 * The same functions serve gossip, push/pull merges and our own decisions (a failed probe calls
 * `suspect` with `from` = us), so every path obeys one precedence table:
 *
 * | message | unknown node | inc < known | inc = known | inc > known |
 * |---|---|---|---|---|
 * | alive   | add (join) | ignore | ignore (self: refute if meta/vsn differ) | accept (self: refute) |
 * | suspect | ignore | ignore | accept if alive / confirm if suspect | same as = |
 * | dead    | ignore | ignore | accept unless already dead/left (self: refute) | same as = |
 * @module
 */
import { bytesEqual, bytesToHostPort } from '../address.js';
import { METRIC } from '../observability.js';
import { protocolMax, protocolMin } from '../wire/capabilities.js';
import type { AliveMessage, DeadMessage, SuspectMessage } from '../wire/messages.js';
import type { CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { TimerTokens } from './ids.js';
import type { MemberEntry, MemberTable } from './members.js';
import type { GossipQueues } from './queues.js';
import type { Random } from './random.js';
import { drop, memberEvent } from './report.js';
import type { SelfState } from './self.js';
import { snapshotOf } from './snapshot.js';
import type { StallGuard } from './stall.js';
import { Suspicion, suspicionTimeouts } from './suspicion.js';
import type { SuspicionTimeoutTimer } from './timers.js';

const EMPTY = new Uint8Array(0);

/** What the membership rules work with (each owned elsewhere). */
export interface MembershipDeps {
  readonly config: CoreConfig;
  readonly random: Random;
  readonly tokens: TimerTokens;
  readonly self: SelfState;
  readonly members: MemberTable;
  readonly queues: GossipQueues;
  readonly stall: StallGuard;
}

/**
 * Owns the membership rules and the running suspicions (by member name; deleting one makes its
 * timer stale). Answers for `suspicion-timeout` timers. The member table is shared (the probe,
 * gossip and push/pull families read it), but only these rules change its entries' states.
 */
export class Membership {
  private readonly suspicions = new Map<string, Suspicion>();

  constructor(private readonly d: MembershipDeps) {}

  /** True if any member other than us is alive or suspect (memberlist `anyAlive`). */
  anyPeerUp(): boolean {
    return this.peersUp() > 0;
  }

  /** Members other than us that are alive or suspect. */
  private peersUp(): number {
    const { members, self } = this.d;
    const state = self.entry.state;
    return members.count('alive') + members.count('suspect') - (state === 'alive' || state === 'suspect' ? 1 : 0);
  }

  /** True when `timer` belongs to a suspicion that ended or was re-armed. */
  isStale(timer: SuspicionTimeoutTimer): boolean {
    return this.suspicions.get(timer.node)?.token !== timer.token;
  }

  /**
   * memberlist `aliveNode`. Adds unknown members, accepts strictly newer incarnations, lets a left
   * (or long-dead, `deadNodeReclaimMs`) name move to a new address, refutes alives about us that
   * are newer or differ, re-broadcasts what it accepts, and emits join / alive / update.
   * @param bootstrap true for our own alive at start and on metadata changes (no refutation).
   * @param completionId reported as `broadcast-done` when the re-broadcast finishes.
   */
  alive(now: number, fx: Effects, a: AliveMessage, bootstrap: boolean, completionId?: number): void {
    const { config: cfg, members, self } = this.d;
    const isSelf = a.node === cfg.name;
    // A queued alive about us must not undo a leave (memberlist: "cause us to re-join").
    if (isSelf && self.leaving) return;
    if (a.node.length === 0) {
      drop(fx, 'bad-name', {}, 'ignoring alive with an empty node name');
      return;
    }
    const vsn = a.vsn;
    if (vsn.length >= 3) {
      const pmin = protocolMin(vsn);
      const pmax = protocolMax(vsn);
      if (pmin === 0 || pmax === 0 || pmin > pmax) {
        drop(fx, 'bad-vsn', { node: a.node, pmin, pmax }, 'ignoring alive: protocol versions are wrong');
        return;
      }
    }
    const meta = a.meta ?? EMPTY;
    let entry = members.get(a.node);
    let updatesNode = false;
    if (entry === undefined) {
      const address = bytesToHostPort(a.addr, a.port);
      if (address === undefined) {
        drop(fx, 'bad-addr', { node: a.node, addrLength: a.addr.length }, 'ignoring alive: Addr is not an IP');
        return;
      }
      // Go stores the new node as dead with incarnation 0 and zero state-change time, then applies
      // the alive below; an alive at incarnation 0 therefore leaves a never-alive entry (reaped on wrap).
      entry = {
        name: a.node,
        addr: a.addr,
        port: a.port,
        address,
        meta,
        vsn: vsn.length >= 6 ? vsn.subarray(0, 6) : new Uint8Array(6),
        incarnation: 0,
        state: 'dead',
        stateChangeAt: Number.NEGATIVE_INFINITY,
        snapshot: undefined,
      };
      members.add(entry, this.d.random);
    } else if (!bytesEqual(entry.addr, a.addr) || entry.port !== a.port) {
      const canReclaim = cfg.deadNodeReclaimMs > 0 && now - entry.stateChangeAt > cfg.deadNodeReclaimMs;
      if (entry.state === 'left' || (entry.state === 'dead' && canReclaim)) {
        if (bytesToHostPort(a.addr, a.port) === undefined) {
          drop(fx, 'bad-addr', { node: a.node }, 'ignoring alive: Addr is not an IP');
          return;
        }
        updatesNode = true;
      } else {
        drop(fx, 'conflict', { node: a.node, mine: entry.address, theirs: bytesToHostPort(a.addr, a.port), state: entry.state }, 'conflicting address for member');
        return;
      }
    }

    if (a.incarnation <= entry.incarnation && !isSelf && !updatesNode) {
      if (a.incarnation < entry.incarnation) stale(fx, 'alive', entry, a.incarnation);
      return;
    }
    if (a.incarnation < entry.incarnation && isSelf) return;

    // Any suspicion is over: its timer goes stale (token no longer in the map).
    this.suspicions.delete(a.node);

    if (!bootstrap && isSelf) {
      // Same incarnation but different meta/vsn: we restarted with a new config (reference §5, §7.12).
      if (a.incarnation === entry.incarnation && bytesEqual(meta, entry.meta) && bytesEqual(vsn, cfg.vsn)) return;
      self.refute(now, fx, a.incarnation, 'alive', undefined);
      return;
    }

    this.d.queues.queue(a, completionId);
    const oldState = entry.state;
    const metaChanged = !bytesEqual(entry.meta, meta);
    const addrChanged = !bytesEqual(entry.addr, a.addr) || entry.port !== a.port;
    const wasUp = oldState === 'alive' || oldState === 'suspect';
    const previous = wasUp && (metaChanged || addrChanged) && !isSelf ? snapshotOf(entry) : undefined;
    if (vsn.length >= 6) entry.vsn = vsn.length === 6 ? vsn : vsn.subarray(0, 6);
    entry.incarnation = a.incarnation;
    entry.meta = meta;
    if (addrChanged) {
      entry.addr = a.addr;
      entry.port = a.port;
      entry.address = bytesToHostPort(a.addr, a.port) ?? entry.address;
    }
    members.setState(entry, 'alive', now);

    if (!wasUp) this.event(fx, 'join', entry);
    else {
      if (oldState === 'suspect') this.event(fx, 'alive', entry);
      if (previous !== undefined) fx.emit({ type: 'update', member: snapshotOf(entry), previous });
    }
  }

  /**
   * memberlist `suspectNode`. Confirms a running suspicion (re-gossiping new confirmations, at most
   * k), or starts one for an alive member: state → suspect, Lifeguard timer at `max` (or `min` when
   * k = 0), `suspect` event. A suspect about us is refuted.
   */
  suspect(now: number, fx: Effects, s: SuspectMessage): void {
    const { config: cfg, members } = this.d;
    const entry = members.get(s.node);
    if (entry === undefined) return;
    if (s.incarnation < entry.incarnation) {
      stale(fx, 'suspect', entry, s.incarnation);
      return;
    }
    const running = this.suspicions.get(s.node);
    if (running !== undefined) {
      const remaining = running.confirm(s.from, now);
      if (remaining !== undefined) {
        // New, independent information: spread it so others can confirm too (Lifeguard §IV-B).
        this.d.queues.queue(s);
        fx.metric('increment', METRIC.suspectConfirmations, 1);
        running.token = this.d.tokens.next();
        scheduleSuspicion(now, fx, entry, running, Math.max(0, remaining));
      }
      return;
    }
    if (entry.state !== 'alive') return;
    if (entry.name === cfg.name) {
      this.d.self.refute(now, fx, s.incarnation, 'suspect', s.from);
      return;
    }
    this.d.queues.queue(s);
    entry.incarnation = s.incarnation;
    members.setState(entry, 'suspect', now);
    // n counts ourselves and the suspect; k = suspicionMult − 2 so the nominal timeout is reached two
    // probe intervals early when everyone confirms (memberlist's comment). Only live peers other
    // than the suspect can confirm: memberlist also counts dead and left ones (docs/design-notes.md).
    const t = suspicionTimeouts(members.size, cfg, this.peersUp() - 1);
    const suspicion = new Suspicion(s.from, t.k, t.minMs, t.maxMs, now, this.d.tokens.next());
    this.suspicions.set(s.node, suspicion);
    scheduleSuspicion(now, fx, entry, suspicion, suspicion.initialTimeoutMs);
    this.event(fx, 'suspect', entry);
  }

  /**
   * A suspicion timer fired: ignored if stale, held by the stall rule if due during a stall;
   * otherwise, if the member is still suspect from the same suspicion, declare it dead with
   * `from` = us.
   */
  onSuspicionTimeout(now: number, fx: Effects, timer: SuspicionTimeoutTimer): void {
    const s = this.suspicions.get(timer.node);
    if (s === undefined || s.token !== timer.token) return;
    if (this.d.stall.deferIfStalled(now, fx, timer)) return;
    const entry = this.d.members.get(timer.node);
    if (entry === undefined) return;
    if (entry.state !== 'suspect' || entry.stateChangeAt !== s.startedAt) return;
    fx.log('debug', { node: entry.name, confirmations: s.confirmations, k: s.k }, 'marking member as failed: suspicion timeout reached');
    this.dead(now, fx, { type: 'dead', incarnation: entry.incarnation, node: entry.name, from: this.d.config.name });
  }

  /**
   * memberlist `deadNode`. `from === node` is a graceful leave (→ left), anything else a failure
   * (→ dead). Ignores unknown members, older incarnations and members already dead or left; a dead
   * about us is refuted unless we are leaving, in which case it is our own leave broadcast.
   * @param completionId reported as `broadcast-done` when the re-broadcast finishes (our leave).
   */
  dead(now: number, fx: Effects, d: DeadMessage, completionId?: number): void {
    const { members, self } = this.d;
    const entry = members.get(d.node);
    if (entry === undefined) return;
    if (d.incarnation < entry.incarnation) {
      stale(fx, 'dead', entry, d.incarnation);
      return;
    }
    this.suspicions.delete(d.node);
    if (entry.state === 'dead' || entry.state === 'left') return;
    if (entry.name === this.d.config.name && !self.leaving) {
      self.refute(now, fx, d.incarnation, 'dead', d.from);
      return;
    }
    this.d.queues.queue(d, completionId);
    entry.incarnation = d.incarnation;
    const left = d.node === d.from;
    members.setState(entry, left ? 'left' : 'dead', now);
    this.event(fx, left ? 'leave' : 'fail', entry);
  }

  private event(fx: Effects, type: 'join' | 'suspect' | 'alive' | 'fail' | 'leave', entry: MemberEntry): void {
    memberEvent(fx, this.d.members, this.d.config.name, type, entry);
  }
}

function scheduleSuspicion(now: number, fx: Effects, entry: MemberEntry, s: Suspicion, afterMs: number): void {
  const timer: SuspicionTimeoutTimer = { type: 'suspicion-timeout', token: s.token, dueAt: now + afterMs, node: entry.name, incarnation: entry.incarnation };
  fx.schedule(timer, afterMs);
}

function stale(fx: Effects, kind: string, entry: MemberEntry, incarnation: number): void {
  drop(fx, 'stale', { kind, node: entry.name, incarnation, known: entry.incarnation }, 'ignoring message with an older incarnation');
}
