/**
 * How the CLI shows members: serf's status words, the JSON shape of `members --json`, the
 * filters, and the table.
 * @module
 */
import type { MemberSnapshot, MemberState } from '../events.js';

/** Status words as `serf members` prints them; `failed` is the library's `dead`. */
export const STATUSES = ['alive', 'suspect', 'failed', 'left'] as const;
/** One of {@link STATUSES}. */
export type MemberStatus = (typeof STATUSES)[number];

/** The operator's word for a member state. */
export function memberStatus(state: MemberState): MemberStatus {
  return state === 'dead' ? 'failed' : state;
}

/** One member as `members --json` prints it and the control protocol carries it. */
export interface MemberJson {
  readonly name: string;
  readonly address: string;
  readonly status: MemberStatus;
  readonly incarnation: number;
  /** serf tags; `{}` when the metadata is not in tag form. */
  readonly tags: Readonly<Record<string, string>>;
  /** Raw metadata, base64, when it is not in tag form. */
  readonly metadata?: string;
  readonly protocol: { readonly min: number; readonly max: number; readonly current: number };
  readonly delegate: { readonly min: number; readonly max: number; readonly current: number };
  /** Smoothed round-trip time of direct probes, ms; absent until measured. */
  readonly rttMs?: number;
}

/** Converts a snapshot for the wire and for `--json`. */
export function memberJson(m: MemberSnapshot): MemberJson {
  const v = m.versions;
  return {
    name: m.name,
    address: m.address,
    status: memberStatus(m.state),
    incarnation: m.incarnation,
    tags: m.tags ?? {},
    ...(m.tags === undefined && m.metadata.length > 0 ? { metadata: Buffer.from(m.metadata).toString('base64') } : {}),
    protocol: { min: v.protocolMin, max: v.protocolMax, current: v.protocolCurrent },
    delegate: { min: v.delegateMin, max: v.delegateMax, current: v.delegateCurrent },
    ...(m.rttMs === undefined ? {} : { rttMs: Math.round(m.rttMs * 1000) / 1000 }),
  };
}

/** What `members` filters on: any of the statuses (all when empty), every tag exactly. */
export interface MemberFilter {
  readonly statuses: readonly MemberStatus[];
  readonly tags: Readonly<Record<string, string>>;
}

/** Members matching `filter`, sorted by name. */
export function filterMembers(members: readonly MemberJson[], filter: MemberFilter): MemberJson[] {
  return members
    .filter((m) => filter.statuses.length === 0 || filter.statuses.includes(m.status))
    .filter((m) => Object.entries(filter.tags).every(([k, v]) => m.tags[k] === v))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Formats members as a table with a header, like `serf members`: name, address, status, incarnation, tags. */
export function membersTable(members: readonly MemberJson[]): string {
  const rows = [
    ['NAME', 'ADDRESS', 'STATUS', 'INC', 'TAGS'],
    ...members.map((m) => [m.name, m.address, m.status, String(m.incarnation), formatTags(m)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function formatTags(m: MemberJson): string {
  const entries = Object.entries(m.tags).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length > 0) return entries.map(([k, v]) => `${k}=${v}`).join(',');
  return m.metadata ? `(${Buffer.from(m.metadata, 'base64').length} bytes of raw metadata)` : '';
}
