/**
 * Name conflicts (memberlist `aliveNode`'s "Conflicting address" branch and its
 * `ConflictDelegate`): reporting a claimant once, and spotting a seed's reply that shows our own
 * name held by a live member at another address.
 * @module
 */
import { bytesEqual, bytesToHostPort, bytesToIp } from '../address.js';
import type { ConflictClaimant } from '../hooks/conflict.js';
import { NodeStateNumber, type AliveMessage, type PushNodeState } from '../wire/messages.js';
import type { Effects } from './effects.js';
import type { MemberEntry } from './members.js';
import { decodeTags, snapshotOf } from './snapshot.js';

const EMPTY = new Uint8Array(0);
/** Claims remembered (so retransmits of one alive are reported once); the oldest is forgotten beyond it. */
const MAX_REMEMBERED = 256;

/** Owns which claims were already reported. */
export class ConflictLog {
  /** `name` → `address#incarnation` of the last claim reported, oldest first. */
  private readonly reported = new Map<string, string>();

  /**
   * `a` claims `entry`'s name from another address: emits `conflict` if `entry` is live, unless this
   * very claim (same address and incarnation) was reported already. Gossip repeats one alive several times and a
   * conflicting node keeps announcing itself, so the host hears each new claim once.
   */
  report(fx: Effects, entry: MemberEntry, a: AliveMessage): void {
    if (entry.state !== 'alive' && entry.state !== 'suspect') return; // a dead holder clears once reaped
    const claimant = claimantOf(a);
    const key = `${claimant.address}#${a.incarnation}`;
    if (this.reported.get(a.node) === key) return;
    this.reported.delete(a.node);
    this.reported.set(a.node, key);
    if (this.reported.size > MAX_REMEMBERED) this.reported.delete(this.reported.keys().next().value as string);
    fx.emit({ type: 'conflict', existing: snapshotOf(entry), claimant });
  }
}

/** The claimant of a name as its alive describes it (also the admission hook's candidate, core/admission.ts). */
export function claimantOf(a: AliveMessage): ConflictClaimant {
  const meta = a.meta ?? EMPTY;
  return Object.freeze({
    name: a.node,
    address: bytesToHostPort(a.addr, a.port) ?? '',
    host: bytesToIp(a.addr) ?? '',
    port: a.port,
    incarnation: a.incarnation,
    metadata: meta.slice(),
    tags: decodeTags(meta),
  });
}

/** A live member holding our name elsewhere, as a seed's push/pull reply lists it. */
export interface NameHeld {
  /** `host:port` of the holder. */
  readonly holder: string;
  readonly incarnation: number;
}

/**
 * Whether a push/pull reply lists our name alive or suspect at an address other than ours: the
 * seed will ignore our alive as conflicting (memberlist does the same), so a join through it
 * cannot make us visible. Dead or left entries do not count: a left name is taken over at once,
 * a dead one once reaped (or after `deadNodeReclaimMs`).
 */
export function nameHeldElsewhere(nodes: readonly PushNodeState[], self: MemberEntry): NameHeld | undefined {
  for (const r of nodes) {
    if (r.name !== self.name || (r.state !== NodeStateNumber.alive && r.state !== NodeStateNumber.suspect)) continue;
    if (bytesEqual(r.addr, self.addr) && r.port === self.port) continue;
    return { holder: bytesToHostPort(r.addr, r.port) ?? `${String(r.addr)}:${r.port}`, incarnation: r.incarnation };
  }
  return undefined;
}
