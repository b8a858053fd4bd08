/**
 * This node itself: identity, lifecycle (started, leaving) and the one thing only we may do to
 * our own entry, out-bidding an accusation (memberlist `refute`).
 * @module
 */
import { bytesToHostPort } from '../address.js';
import { METRIC } from '../observability.js';
import { U32_MAX } from '../wire/codec.js';
import type { PingMessage } from '../wire/messages.js';
import { ownFeatures, type CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { Health } from './health.js';
import { memberEntry, reviseEntry, type MemberEntry } from './members.js';
import type { GossipQueues } from './queues.js';
import { drop } from './report.js';

/** What an accusation against us said. */
export type Accusation = 'suspect' | 'dead' | 'alive';

/** Owns our identity, whether we started or are leaving, and our own entry. */
export class SelfState {
  private current: MemberEntry;
  private isStarted = false;
  private isLeaving = false;
  private readonly source: Pick<PingMessage, 'sourceAddr' | 'sourcePort' | 'sourceNode'>;

  constructor(
    private readonly config: CoreConfig,
    private readonly health: Health,
    private readonly queues: GossipQueues,
  ) {
    this.source = { sourceAddr: config.advertiseAddr, sourcePort: config.advertisePort, sourceNode: config.name };
    // A detached placeholder until `start()` puts the real entry in the table.
    this.current = memberEntry({
      name: config.name,
      addr: config.advertiseAddr,
      port: config.advertisePort,
      address: bytesToHostPort(config.advertiseAddr, config.advertisePort) ?? '',
      meta: config.meta,
      vsn: config.vsn,
      features: config.features || undefined, // announced in our own alive and push/pull entry (`Hf`)
      incarnation: 0,
      state: 'alive',
    });
  }

  /** Our name. */
  get name(): string {
    return this.config.name;
  }

  /** Our entry (the table's once started; read-only outside the membership rules). */
  get entry(): MemberEntry {
    return this.current;
  }

  /** Our incarnation (0 before start). */
  get incarnation(): number {
    return this.current.incarnation;
  }

  /** `start()` ran. */
  get started(): boolean {
    return this.isStarted;
  }

  /** `leave()` ran: we are left, no longer probe or push/pull, and ignore alives about us. */
  get leaving(): boolean {
    return this.isLeaving;
  }

  /** Marks us started (before our own alive is applied). */
  markStarted(): void {
    this.isStarted = true;
  }

  /** Adopts the table's entry for us, once our alive has created it. */
  adopt(entry: MemberEntry | undefined): void {
    if (entry !== undefined) this.current = entry;
  }

  /** Marks us leaving. */
  markLeaving(): void {
    this.isLeaving = true;
  }

  /** We are back after a leave (`Core.rejoin`): alives about us count again, and accusations are refuted. */
  markRejoined(): void {
    this.isLeaving = false;
  }

  /** Outside the cluster (not started, or left): keeps `meta` for our entry, announcing nothing. */
  rememberMeta(meta: Uint8Array): void {
    reviseEntry(this.current, { meta });
  }

  /** A ping to `node` with our `Source*` fields (reference §7.9). */
  ping(seqNo: number, node: string): PingMessage {
    return { type: 'ping', seqNo, node, ...this.source };
  }

  /** Our `Source*` fields for indirect pings. */
  sourceFields(): Pick<PingMessage, 'sourceAddr' | 'sourcePort' | 'sourceNode'> {
    return this.source;
  }

  /**
   * memberlist `refute`: out-bid an accusation at `accusedInc` by taking the next incarnation (or
   * `accusedInc + 1` if that is not enough), raise our own health score (Lifeguard: being accused
   * suggests *we* are slow), and broadcast alive.
   *
   * Wrap guard (memberlist #358, unfixed at HEAD): incarnations are u32 and Go wraps to 0, which
   * makes every peer ignore us. We never wrap: if the incarnation needed is above 2³² − 1 we do not
   * refute (logged and counted as `incarnation-exhausted`). Peers will then time the suspicion out
   * and declare us dead; only a restart under a new name recovers. An accuser can only force this
   * by gossiping a forged 2³² − 1.
   */
  refute(now: number, fx: Effects, accusedInc: number, accusation: Accusation, accuser: string | undefined): void {
    const self = this.current;
    let inc = self.incarnation + 1;
    if (accusedInc >= inc) inc = accusedInc + 1;
    if (inc > U32_MAX) {
      drop(fx, 'incarnation-exhausted', { accusedInc, accusation, accuser }, 'cannot refute: incarnation would exceed 2^32-1');
      return;
    }
    reviseEntry(self, { incarnation: inc });
    this.health.apply(fx, 1);
    this.queues.queue({ type: 'alive', incarnation: inc, node: self.name, addr: self.addr, port: self.port, meta: self.meta, vsn: this.config.vsn, ...ownFeatures(this.config) });
    fx.emit({ type: 'self:refute', incarnation: inc, accuser, accusation });
    fx.metric('increment', METRIC.refutations, 1);
    fx.log('debug', { incarnation: inc, accusation, accuser, at: now }, 'refuting accusation');
  }
}
