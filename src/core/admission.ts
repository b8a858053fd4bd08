/**
 * Admission: the host's veto over new and changed members (memberlist `AliveDelegate`, and
 * `MergeDelegate` for joins; the rules are on `AdmissionHook`, src/hooks/admission.ts).
 *
 * The core stays pure: it holds a synchronous predicate ({@link AdmitFn}) that the runtime builds
 * around the host's hook (try/catch, verdict checks), and asks it only at the points below.
 * @module
 */
import { bytesEqual, bytesToHostPort } from '../address.js';
import type { MemberSnapshot } from '../events.js';
import type { AdmissionVia } from '../hooks/admission.js';
import { METRIC } from '../observability.js';
import { NodeStateNumber, type AliveMessage, type PushNodeState } from '../wire/messages.js';
import type { CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { MemberEntry, MemberTable } from './members.js';
import { drop } from './report.js';
import { claimantOf } from './conflicts.js';
import { versionsOf } from './snapshot.js';

/** The core's view of the hook: `undefined` admits, a string vetoes with that reason. Never throws. */
export type AdmitFn = (member: MemberSnapshot, via: AdmissionVia) => string | undefined;

/**
 * Prefix of the error reply a seed sends a joiner it refuses; the joiner reads it back into a
 * typed error. Part of hearsay's protocol text: change it and older joiners see a plain remote error.
 */
export const JOIN_REFUSED_PREFIX = 'join refused by admission: ';

/** A veto that refuses a whole join exchange. */
export interface Refusal {
  readonly member: string;
  readonly address: string;
  readonly reason: string;
}

const EMPTY = new Uint8Array(0);
/** Vetoes remembered (so one alive's retransmits ask once); the oldest is forgotten beyond it. */
const MAX_REMEMBERED = 1024;

/** Owns the vetoes already given, by member name. */
export class Admission {
  private readonly vetoed = new Map<string, { readonly incarnation: number; readonly reason: string }>();
  /** Admitted by the join screen just run: the merge that follows does not ask again. */
  private readonly screened = new Map<string, number>();

  constructor(
    private readonly config: CoreConfig,
    private readonly members: MemberTable,
  ) {}

  /**
   * Whether `a` may be applied to `entry` (undefined: a new member). Asks the hook only for a new
   * member, one back from dead or left, or a changed address or metadata; `a` must already have
   * passed the precedence checks (it would be applied). A veto is counted, logged at debug, and
   * remembered for `a`'s incarnation.
   */
  allows(fx: Effects, entry: MemberEntry | undefined, a: AliveMessage, via: AdmissionVia): boolean {
    if (this.config.admit === undefined || !asks(entry, a)) return true;
    if (this.screened.get(a.node) === a.incarnation) return true;
    const known = this.vetoed.get(a.node);
    if (known !== undefined && a.incarnation <= known.incarnation) {
      drop(fx, 'vetoed', { node: a.node, incarnation: a.incarnation }, 'ignoring alive: vetoed by the admission hook before');
      return false;
    }
    const reason = this.ask(fx, a, via);
    return reason === undefined;
  }

  /**
   * A join exchange, whole (memberlist `MergeDelegate`): the first member of `nodes` the hook
   * vetoes, asking about each alive one that the merge would add or change; `undefined` if every
   * one is admitted. Call {@link endScreen} after the merge that follows.
   */
  screen(now: number, fx: Effects, nodes: readonly PushNodeState[]): Refusal | undefined {
    if (this.config.admit === undefined) return undefined;
    for (const r of nodes) {
      if (r.state !== NodeStateNumber.alive || r.name === this.config.name) continue;
      const a: AliveMessage = { type: 'alive', incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn };
      const entry = this.members.get(r.name);
      if (!wouldApply(entry, a, now, this.config.deadNodeReclaimMs) || !asks(entry, a)) continue;
      const known = this.vetoed.get(r.name);
      const reason = known !== undefined && r.incarnation <= known.incarnation ? known.reason : this.ask(fx, a, 'join');
      if (reason !== undefined) {
        this.screened.clear();
        return { member: r.name, address: bytesToHostPort(r.addr, r.port) ?? '', reason };
      }
      this.screened.set(r.name, r.incarnation);
    }
    return undefined;
  }

  /** The merge after a {@link screen} is done: later alives are asked about again. */
  endScreen(): void {
    this.screened.clear();
  }

  private ask(fx: Effects, a: AliveMessage, via: AdmissionVia): string | undefined {
    const reason = this.config.admit!(candidate(a), via);
    if (reason === undefined) {
      this.vetoed.delete(a.node);
      return undefined;
    }
    this.vetoed.delete(a.node);
    this.vetoed.set(a.node, { incarnation: a.incarnation, reason });
    if (this.vetoed.size > MAX_REMEMBERED) this.vetoed.delete(this.vetoed.keys().next().value as string);
    fx.metric('increment', METRIC.admissionVetoes, 1, VIA_LABELS[via]);
    fx.log('debug', { node: a.node, address: bytesToHostPort(a.addr, a.port), via, reason }, 'admission hook vetoed a member');
    return reason;
  }
}

const VIA_LABELS: Readonly<Record<AdmissionVia, Readonly<Record<string, string>>>> = {
  gossip: { via: 'gossip' },
  'push-pull': { via: 'push-pull' },
  join: { via: 'join' },
};

/** A new member, one coming back from dead or left, or a new address or metadata: the hook decides. */
function asks(entry: MemberEntry | undefined, a: AliveMessage): boolean {
  if (entry === undefined || entry.state === 'dead' || entry.state === 'left') return true;
  return !bytesEqual(entry.addr, a.addr) || entry.port !== a.port || !bytesEqual(entry.meta, a.meta ?? EMPTY);
}

/**
 * Whether `Membership.alive` would apply `a` (its precedence rules, for the join screen): new,
 * newer, or taking over a left name (or a dead one after `deadNodeReclaimMs`). A claim on a live
 * name at another address is a conflict and is dropped anyway.
 */
function wouldApply(entry: MemberEntry | undefined, a: AliveMessage, now: number, reclaimMs: number): boolean {
  if (entry === undefined) return true;
  const moved = !bytesEqual(entry.addr, a.addr) || entry.port !== a.port;
  if (moved) return entry.state === 'left' || (entry.state === 'dead' && reclaimMs > 0 && now - entry.stateChangeAt > reclaimMs);
  return a.incarnation > entry.incarnation;
}

/** The would-be member as its alive describes it. */
function candidate(a: AliveMessage): MemberSnapshot {
  // rttMs: not measured, it is not a member yet (or at a new address).
  return Object.freeze({ ...claimantOf(a), state: 'alive', rttMs: undefined, versions: versionsOf(a.vsn) });
}
