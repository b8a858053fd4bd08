import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type InvalidOptionsError } from '../../src/errors.js';
import { chooseAdvertiseAddress, isOwnAddress } from '../../src/runtime/advertise.js';

const nic = (address: string, internal = false): NetworkInterfaceInfo =>
  ({ address, family: address.includes(':') ? 'IPv6' : 'IPv4', internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null }) as NetworkInterfaceInfo;
const host = (...addresses: string[]) => () => ({ lo: [nic('127.0.0.1', true)], eth0: addresses.map((a) => nic(a)) });

describe('chooseAdvertiseAddress', () => {
  it('keeps an explicit advertise address and a specific bind', () => {
    expect(chooseAdvertiseAddress('0.0.0.0:7946', '10.1.1.1:7000', host())).toBe('10.1.1.1:7000');
    expect(chooseAdvertiseAddress('192.0.2.2:7946', undefined, host())).toBe('192.0.2.2:7946');
  });

  it('replaces a wildcard bind by the first private IPv4 of a network interface, with the bound port', () => {
    expect(chooseAdvertiseAddress('0.0.0.0:7946', undefined, host('192.0.2.2', '172.20.0.5'))).toBe('172.20.0.5:7946');
    expect(chooseAdvertiseAddress('[::]:7000', undefined, host('fe80::1', '10.0.0.9'))).toBe('10.0.0.9:7000');
  });

  it('refuses a wildcard bind on a host without a private IPv4, asking for advertise as memberlist does', () => {
    let caught: InvalidOptionsError | undefined;
    try {
      chooseAdvertiseAddress('0.0.0.0:7946', undefined, host('192.0.2.2', '2001:db8::1'));
    } catch (error) {
      caught = error as InvalidOptionsError;
    }
    expect(caught?.code).toBe(ErrorCode.invalidOptions);
    expect(caught?.field).toBe('advertise');
    expect(caught?.message).toContain('No private IP address found, and explicit IP not provided');
  });
});

describe('isOwnAddress', () => {
  const own = { advertised: '10.0.0.9:7946', bound: '0.0.0.0:7946' };
  it('knows the advertised and bound addresses, and loopback or interface addresses on our port behind a wildcard', () => {
    const lookup = host('10.0.0.9', '192.0.2.2');
    for (const a of ['10.0.0.9:7946', '0.0.0.0:7946', '127.0.0.1:7946', '[::1]:7946', '192.0.2.2:7946']) expect(isOwnAddress(a, own, lookup), a).toBe(true);
    for (const a of ['10.0.0.9:7947', '127.0.0.1:7000', '192.0.2.3:7946']) expect(isOwnAddress(a, own, lookup), a).toBe(false);
  });

  it('behind a specific bind, knows only that address and the advertised one', () => {
    const specific = { advertised: '127.0.0.1:7946', bound: '127.0.0.1:7946' };
    expect(isOwnAddress('127.0.0.1:7946', specific, host())).toBe(true);
    expect(isOwnAddress('127.0.0.2:7946', specific, host())).toBe(false);
  });
});
