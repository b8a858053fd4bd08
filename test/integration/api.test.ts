/**
 * The API a service builds on, on real sockets: checked inputs that throw synchronously, the
 * advertise address, join after leave, joins that only reach ourselves, message senders and the
 * members() filter.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, Hearsay, InvalidArgumentError, InvalidOptionsError, StateError, type HearsayOptions, type JoinError, type MessageEvent } from '../../src/index.js';
import { FAST, count, startNode, waitUntil, type TestNode } from './helpers.js';

const started: TestNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.node.shutdown()));
});

async function node(name: string, extra: Partial<HearsayOptions> = {}): Promise<TestNode> {
  const t = await startNode(name, extra);
  started.push(t);
  return t;
}

async function pair(prefix: string, extraB: Partial<HearsayOptions> = {}): Promise<[TestNode, TestNode]> {
  const a = await node(`${prefix}-a`);
  const b = await node(`${prefix}-b`, extraB);
  await b.node.join([a.node.localMember.address]);
  await waitUntil(() => a.node.size === 2 && b.node.size === 2, 10_000, 'the join');
  return [a, b];
}

/** Calls `fn`, which must throw synchronously (not return a rejected promise); returns the error. */
function thrown(fn: () => unknown): Error & { code?: string; parameter?: string; field?: string } {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    return error as Error;
  }
  if (result instanceof Promise) result.catch(() => {});
  throw new Error(`expected a synchronous throw, got ${result instanceof Promise ? 'a promise' : String(result)}`);
}

const nic = (address: string): NetworkInterfaceInfo =>
  ({ address, family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null }) as NetworkInterfaceInfo;

describe('inputs are checked, and misuse throws synchronously', () => {
  it('refuses payloads that are not bytes, naming the parameter', async () => {
    const [a] = await pair('payload');
    const cases: [string, () => unknown][] = [
      ['broadcast', () => a.node.broadcast('hello' as never)],
      ['send', () => a.node.send('payload-b', 'hi' as never)],
      ['sendReliable', () => a.node.sendReliable('payload-b', [1, 2] as never)],
      ['send', () => a.node.send('payload-b', new ArrayBuffer(4) as never)],
    ];
    for (const [method, call] of cases) {
      const error = thrown(call);
      expect(error, method).toBeInstanceOf(InvalidArgumentError);
      expect(error.code).toBe(ErrorCode.invalidArgument);
      expect(error.parameter).toBe('payload');
      expect(error.message).toContain(`${method}()`);
    }
    expect(thrown(() => a.node.broadcast('hello' as never)).message).toContain('TextEncoder');
    // Buffer is a Uint8Array: accepted.
    expect(() => a.node.broadcast(Buffer.from('hello'))).not.toThrow();
  });

  it('throws for bad seeds, targets, options and filters, and for every method in the wrong state', async () => {
    const [a] = await pair('args');
    expect(thrown(() => a.node.join(42 as never)).parameter).toBe('seeds');
    expect(thrown(() => a.node.join([])).parameter).toBe('seeds');
    expect(thrown(() => a.node.join(['ok:1', 7] as never)).parameter).toBe('seeds[1]');
    expect(thrown(() => a.node.send('nobody', new Uint8Array(1))).parameter).toBe('to');
    expect(thrown(() => a.node.sendReliable({} as never, new Uint8Array(1))).parameter).toBe('to');
    expect(thrown(() => a.node.leave({ timeoutMs: -1 })).parameter).toBe('options.timeoutMs');
    expect(thrown(() => a.node.setMetadata({ k: 'v' }, { signal: 'x' as never })).parameter).toBe('options.signal');
    expect(thrown(() => a.node.members({ state: 'gone' as never })).parameter).toBe('filter.state');
    expect(thrown(() => a.node.setMetadata(42 as never)).parameter).toBe('metadata');
    expect(thrown(() => a.node.setMetadata({ load: 1 } as never)).parameter).toBe('metadata.load');
    expect(a.node.localMember.incarnation).toBe(1); // nothing changed
    const stopped = await node('args-stopped');
    await stopped.node.shutdown();
    for (const call of [
      () => stopped.node.join(['127.0.0.1:1']),
      () => stopped.node.leave(),
      () => stopped.node.setMetadata({}),
      () => stopped.node.send('127.0.0.1:1', new Uint8Array(1)),
      () => stopped.node.sendReliable('127.0.0.1:1', new Uint8Array(1)),
      () => stopped.node.broadcast(new Uint8Array(1)),
      () => stopped.node.start(),
    ]) {
      expect(thrown(call)).toBeInstanceOf(StateError);
    }
  });

  it('refuses unknown option keys at once, naming the closest known one', () => {
    const error = thrown(() => Hearsay.start({ name: 'typo', bind: '127.0.0.1:0', probeInterval: 5 } as never));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.field).toBe('probeInterval');
    expect(error.message).toContain('did you mean "probeIntervalMs"?');
    expect(() => new Hearsay({ name: 'typo', probeIntervalMS: 5 } as never)).toThrow('did you mean "probeIntervalMs"?');
  });
});

describe('the advertise address', () => {
  it('refuses a wildcard bind when the host has no private IPv4, before binding, asking for advertise', () => {
    const n = new Hearsay({ name: 'wild', bind: '0.0.0.0:0' }, { interfaces: () => ({ eth0: [nic('192.0.2.2')] }) });
    const error = thrown(() => n.start());
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.field).toBe('advertise');
    expect(error.message).toContain('No private IP address found, and explicit IP not provided');
    expect(n.status).toBe('created');
  });

  it('advertises the first private IPv4 behind a wildcard bind, and refuses its own addresses as seeds', async () => {
    const n = new Hearsay({ name: 'wild-ok', bind: '0.0.0.0:0', ...FAST }, { interfaces: () => ({ eth0: [nic('192.0.2.2'), nic('10.20.30.40')] }) });
    await n.start();
    try {
      expect(n.localMember.host).toBe('10.20.30.40');
      expect(n.localMember.port).toBeGreaterThan(0);
      // Our own addresses are no seeds, the wildcard's loopback included.
      const error = (await n.join([`127.0.0.1:${n.localMember.port}`]).catch((e: unknown) => e)) as JoinError;
      expect(error.code).toBe(ErrorCode.join);
      expect(error.failures[0]?.error.message).toContain("this node's own address");
    } finally {
      await n.shutdown();
    }
  });
});

describe('join', () => {
  it('fails with JoinError when the only seed is the node itself', async () => {
    const a = await node('self-seed');
    const error = (await a.node.join([a.node.localMember.address]).catch((e: unknown) => e)) as JoinError;
    expect(error.code).toBe(ErrorCode.join);
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]?.error).toMatchObject({ code: ErrorCode.invalidArgument });
  });

  it('after leave() comes back alive at a higher incarnation, and peers see a join', async () => {
    const [a, b] = await pair('rejoin');
    await b.node.leave();
    await waitUntil(() => count(a, 'leave', 'rejoin-b') === 1, 10_000, 'the leave');
    expect(() => b.node.broadcast(new Uint8Array(1))).toThrow(StateError);
    const before = b.node.localMember.incarnation;
    const result = await b.node.join([a.node.localMember.address]);
    expect(result.contacted).toBe(1);
    expect(b.node.status).toBe('running');
    expect(b.node.localMember).toMatchObject({ state: 'alive' });
    expect(b.node.localMember.incarnation).toBeGreaterThan(before);
    await waitUntil(() => count(a, 'join', 'rejoin-b') === 2, 10_000, 'the second join at the peer');
    expect(a.node.members().find((m) => m.name === 'rejoin-b')?.state).toBe('alive');
    // Back in the cluster: metadata and broadcasts work again.
    await b.node.setMetadata({ back: 'yes' });
    await waitUntil(() => a.node.members().find((m) => m.name === 'rejoin-b')?.tags?.back === 'yes', 10_000, 'the new metadata');
    b.node.broadcast(new TextEncoder().encode('hello again'));
    await waitUntil(() => a.events.some((e) => e.event === 'message'), 10_000, 'the broadcast');
    expect(count(a, 'fail', 'rejoin-b')).toBe(0);
  });
});

describe('message events say who sent them', () => {
  it('names the sender of gossip, datagrams and streams', async () => {
    // The receiver is alone on 127.0.0.2; the sender's stream leaves from 127.0.0.1 on an ephemeral port.
    const a = await node('from-a', { bind: '127.0.0.2:0' });
    const b = await node('from-b');
    await b.node.join([a.node.localMember.address]);
    await waitUntil(() => a.node.size === 2 && b.node.size === 2, 10_000, 'the join');
    const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
    b.node.broadcast(bytes('gossip'));
    await b.node.send('from-a', bytes('datagram'));
    await b.node.sendReliable('from-a', bytes('stream'));
    const messages = (): Map<string, MessageEvent> =>
      new Map(a.events.filter((e) => e.event === 'message').map((e) => [new TextDecoder().decode((e.payload as MessageEvent).payload), e.payload as MessageEvent]));
    await waitUntil(() => messages().size === 3, 10_000, 'three messages');
    const bAddress = b.node.localMember.address;
    expect(messages().get('gossip')).toMatchObject({ from: 'from-b', address: bAddress });
    expect(messages().get('datagram')).toMatchObject({ from: 'from-b', address: bAddress });
    const stream = messages().get('stream')!;
    expect(stream.from).toBe('from-b');
    expect(stream.address).not.toBe(bAddress); // an ephemeral port on b's host
    expect(stream.address.startsWith('127.0.0.1:')).toBe(true);
  });
});

describe('members()', () => {
  it('lists alive and suspect members by default; state and tag filters cover the rest', async () => {
    const a = await node('list-a', { metadata: { role: 'api' } });
    const b = await node('list-b', { metadata: { role: 'db' } });
    const c = await node('list-c', { metadata: { role: 'api', zone: 'z1' } });
    for (const t of [b, c]) await t.node.join([a.node.localMember.address]);
    await waitUntil(() => [a, b, c].every((t) => t.node.size === 3), 10_000, 'three members');
    await c.node.leave();
    await waitUntil(() => count(a, 'leave', 'list-c') === 1, 10_000, 'the leave');
    const names = (ms: readonly { name: string }[]): string[] => ms.map((m) => m.name).sort();
    expect(names(a.node.members())).toEqual(['list-a', 'list-b']);
    expect(names(a.node.members({ state: 'all' }))).toEqual(['list-a', 'list-b', 'list-c']);
    expect(names(a.node.members({ state: 'left' }))).toEqual(['list-c']);
    expect(names(a.node.members({ state: ['alive', 'left'] }))).toEqual(['list-a', 'list-b', 'list-c']);
    expect(names(a.node.members({ tags: { role: 'api' } }))).toEqual(['list-a']);
    expect(names(a.node.members({ state: 'all', tags: { role: 'api', zone: 'z1' } }))).toEqual(['list-c']);
    expect(Object.isFrozen(a.node.members())).toBe(true);
    expect(c.node.members().map((m) => m.name)).not.toContain('list-c'); // a left node lists itself no more
  });
});
