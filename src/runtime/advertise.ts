/**
 * Choosing the address a node advertises to its peers, and recognising our own addresses.
 * @module
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { formatHostPort, parseHostPort } from '../address.js';
import { InvalidOptionsError } from '../errors.js';

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** The host's network interfaces, as `os.networkInterfaces()` returns them (injectable for tests). */
export type InterfaceLookup = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * The `host:port` to advertise: `advertise` when given; otherwise the bound address, except that a
 * wildcard bind is replaced by the first private IPv4 of a non-internal interface (memberlist's
 * `GetPrivateIP`).
 * @throws {InvalidOptionsError} naming `advertise` for a wildcard bind on a host with no private
 *   IPv4: advertising loopback or a guess would make the node unreachable without any error.
 */
export function chooseAdvertiseAddress(bound: string, advertise: string | undefined, interfaces: InterfaceLookup = networkInterfaces): string {
  if (advertise !== undefined) return advertise;
  const hp = parseHostPort(bound);
  if (hp === undefined || !WILDCARDS.has(hp.host)) return bound;
  const ip = firstPrivateIPv4(interfaces);
  if (ip === undefined) {
    throw new InvalidOptionsError(
      'advertise',
      `bind ${bound} is a wildcard and this host has no private IPv4 address to advertise (memberlist: "No private IP address found, and explicit IP not provided"); set advertise to the "ip:port" peers should dial`,
    );
  }
  return formatHostPort(ip, hp.port);
}

/**
 * Whether `address` reaches this node: our advertised or bound address, or — bound to a wildcard —
 * a loopback or interface address with our port. `join()` uses it to refuse itself as a seed.
 */
export function isOwnAddress(address: string, own: { readonly advertised: string; readonly bound: string }, interfaces: InterfaceLookup = networkInterfaces): boolean {
  if (address === own.advertised || address === own.bound) return true;
  const hp = parseHostPort(address);
  const bound = parseHostPort(own.bound);
  if (hp === undefined || bound === undefined || hp.port !== bound.port || !WILDCARDS.has(bound.host)) return false;
  if (hp.host === '::1' || hp.host.startsWith('127.')) return true;
  return Object.values(interfaces()).some((list) => (list ?? []).some((info) => info.address === hp.host));
}

function firstPrivateIPv4(interfaces: InterfaceLookup): string | undefined {
  for (const list of Object.values(interfaces())) {
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
