/**
 * Choosing the address a node advertises to its peers.
 * @module
 */
import { networkInterfaces } from 'node:os';
import { formatHostPort, parseHostPort } from '../address.js';

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * The `host:port` to advertise: `advertise` when given; otherwise the bound address, except that a
 * wildcard bind is replaced by the first private IPv4 of a network interface (memberlist's
 * `GetPrivateIP`), falling back to 127.0.0.1 when the host has none.
 */
export function chooseAdvertiseAddress(bound: string, advertise: string | undefined): string {
  if (advertise !== undefined) return advertise;
  const hp = parseHostPort(bound);
  if (hp === undefined || !WILDCARDS.has(hp.host)) return bound;
  return formatHostPort(firstPrivateIPv4() ?? '127.0.0.1', hp.port);
}

function firstPrivateIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family !== 'IPv4' || info.internal) continue;
      const [a, b] = info.address.split('.').map(Number) as [number, number];
      if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) {
        return info.address;
      }
    }
  }
  return undefined;
}
