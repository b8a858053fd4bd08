/**
 * `host:port` strings and raw IP bytes: the two address forms hearsay deals in.
 *
 * Transports and the public API speak `host:port` (IPv6 bracketed: `[::1]:7946`); memberlist's
 * `Addr` fields carry raw IP bytes (4, or 16 for IPv6 and IPv4-mapped). Pure: no `node:*` import,
 * so the core may use it.
 * @module
 */

/** A parsed `host:port`. `host` is an IP literal without brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port` or `[v6]:port`. Returns `undefined` for anything else (no DNS names: the
 * caller resolves names first). Port must be 0–65535.
 */
export function parseHostPort(value: string): HostPort | undefined {
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0 || value[close + 1] !== ':') return undefined;
    host = value.slice(1, close);
    portText = value.slice(close + 2);
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0 || value.indexOf(':') !== colon) return undefined;
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535 || ipToBytes(host) === undefined) return undefined;
  return { host, port };
}

/** Formats `host:port`, bracketing IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses an IPv4 dotted quad or an IPv6 literal (with `::` and an optional embedded IPv4 tail) into 4 or 16 bytes. */
export function ipToBytes(ip: string): Uint8Array | undefined {
  if (ip.includes(':')) return ipv6ToBytes(ip);
  return ipv4ToBytes(ip);
}

function ipv4ToBytes(ip: string): Uint8Array | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function ipv6ToBytes(ip: string): Uint8Array | undefined {
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const words: number[][] = [];
  for (const half of halves) {
    const groups = half === '' ? [] : half.split(':');
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (g.includes('.')) {
        if (i !== groups.length - 1) return undefined;
        const v4 = ipv4ToBytes(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    words.push(out);
  }
  const head = words[0] ?? [];
  const tail = words[1] ?? [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * Formats raw IP bytes as text. 16-byte IPv4-mapped addresses (`::ffff:a.b.c.d`, which Go sends for
 * a 0.0.0.0-bound node) come out as plain dotted IPv4 so a transport can reach them.
 * Returns `undefined` for any other length.
 */
export function bytesToIp(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) return undefined;
  if (V4_MAPPED_PREFIX.every((b, i) => bytes[i] === b)) {
    return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // Compress the longest run of zero words (RFC 5952) so the text is what people expect to read.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return words.join(':');
  return `${words.slice(0, bestStart).join(':')}::${words.slice(bestStart + bestLen).join(':')}`;
}

/** `host:port` from raw IP bytes and a port; `undefined` if the bytes are not an IP. */
export function bytesToHostPort(bytes: Uint8Array, port: number): string | undefined {
  const ip = bytesToIp(bytes);
  return ip === undefined ? undefined : formatHostPort(ip, port);
}

/** Byte-for-byte equality, the way Go compares `Addr` and `Meta`. */
export function bytesEqual(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  const la = a?.length ?? 0;
  const lb = b?.length ?? 0;
  if (la !== lb) return false;
  for (let i = 0; i < la; i++) if (a![i] !== b![i]) return false;
  return true;
}
