/**
 * Member records: what every node agrees on about one member, kept once per process.
 *
 * In a converged cluster every node holds the same name, address, metadata, versions, features,
 * incarnation and state for a member; only when that member's state changed (`stateChangeAt`) and
 * its round trip (`rttMs`) differ per node. So a `MemberEntry` (members.ts) holds those two and an
 * immutable `MemberRecord` with the rest, taken from a process-wide table by member name: the
 * simulator's N cores then hold about N records, not N² copies of nine fields (issue 12;
 * docs/architecture.md, "The member table's layout"). A change of any field replaces the entry's
 * record (another entry holding the old one is untouched), so a record is never written into.
 *
 * The table keeps the last record made for each name, and is bounded like the intern tables
 * (intern.ts): at {@link INTERN_LIMIT} names it is emptied. Entries keep the records they hold;
 * a record no entry holds is garbage. A peer sending endless distinct metadata for one name
 * replaces one slot; endless names fill the table to its bound and empty it.
 * @module
 */
import type { MemberState } from '../events.js';
import type { EncodedPushNodeState } from '../wire/bodies.js';
import { INTERN_LIMIT } from './intern.js';

/** The fields of a member every node can agree on (see the module comment). */
export interface MemberFields {
  readonly name: string;
  /** Raw IP bytes as last accepted (4 or 16), compared byte for byte (reference §7.3); interned. */
  readonly addr: Uint8Array;
  readonly port: number;
  /** `host:port` derived from `addr`/`port`, kept because every send needs it; interned. */
  readonly address: string;
  /** Metadata bytes (empty for Go's nil); interned. */
  readonly meta: Uint8Array;
  /** Always 6 bytes [pmin, pmax, pcur, dmin, dmax, dcur]; zeros when never received; interned. */
  readonly vsn: Uint8Array;
  /** hearsay features the member announced (`Hf`); kept when a Go relay's alive omits the key. */
  readonly features: number | undefined;
  /** u32. */
  readonly incarnation: number;
  readonly state: MemberState;
}

/** A change to some of a record's fields; those absent or `undefined` are kept (features are never unset). */
export type MemberChange = { readonly [K in Exclude<keyof MemberFields, 'name'>]?: MemberFields[K] | undefined };

/**
 * One immutable member record, shared by every entry (in any core of the process) that holds
 * these exact fields. Arrays match by identity (they are interned), so a shared record is byte for
 * byte what the entry would hold on its own.
 */
export class MemberRecord implements MemberFields {
  /**
   * This record as a push/pull entry with its encoded map, made on first use (push-state.ts
   * `pushStateOf`). A cache derived from the fields, so sharing it with the record is safe.
   */
  push: EncodedPushNodeState | undefined = undefined;
  /**
   * This record's hash in the member-table digest and the hash of its name (which picks its
   * bucket), made on first use by digest push/pull (digest-push-pull.ts). Caches derived from the
   * fields, shared with the record: a converged cluster's digests then cost a sum per entry, not a
   * hash of its name, address and metadata in every exchange.
   */
  digestHash: number | undefined = undefined;
  nameHash: number | undefined = undefined;

  /** Use {@link memberRecord}, which shares. */
  constructor(
    readonly name: string,
    readonly addr: Uint8Array,
    readonly port: number,
    readonly address: string,
    readonly meta: Uint8Array,
    readonly vsn: Uint8Array,
    readonly features: number | undefined,
    readonly incarnation: number,
    readonly state: MemberState,
  ) {}

  /** Whether this record holds exactly `f` (arrays by identity). */
  holds(f: MemberFields): boolean {
    return (
      this.incarnation === f.incarnation &&
      this.state === f.state &&
      this.addr === f.addr &&
      this.port === f.port &&
      this.meta === f.meta &&
      this.vsn === f.vsn &&
      this.features === f.features &&
      this.address === f.address &&
      this.name === f.name
    );
  }
}

/** The last record made for each member name, across every core in the process. */
const byName = new Map<string, MemberRecord>();

/** A record holding `f` that is not shared (for an entry that changes at once, see members.ts `newMemberEntry`). */
export function unsharedRecord(f: MemberFields): MemberRecord {
  return new MemberRecord(f.name, f.addr, f.port, f.address, f.meta, f.vsn, f.features, f.incarnation, f.state);
}

/** The shared record holding exactly `f`: the last one made for `f.name` if it matches, else a new one. */
export function memberRecord(f: MemberFields): MemberRecord {
  const last = byName.get(f.name);
  if (last !== undefined && last.holds(f)) return last;
  const r = unsharedRecord(f);
  if (byName.size >= INTERN_LIMIT) byName.clear();
  byName.set(f.name, r);
  return r;
}

/** `r` with `change` applied: `r` itself when nothing differs, else the shared record. */
export function changedRecord(r: MemberRecord, change: MemberChange): MemberRecord {
  const next: MemberFields = {
    name: r.name,
    addr: change.addr ?? r.addr,
    port: change.port ?? r.port,
    address: change.address ?? r.address,
    meta: change.meta ?? r.meta,
    vsn: change.vsn ?? r.vsn,
    features: change.features ?? r.features,
    incarnation: change.incarnation ?? r.incarnation,
    state: change.state ?? r.state,
  };
  return r.holds(next) ? r : memberRecord(next);
}

/** How many names the shared table holds now (for tests of its bound). */
export function memberRecordTableSize(): number {
  return byName.size;
}
