/**
 * Interned member fields: one shared, never-mutated array or string per distinct value.
 *
 * Every node keeps an entry per member, and nearly all members share one `Vsn`, a handful of
 * metadata values (serf tags such as `{role, dc}`) and, across the cores of one process (the
 * simulator), each member's address. A `Uint8Array` costs about 100 bytes of heap before its
 * bytes, so one array per entry and field was most of an entry (issue 12). Interning also copies a
 * value out of the packet it was decoded from, so a kept entry no longer pins that packet's buffer.
 *
 * The tables are module-level, so every core in the process shares them, and bounded: a table
 * that reaches {@link INTERN_LIMIT} values is emptied (the entries keep their arrays; only later
 * ones stop sharing). Which array an entry holds never changes what is sent or decided: arrays
 * are compared by content everywhere, except where identity only decides sharing (member-record.ts
 * `memberRecord`). Callers must never write into an interned array.
 * @module
 */

/** How many distinct values each table holds before it is emptied. */
export const INTERN_LIMIT = 1 << 16;
/** Metadata longer than this is kept as it is (a key would cost more than the array). */
const META_INTERN_MAX = 128;

/** A `Vsn` never received: Go's zero value. */
const NO_VSN = new Uint8Array(6);
const vsns = new Map<number, Uint8Array>();
const metas = new Map<string, Uint8Array>();
const ipv4s = new Map<number, Uint8Array>();
const ipv6s = new Map<string, Uint8Array>();
const strings = new Map<string, string>();

function bounded<K, V>(table: Map<K, V>, key: K, value: V): V {
  if (table.size >= INTERN_LIMIT) table.clear();
  table.set(key, value);
  return value;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** The shared 6-byte `Vsn` equal to `vsn`'s first six bytes; all zeros (never received) when it has fewer. */
export function internVsn(vsn: Uint8Array): Uint8Array {
  if (vsn.length < 6) vsn = NO_VSN;
  const key = vsn[0]! * 2 ** 40 + vsn[1]! * 2 ** 32 + ((vsn[2]! << 24) >>> 0) + (vsn[3]! << 16) + (vsn[4]! << 8) + vsn[5]!;
  return vsns.get(key) ?? bounded(vsns, key, vsn.slice(0, 6));
}

/** The shared array with `meta`'s bytes (`meta` itself when over {@link META_INTERN_MAX} bytes). */
export function internMeta(meta: Uint8Array): Uint8Array {
  if (meta.length > META_INTERN_MAX) return meta;
  const key = latin1(meta);
  return metas.get(key) ?? bounded(metas, key, meta.slice());
}

/** The shared array with `addr`'s bytes (an IPv4 or IPv6 address, or anything else kept as is). */
export function internAddr(addr: Uint8Array): Uint8Array {
  if (addr.length === 4) {
    const key = ((addr[0]! << 24) >>> 0) + (addr[1]! << 16) + (addr[2]! << 8) + addr[3]!;
    return ipv4s.get(key) ?? bounded(ipv4s, key, addr.slice());
  }
  if (addr.length !== 16) return addr;
  const key = latin1(addr);
  return ipv6s.get(key) ?? bounded(ipv6s, key, addr.slice());
}

/** The shared string equal to `s` (member addresses as `host:port`). */
export function internString(s: string): string {
  return strings.get(s) ?? bounded(strings, s, s);
}
