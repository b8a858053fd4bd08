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
 *
 * Partitions heal without collateral deaths (docs/architecture.md): an accuser we distrust
 * (trust.ts) gets a `dead` taken as a suspicion at most, and an *unverified* suspicion (a probe
 * nobody answered, our isolation, a distrusted accuser) is held at its timeout until our own probe
 * decides it.
 * @module
 */
import { bytesEqual, bytesToHostPort } from '../address.js';
import { METRIC } from '../observability.js';
import { protocolMax, protocolMin, protocolRangeValid } from '../wire/capabilities.js';
import { encodeMessage } from '../wire/codec.js';
import type { AliveMessage, DeadMessage, SuspectMessage } from '../wire/messages.js';
import type { AdmissionVia } from '../hooks/admission.js';
import type { Admission } from './admission.js';
import type { CoreConfig } from './config.js';
import type { ConflictLog } from './conflicts.js';
import type { Effects } from './effects.js';
import type { TimerTokens } from './ids.js';
import { internAddr, internMeta, internString, internVsn } from './intern.js';
import { newMemberEntry, reviseEntry, type MemberEntry, type MemberTable } from './members.js';
import type { Outbox } from './outbox.js';
import type { GossipQueues } from './queues.js';
import type { Random } from './random.js';
import { drop, memberEvent, memberGauges } from './report.js';
import type { SelfState } from './self.js';
import { snapshotOf } from './snapshot.js';
import type { StallGuard } from './stall.js';
import { Suspicion, refusedSuspicionMs, suspicionTimeouts, suspicionView } from './suspicion.js';
import type { SuspicionTimeoutTimer } from './timers.js';
import type { AccuserTrust } from './trust.js';

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
  readonly outbox: Outbox;
  readonly trust: AccuserTrust;
  readonly conflicts: ConflictLog;
  readonly admission: Admission;
  /** Where a member back from dead is reported (push/pull asks it what it still suspects). */
  readonly comebacks: { ask(now: number, fx: Effects, member: MemberEntry): void };
}

/**
 * Owns the membership rules and the running suspicions (by member name; deleting one makes its
 * timer stale). Answers for `suspicion-timeout` timers. The member table is shared (the probe,
 * gossip and push/pull families read it), but only these rules change its entries' states.
 */
export class Membership {
  private readonly suspicions = new Map<string, Suspicion>();
  /** We are isolated (isolation.ts): every suspicion is unverified until we hear from the cluster. */
  private cutOff = false;
  /** Members whose held suspicion waits for our probe, in order (the probe cycle takes them first). */
  private readonly toVerify = new Set<string>();

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
   * @param via how it arrived, for the admission hook (admission.ts), asked before a new or changed member is applied.
   */
  alive(now: number, fx: Effects, a: AliveMessage, bootstrap: boolean, completionId?: number, via: AdmissionVia = 'gossip'): void {
    const { config: cfg, members, self } = this.d;
    const isSelf = a.node === cfg.name;
    // A queued alive about us must not undo a leave (memberlist: "cause us to re-join").
    if (isSelf && self.leaving) return;
    if (a.node.length === 0) {
      drop(fx, 'bad-name', {}, 'ignoring alive with an empty node name');
      return;
    }
    const vsn = a.vsn;
    if (!protocolRangeValid(vsn)) {
      drop(fx, 'bad-vsn', { node: a.node, pmin: protocolMin(vsn), pmax: protocolMax(vsn) }, 'ignoring alive: protocol versions are wrong');
      return;
    }
    const meta = internMeta(a.meta ?? EMPTY);
    let entry = members.get(a.node);
    let updatesNode = false;
    let isNew = false;
    if (entry === undefined) {
      const address = bytesToHostPort(a.addr, a.port);
      if (address === undefined) {
        drop(fx, 'bad-addr', { node: a.node, addrLength: a.addr.length }, 'ignoring alive: Addr is not an IP');
        return;
      }
      if (!isSelf && !this.d.admission.allows(fx, undefined, a, via)) return;
      isNew = true;
      // Go stores the new node as dead with incarnation 0 and zero state-change time, then applies
      // the alive below; an alive at incarnation 0 therefore leaves a never-alive entry (reaped on wrap).
      entry = newMemberEntry({ name: a.node, addr: internAddr(a.addr), port: a.port, address: internString(address), meta, vsn: internVsn(vsn) });
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
        this.d.conflicts.report(fx, entry, a);
        return;
      }
    }

    // PushPull.merge skips, without calling us, an alive that ends here as an exact repeat of the entry.
    if (a.incarnation <= entry.incarnation && !isSelf && !updatesNode) {
      // A Go relay drops `Hf`: the member's own copy at the same incarnation still tells us its features.
      if (a.features !== undefined && a.incarnation === entry.incarnation) reviseEntry(entry, { features: a.features });
      if (a.incarnation < entry.incarnation) stale(fx, 'alive', entry, a.incarnation);
      return;
    }
    if (a.incarnation < entry.incarnation && isSelf) return;
    if (!isSelf && !isNew && !this.d.admission.allows(fx, entry, a, via)) return;

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
    const neverAlive = entry.stateChangeAt === Number.NEGATIVE_INFINITY;
    // Back from dead or left: its stale accusations may still arrive (trust.ts).
    if (!wasUp && !isSelf) this.d.trust.noteUp(entry.name, now, neverAlive);
    const previous = wasUp && (metaChanged || addrChanged) && !isSelf ? snapshotOf(entry) : undefined;
    members.update(entry, now, {
      incarnation: a.incarnation,
      meta,
      state: 'alive',
      vsn: vsn.length >= 6 ? internVsn(vsn) : undefined,
      features: a.features,
      ...(addrChanged ? { addr: internAddr(a.addr), port: a.port, address: internString(bytesToHostPort(a.addr, a.port) ?? entry.address) } : {}),
    });
    if (addrChanged) entry.rttMs = undefined; // another host or process: the old round trips say nothing about it
    if (oldState === 'dead' && !neverAlive && !isSelf) this.d.comebacks.ask(now, fx, entry);

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
   *
   * A doubtful word — `unverified` (our probe nobody answered), said while we are cut off, or by an
   * accuser we distrust (trust.ts) — starts an unverified suspicion at most and never confirms one.
   */
  suspect(now: number, fx: Effects, s: SuspectMessage, unverified = false): void {
    const { config: cfg, members } = this.d;
    const entry = members.get(s.node);
    if (entry === undefined) return;
    if (s.incarnation < entry.incarnation) {
      stale(fx, 'suspect', entry, s.incarnation);
      return;
    }
    const doubtful = unverified || this.cutOff || this.d.trust.distrusts(s.from, now);
    const running = this.suspicions.get(s.node);
    if (running !== undefined) {
      if (doubtful) return;
      const remaining = running.confirm(s.from, now);
      if (remaining !== undefined) {
        // New, independent information: spread it so others can confirm too (Lifeguard §IV-B).
        this.d.queues.queue(s);
        fx.metric('increment', METRIC.suspectConfirmations, 1);
        running.token = this.d.tokens.next();
        scheduleSuspicion(now, fx, entry, running, Math.max(0, remaining));
        fx.emit({ type: 'suspicion', ...suspicionView(snapshotOf(entry), running, now, s.from) });
      }
      return;
    }
    if (entry.state !== 'alive') return;
    if (entry.name === cfg.name) {
      this.d.self.refute(now, fx, s.incarnation, 'suspect', s.from);
      this.tellSuspects(fx, false);
      return;
    }
    this.d.queues.queue(s);
    members.update(entry, now, { incarnation: s.incarnation, state: 'suspect' });
    // n counts ourselves and the suspect; k = suspicionMult − 2 so the nominal timeout is reached two
    // probe intervals early when everyone confirms (memberlist's comment). Only live peers other
    // than the suspect can confirm: memberlist also counts dead and left ones (docs/architecture.md).
    const t = suspicionTimeouts(members.size, cfg, this.peersUp() - 1);
    const suspicion = new Suspicion(s.from, t.k, t.minMs, t.maxMs, now, this.d.tokens.next());
    suspicion.unverified = doubtful;
    this.suspicions.set(s.node, suspicion);
    scheduleSuspicion(now, fx, entry, suspicion, suspicion.initialTimeoutMs);
    const member = snapshotOf(entry);
    fx.emit({ type: 'suspect', member, accuser: s.from });
    fx.emit({ type: 'suspicion', ...suspicionView(member, suspicion, now, undefined) });
    memberGauges(fx, members);
  }

  /**
   * A suspicion timer fired: ignored if stale, held by the stall rule if due during a stall;
   * otherwise, if the member is still suspect from the same suspicion, declare it dead with
   * `from` = us — unless the suspicion is unverified: then it is *held*, and our next probe goes
   * to the member (unless we are cut off: then when that ends) and decides. The timer re-arms at
   * `min` to ask again while no probe of ours has decided.
   */
  onSuspicionTimeout(now: number, fx: Effects, timer: SuspicionTimeoutTimer): void {
    const s = this.suspicions.get(timer.node);
    if (s === undefined || s.token !== timer.token) return;
    if (this.d.stall.deferIfStalled(now, fx, timer)) return;
    const entry = this.d.members.get(timer.node);
    if (entry === undefined) return;
    if (entry.state !== 'suspect' || entry.stateChangeAt !== s.startedAt) return;
    if (s.unverified) {
      s.held = true;
      if (!this.cutOff) this.toVerify.add(entry.name);
      s.token = this.d.tokens.next();
      scheduleSuspicion(now, fx, entry, s, s.minMs);
      fx.log('debug', { node: entry.name, accuser: s.accuser }, 'suspicion timed out unverified: held until a probe of ours decides');
      return;
    }
    this.declare(now, fx, entry, s);
  }

  private declare(now: number, fx: Effects, entry: MemberEntry, s: Suspicion): void {
    // memberlist's `degraded.timeout`: the timeout ran out before every expected confirmation came.
    if (s.confirmations < s.k) fx.metric('increment', METRIC.degradedTimeouts, 1);
    fx.log('debug', { node: entry.name, confirmations: s.confirmations, k: s.k }, 'marking member as failed: suspicion timeout reached');
    this.dead(now, fx, { type: 'dead', incarnation: entry.incarnation, node: entry.name, from: this.d.config.name });
  }

  /**
   * Our probe of `s.node` failed (`s` is our suspect). `silent`: nobody answered, relays included,
   * so the failure may be ours: an unverified suspicion at most. Otherwise the relays saw the
   * network work and the member not answer: that verifies a suspicion, and a held one ends now.
   * `refused`: its host also refused our TCP fallback, so the suspicion ends within one probe
   * interval ({@link refusedSuspicionMs}).
   */
  probeFailed(now: number, fx: Effects, s: SuspectMessage, silent: boolean, refused = false): void {
    this.suspect(now, fx, s, silent);
    const running = this.suspicions.get(s.node);
    const entry = this.d.members.get(s.node);
    if (silent || this.cutOff || running === undefined || entry?.state !== 'suspect') return;
    if (running.unverified) {
      running.unverified = false;
      if (running.held) {
        this.declare(now, fx, entry, running);
        return;
      }
    }
    // `refused`: the member's host said nothing listens on its port, so its process is gone
    // (docs/architecture.md, "A refused fallback shortens the suspicion").
    const after = refused ? running.hasten(now, refusedSuspicionMs(this.d.config)) : undefined;
    if (after === undefined) return;
    fx.metric('increment', METRIC.refusedSuspicions, 1);
    fx.log('debug', { node: entry.name, afterMs: after }, 'member refused our TCP fallback: suspicion shortened');
    running.token = this.d.tokens.next();
    scheduleSuspicion(now, fx, entry, running, after);
    fx.emit({ type: 'suspicion', ...suspicionView(snapshotOf(entry), running, now, undefined) });
  }

  /**
   * Our probe of `name` was answered: an unverified suspicion of it is withdrawn (alive again, same
   * incarnation), since the only evidence was a silence we now know to be ours or our accuser's.
   * A verified one waits for the member's refutation, as in memberlist.
   */
  probeAnswered(now: number, fx: Effects, name: string): void {
    // Called on every ack: the (usually empty) suspicion map first, so the common case never
    // touches the member table (a cache miss per ack at N = 1,000).
    const s = this.suspicions.get(name);
    if (s === undefined || !s.unverified) return;
    const entry = this.d.members.get(name);
    if (entry === undefined || entry.state !== 'suspect') return;
    this.suspicions.delete(name);
    this.d.members.setState(entry, 'alive', now);
    fx.log('debug', { node: name, accuser: s.accuser }, 'unverified suspicion withdrawn: the member answered our probe');
    this.event(fx, 'alive', entry);
  }

  /** The next member whose held suspicion waits for our probe (the probe cycle probes it first), if any. */
  nextToVerify(): MemberEntry | undefined {
    for (const name of this.toVerify) {
      this.toVerify.delete(name);
      const s = this.suspicions.get(name);
      const entry = this.d.members.get(name);
      if (s !== undefined && s.held && s.unverified && entry?.state === 'suspect') return entry;
    }
    return undefined;
  }

  /** We are isolated (isolation.ts): every running suspicion may rest on our silence, so none is verified now. */
  cutOffStarted(): void {
    this.cutOff = true;
    for (const s of this.suspicions.values()) s.unverified = true;
  }

  /**
   * The isolation is over. Our suspect gossip was spent while nobody could hear it, so each member
   * we still hold unverified-suspect is told directly (a plain memberlist `suspect`), and a live one
   * refutes now; held ones are probed next.
   */
  cutOffEnded(now: number, fx: Effects): void {
    this.cutOff = false;
    this.tellSuspects(fx, true);
    for (const [name, s] of this.suspicions) if (s.held) this.toVerify.add(name);
    fx.log('debug', { at: now }, 'back from isolation: suspects told');
  }

  /**
   * Sends every member we suspect a plain `suspect` about itself, so a live one refutes now: once
   * per suspicion, or `again` after an isolation. For when our own suspect gossip may have been
   * spent where nobody could hear it — we were isolated, or we were just accused ourselves: others
   * could not reach us, so likely we could not reach them either.
   */
  private tellSuspects(fx: Effects, again: boolean): void {
    for (const [name, s] of this.suspicions) {
      const entry = this.d.members.get(name);
      if ((s.told && !again) || entry === undefined || entry.state !== 'suspect') continue;
      s.told = true;
      this.d.outbox.sendToMember(fx, entry, [encodeMessage({ type: 'suspect', incarnation: entry.incarnation, node: name, from: s.accuser })]);
    }
  }

  /**
   * memberlist `deadNode`. `from === node` is a graceful leave (→ left), anything else a failure
   * (→ dead) — unless we distrust the accuser (trust.ts): then an unverified suspicion at most.
   * Ignores unknown members, older incarnations and members already dead or left; a dead about us
   * is refuted unless we are leaving, in which case it is our own leave broadcast. Refuting a
   * suspect or dead about us also tells the members we suspect (`tellSuspects`).
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
    if (d.from !== d.node && d.node !== this.d.config.name && this.d.trust.distrusts(d.from, now)) {
      // A failure verdict from an accuser we distrust (trust.ts): a suspicion at most.
      if (entry.state === 'alive' || entry.state === 'suspect') this.suspect(now, fx, { type: 'suspect', incarnation: d.incarnation, node: d.node, from: d.from }, true);
      return;
    }
    this.suspicions.delete(d.node);
    if (entry.state === 'dead' || entry.state === 'left') return;
    if (entry.name === this.d.config.name && !self.leaving) {
      self.refute(now, fx, d.incarnation, 'dead', d.from);
      this.tellSuspects(fx, false);
      return;
    }
    this.d.queues.queue(d, completionId);
    const left = d.node === d.from;
    members.update(entry, now, { incarnation: d.incarnation, state: left ? 'left' : 'dead' });
    this.event(fx, left ? 'leave' : 'fail', entry);
  }

  private event(fx: Effects, type: 'join' | 'alive' | 'fail' | 'leave', entry: MemberEntry): void {
    memberEvent(fx, this.d.members, this.d.config.name, type, entry);
  }
}

function scheduleSuspicion(now: number, fx: Effects, entry: MemberEntry, s: Suspicion, afterMs: number): void {
  s.deadlineAt = now + afterMs;
  const timer: SuspicionTimeoutTimer = { type: 'suspicion-timeout', token: s.token, dueAt: now + afterMs, node: entry.name, incarnation: entry.incarnation };
  fx.schedule(timer, afterMs);
}

function stale(fx: Effects, kind: string, entry: MemberEntry, incarnation: number): void {
  drop(fx, 'stale', { kind, node: entry.name, incarnation, known: entry.incarnation }, 'ignoring message with an older incarnation');
}
