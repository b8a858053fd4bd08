/**
 * The state engine: the cluster state's protocol decisions, pure like the core.
 *
 * Two paths carry changes between capable hearsay peers:
 * - **Gossip** (fast): a change we make or learn is "hot" for a transmit limit; the first transmit
 *   goes at once, each state gossip round sends one more: its delta, as a datagram, to a few random
 *   capable peers, who relay it in turn (infect-and-die, as memberlist's broadcasts). A receiver
 *   that is not exactly where the delta starts ignores it (`gap`) and catches up by anti-entropy.
 * - **Anti-entropy** (complete): every sync interval, one digest to one random capable peer. Equal
 *   roots end there: one datagram. Otherwise the peer answers with its bucket hashes, we send a
 *   summary of every differing bucket, and each side sends the deltas the other lacks, so a peer
 *   far behind catches up in one exchange. A message over the budget goes in fragments.
 *
 * The engine has no clock, no I/O and no randomness of its own: the runner passes `now`, a
 * random source, the membership view and a send function ({@link StateContext}).
 * @module
 */
import { bucketOf, digestOf, DIGEST_BUCKETS } from './digest.js';
import { decodeStateMessage, encodeStateMessage, type StateMessage, type SummaryEntry } from './codec.js';
import type { ClusterEvent } from './event-log.js';
import { EventGossip } from './event-gossip.js';
import { Reassembly, split } from './fragments.js';
import type { ResolvedStateOptions } from './limits.js';
import { utf8Length, valueLength, type DeltaEntry, type StateValue } from './replica.js';
import { StateStore, type MemberKeyChange, type ReplicaPosition } from './store.js';

/** What the engine needs from its runner for one step. */
export interface StateContext {
  readonly now: number;
  /** Names of alive members other than us known to run hearsay's state layer. */
  capablePeers(): readonly string[];
  /** True while `name` is in the member table (alive, suspect, or dead/left not yet reaped). */
  isMember(name: string): boolean;
  /** A uniform integer in [0, n). */
  randomInt(n: number): number;
  /** Sends one state datagram to a member by name. */
  send(to: string, bytes: Uint8Array): void;
  /** `name` just spoke the state protocol to us: it is capable. */
  noteCapable(name: string): void;
  /** Reports one observed change (the `state` event), in order. */
  emit(change: MemberKeyChange): void;
  /** Delivers one cluster-wide event (the `event` event), in its origin's order. */
  emitEvent(event: ClusterEvent): void;
  /** Counts and logs (debug) one dropped input. */
  drop(reason: string, detail: Readonly<Record<string, unknown>>): void;
  /**
   * A peer sent state about `name`, which is not in our member table: our membership may lag the
   * peer's (a member we reaped is alive again). The runner asks the core to reconnect to it if we
   * remember it as failed (bounded there).
   */
  unknownMember(name: string): void;
}

/**
 * Most delta datagrams one exchange step sends: bounds the work a single message can cause (about
 * 180 KB at a 1,400-byte budget). Large enough that one summary datagram's members (about 45 with
 * short names) and one member's whole replica among them (`maxNodeBytes` 64 KiB ≈ 60 datagrams)
 * are answered at once, so a joiner that holds nothing gets everything in its first exchange
 * instead of 16 datagrams per sync round.
 */
const MAX_DELTAS_PER_STEP = 128;
/** Bytes reserved for a delta's header (type, kind, names, numbers) inside the packet budget. */
const DELTA_HEADER_BYTES = 320;

/** A change being gossiped: deltas from `since` are sent `left` more rounds. */
interface Hot {
  since: number;
  left: number;
}

/** Counted contents of a {@link StateEngine} ({@link StateEngine.sizes}). */
export interface StateSizes {
  /** Replicas held, our own included. */
  readonly replicas: number;
  /** Records (keys and tombstones) over every replica. */
  readonly records: number;
  readonly tombstones: number;
  /** Budgeted bytes over every replica. */
  readonly bytes: number;
  /** Replicas being rebuilt by a reset. */
  readonly filling: number;
  /** Members whose changes are being gossiped. */
  readonly hot: number;
  /** Own keys with a TTL. */
  readonly expiries: number;
  /** Messages being reassembled from fragments, and senders whose generation is remembered for them. */
  readonly fragments: number;
  readonly fragmentSenders: number;
  /** Events in the recent buffer, origins with a delivery position, early events held, events being relayed. */
  readonly eventsRecent: number;
  readonly eventOrigins: number;
  readonly eventsHeld: number;
  readonly eventsHot: number;
}

/** The protocol state machine of the cluster state. */
export class StateEngine {
  readonly store: StateStore;
  /** Cluster-wide events: relay, dedupe, order, repair. */
  readonly events: EventGossip;
  private readonly hot = new Map<string, Hot>();
  private readonly expiries = new Map<string, number>();
  /** Messages over the budget arrive as fragments (a single large value); see fragments.ts. */
  private readonly reassembly: Reassembly;
  private fragmentId = 0;
  /** The digest as of `store.mutations` (recomputing it is O(members); converged nodes reuse it). */
  private cached: { at: number; digest: { root: number; buckets: Uint32Array } } | undefined;

  /**
   * @param self our node name. @param generation this process's generation: above any earlier run
   *   under the same name. @param budgetBytes most bytes of one state datagram's message.
   */
  constructor(
    readonly self: string,
    readonly generation: number,
    private readonly opts: ResolvedStateOptions,
    private readonly budgetBytes: number,
  ) {
    this.store = new StateStore(self, generation);
    // The largest delta: one whole record beyond a full budget, plus headers.
    this.reassembly = new Reassembly(budgetBytes + opts.maxKeyBytes + opts.maxValueBytes + 1024);
    this.events = new EventGossip(self, generation, opts.eventWindowMs, budgetBytes, opts.gossipNodes);
  }

  // ---- local writes ---------------------------------------------------------------------------

  /** Writes (or with `value` undefined deletes) one own key; the caller checked the limits. */
  write(ctx: StateContext, key: string, value: StateValue | undefined, ttlMs: number | undefined): void {
    const before = this.store.own.version;
    if (ttlMs !== undefined && value !== undefined) this.expiries.set(key, ctx.now + ttlMs);
    else this.expiries.delete(key);
    if (value !== undefined && this.store.own.costWith(key, value) > this.opts.maxNodeBytes) {
      // Tombstones count against the budget: collect the oldest early to make room.
      this.store.own.collect(-Infinity, this.opts.maxNodeBytes - (this.store.own.costWith(key, value) - this.store.own.bytes));
    }
    const change = this.store.writeOwn(key, value, ctx.now);
    if (change === undefined) return;
    this.heat(ctx, this.self, before);
    ctx.emit(change);
  }

  // ---- timers ---------------------------------------------------------------------------------

  /** The anti-entropy tick: expiries, GC, reaped members, then one digest to a random capable peer. */
  sync(ctx: StateContext): void {
    for (const [key, at] of [...this.expiries]) if (at <= ctx.now) this.write(ctx, key, undefined, undefined);
    this.store.collect(ctx.now - this.opts.tombstoneGraceMs);
    for (const c of this.store.retain((m) => ctx.isMember(m))) ctx.emit(c);
    for (const m of [...this.hot.keys()]) if (m !== this.self && !ctx.isMember(m)) this.hot.delete(m);
    this.events.expire(ctx);
    const peers = ctx.capablePeers();
    if (peers.length === 0) return;
    const to = peers[ctx.randomInt(peers.length)]!;
    ctx.send(to, encodeStateMessage({ kind: 'digest', from: this.self, root: this.digest().root, eventsRoot: this.events.root() }));
  }

  /** The gossip tick: each hot member's recent delta to a few random capable peers. */
  gossip(ctx: StateContext): void {
    if (this.hot.size === 0 && !this.events.hasHot) return;
    const peers = ctx.capablePeers();
    if (peers.length === 0) return;
    this.events.gossip(ctx, peers);
    for (const [member, h] of [...this.hot]) this.transmit(ctx, member, h, peers);
  }

  /**
   * What this engine holds, counted (for bounds tests, the churn benchmark and gauges): every
   * structure that grows with input is here, and each has a bound (docs/architecture.md).
   */
  sizes(): StateSizes {
    let records = 0;
    let tombstones = 0;
    let bytes = 0;
    let replicas = 0;
    for (const [, r] of this.store.members()) {
      replicas++;
      records += r.size;
      tombstones += r.tombstones;
      bytes += r.bytes;
    }
    const ev = this.events.sizes();
    return { replicas, records, tombstones, bytes, filling: this.store.fillCount, hot: this.hot.size, expiries: this.expiries.size, fragments: this.reassembly.size, fragmentSenders: this.reassembly.senders, ...ev };
  }

  /** Whether the gossip tick has anything to send (the runner parks the tick otherwise). */
  get hasHot(): boolean {
    return this.hot.size > 0 || this.events.hasHot;
  }

  // ---- messages -------------------------------------------------------------------------------

  /** Handles one decoded state message from a capable peer. */
  handle(ctx: StateContext, m: StateMessage): void {
    if (m.from === this.self) return ctx.drop('from-self', {});
    ctx.noteCapable(m.from);
    switch (m.kind) {
      case 'digest': {
        this.events.onDigest(ctx, m.from, m.eventsRoot);
        const mine = this.digest();
        if (mine.root !== m.root) ctx.send(m.from, encodeStateMessage({ kind: 'buckets', from: this.self, root: mine.root, buckets: mine.buckets }));
        return;
      }
      case 'buckets': {
        const mine = this.digest();
        if (mine.root === m.root) return;
        const differ: number[] = [];
        for (let i = 0; i < DIGEST_BUCKETS; i++) if (mine.buckets[i] !== m.buckets[i]) differ.push(i);
        this.sendSummary(ctx, m.from, differ, true);
        return;
      }
      case 'summary':
        return this.answerSummary(ctx, m.from, m.buckets, m.entries, m.wantReply);
      case 'delta':
        return this.applyDelta(ctx, m);
      case 'events':
      case 'event-positions':
        return this.events.handle(ctx, m);
      case 'fragment': {
        const whole = this.reassembly.add(m.from, m.generation, m.id, m.index, m.count, m.bytes);
        if (whole === undefined) return;
        if (whole === 'bad') return ctx.drop('fragment', { from: m.from });
        const inner = decodeStateMessage(whole);
        // One level only, and only the sender's own message: a fragment never carries fragments.
        if (!inner.ok || inner.message.kind === 'fragment' || inner.message.from !== m.from) return ctx.drop('fragment', { from: m.from });
        return this.handle(ctx, inner.message);
      }
    }
  }

  /** Sends one message, split into fragments when it is over the budget (a single large value). */
  private send(ctx: StateContext, to: string, bytes: Uint8Array): void {
    for (const part of split(this.self, this.generation, bytes.length > this.budgetBytes ? ++this.fragmentId : 0, bytes, this.budgetBytes)) ctx.send(to, part);
  }

  private applyDelta(ctx: StateContext, m: Extract<StateMessage, { kind: 'delta' }>): void {
    if (!ctx.isMember(m.member)) {
      if (m.member !== this.self) ctx.unknownMember(m.member);
      return ctx.drop('not-member', { member: m.member });
    }
    // A peer that sends more than the limits allow is not trusted with anything in this delta.
    let cost = 0;
    for (const e of m.entries) {
      const k = utf8Length(e.key);
      const v = valueLength(e.value);
      if (k > this.opts.maxKeyBytes || v > this.opts.maxValueBytes) return ctx.drop('over-limit', { member: m.member, key: e.key.slice(0, 64) });
      cost += k + v + 16;
    }
    if (cost > this.opts.maxNodeBytes) return ctx.drop('over-limit', { member: m.member, bytes: cost });
    const before = this.store.position(m.member);
    const result = this.store.apply({ member: m.member, generation: m.generation, from: m.since, upTo: m.upTo, latest: m.latest, reset: m.reset, floor: m.floor, entries: m.entries }, ctx.now);
    if (typeof result === 'string') {
      if (result !== 'gap') ctx.drop(result, { member: m.member });
      return;
    }
    const r = this.store.replica(m.member);
    if (r !== undefined && r.bytes > this.opts.maxNodeBytes) {
      this.store.drop(m.member);
      return ctx.drop('over-limit', { member: m.member, bytes: r.bytes });
    }
    const after = this.store.position(m.member);
    if (after !== undefined && (before === undefined || before.generation !== after.generation || after.version > before.version)) {
      this.heat(ctx, m.member, before === undefined || before.generation !== after.generation ? 0 : before.version);
    }
    for (const c of result) ctx.emit(c);
  }

  /**
   * Marks `member`'s changes from `since` hot. A member that was not hot already has its delta sent
   * at once, as the first of its transmits: waiting for the next gossip tick would add half a tick
   * on average at every hop. One already hot goes on the next tick with the rest, so a burst of
   * changes still costs one datagram per tick and the transmit limit bounds the total as before.
   */
  private heat(ctx: StateContext, member: string, since: number): void {
    const n = ctx.capablePeers().length;
    // memberlist's retransmit limit: mult × ceil(log10(n + 1)), mult 4.
    const limit = 4 * Math.max(1, Math.ceil(Math.log10(n + 2)));
    const h = this.hot.get(member);
    if (h !== undefined) {
      h.since = Math.min(h.since, since);
      h.left = limit;
      return;
    }
    const fresh: Hot = { since, left: limit };
    this.hot.set(member, fresh);
    this.transmit(ctx, member, fresh, ctx.capablePeers());
  }

  /** Sends `member`'s hot delta to a few random capable peers; one of its transmits. */
  private transmit(ctx: StateContext, member: string, h: Hot, peers: readonly string[]): void {
    const r = this.store.replica(member);
    if (r === undefined) {
      this.hot.delete(member);
      return;
    }
    if (peers.length > 0) {
      const bytes = this.deltaMessages(member, { generation: r.generation, version: h.since, fill: -1 }, 1)[0];
      if (bytes !== undefined) for (const to of pick(ctx, peers, this.opts.gossipNodes)) this.send(ctx, to, bytes);
    }
    if (--h.left <= 0) this.hot.delete(member);
  }

  /**
   * Summaries of every bucket in `buckets`, whole buckets packed into as many datagrams as they take:
   * a peer that is far behind (a joiner) learns the whole difference in one exchange, not one
   * datagram's worth per sync round. Bounded by the bucket count ({@link DIGEST_BUCKETS}).
   */
  private sendSummary(ctx: StateContext, to: string, buckets: readonly number[], wantReply: boolean): void {
    const byBucket = this.entriesByBucket(new Set(buckets));
    const base = 64 + utf8Length(this.self);
    let chosen: number[] = [];
    let entries: SummaryEntry[] = [];
    let used = base;
    const flush = (): void => {
      if (chosen.length > 0) ctx.send(to, encodeStateMessage({ kind: 'summary', from: this.self, wantReply, buckets: chosen, entries }));
      chosen = [];
      entries = [];
      used = base;
    };
    for (const b of buckets) {
      const es = byBucket.get(b) ?? [];
      let cost = 2;
      for (const e of es) cost += utf8Length(e.member) + 24;
      if (chosen.length > 0 && used + cost > this.budgetBytes) flush();
      chosen.push(b);
      entries.push(...es);
      used += cost;
    }
    flush();
  }

  private answerSummary(ctx: StateContext, from: string, buckets: readonly number[], theirs: readonly SummaryEntry[], wantReply: boolean): void {
    const theirMap = new Map(theirs.map((e) => [e.member, e] as const));
    const mine = this.entriesByBucket(new Set(buckets));
    let sent = 0;
    let theyAhead = false;
    for (const b of buckets) {
      for (const e of mine.get(b) ?? []) {
        const t = theirMap.get(e.member);
        theirMap.delete(e.member);
        const behind = t === undefined || t.generation < e.generation || (t.generation === e.generation && (t.version < e.version || t.fill >= 0));
        if (t !== undefined && !behind && (t.generation > e.generation || t.version > e.version)) theyAhead = true;
        if (!behind || sent >= MAX_DELTAS_PER_STEP) continue;
        for (const bytes of this.deltaMessages(e.member, t, MAX_DELTAS_PER_STEP - sent)) {
          this.send(ctx, from, bytes);
          sent++;
        }
      }
    }
    for (const t of theirMap.values()) if (t.member !== this.self && ctx.isMember(t.member) && bucketOf(t.member) < DIGEST_BUCKETS) theyAhead = true;
    if (wantReply && theyAhead) this.sendSummary(ctx, from, buckets, false);
  }

  /**
   * Delta datagrams that bring a peer at `at` (or with nothing) up to date on `member`, at most
   * `max`. A peer at our generation but behind the collected tombstones gets a reset.
   */
  private deltaMessages(member: string, at: ReplicaPosition | undefined, max: number): Uint8Array[] {
    const r = this.store.replica(member);
    if (r === undefined) return [];
    let since = 0;
    let reset = false;
    if (at !== undefined && at.generation === r.generation) {
      if (at.fill >= 0) {
        // Continue their reset, or restart it when we collected deletes above where it stands.
        since = at.fill >= r.gcFloor ? at.fill : 0;
        reset = true;
      } else if (at.version < r.gcFloor) reset = true;
      else since = at.version;
    } else if (at !== undefined && at.generation > r.generation) return [];
    const out: Uint8Array[] = [];
    const budget = this.budgetBytes - DELTA_HEADER_BYTES - 2 * utf8Length(member);
    while (out.length < max && since < r.version) {
      const { entries, upTo } = r.changesSince(since, budget);
      out.push(this.deltaBytes(member, r.generation, since, upTo, r.version, reset, r.gcFloor, entries));
      since = upTo;
    }
    // A member restarted and wrote nothing yet: an empty delta at its new generation still makes the
    // peer drop the previous run's keys (else they would stay until the member's first write).
    if (out.length === 0 && max > 0 && at !== undefined && at.generation < r.generation) out.push(this.deltaBytes(member, r.generation, 0, 0, 0, false, r.gcFloor, []));
    return out;
  }

  private deltaBytes(member: string, generation: number, since: number, upTo: number, latest: number, reset: boolean, floor: number, entries: DeltaEntry[]): Uint8Array {
    return encodeStateMessage({ kind: 'delta', from: this.self, member, generation, since, upTo, latest, reset, floor, entries });
  }

  private entriesByBucket(buckets: ReadonlySet<number>): Map<number, SummaryEntry[]> {
    const out = new Map<number, SummaryEntry[]>();
    for (const [member] of this.store.members()) {
      const b = bucketOf(member);
      if (!buckets.has(b)) continue;
      const p = this.store.position(member)!;
      let list = out.get(b);
      if (list === undefined) out.set(b, (list = []));
      list.push({ member, generation: p.generation, version: p.version, fill: p.fill });
    }
    return out;
  }

  /** The digest over every replica we hold, our own included (members with no writes yet count too). */
  digest(): { root: number; buckets: Uint32Array } {
    if (this.cached !== undefined && this.cached.at === this.store.mutations) return this.cached.digest;
    const triples: [string, number, number][] = [];
    for (const [member, r] of this.store.members()) if (r.version > 0) triples.push([member, r.generation, r.version]);
    const digest = digestOf(triples);
    this.cached = { at: this.store.mutations, digest };
    return digest;
  }
}

/** Up to `k` distinct random elements of `from`. */
function pick(ctx: StateContext, from: readonly string[], k: number): string[] {
  if (from.length <= k) return [...from];
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(ctx.randomInt(from.length));
  return [...chosen].map((i) => from[i]!);
}
