import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ErrorCode, Hearsay, MetadataTooLargeError, PayloadTooLargeError, StateError, type JoinError } from '../../src/index.js';
import { FAST, startNode, waitUntil } from './helpers.js';

/** A TCP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('Hearsay lifecycle', () => {
  it('does no I/O in the constructor and refuses work before start', () => {
    const node = new Hearsay({ name: 'idle' });
    expect(node.status).toBe('created');
    expect(node.size).toBe(0);
    expect(() => node.broadcast(new Uint8Array(1))).toThrow(StateError);
    expect(() => node.join(['127.0.0.1:1'])).toThrow(StateError);
    expect(() => node.leave()).toThrow(StateError);
    expect(() => node.send('127.0.0.1:1', new Uint8Array(1))).toThrow(StateError);
  });

  it('rejects oversized metadata synchronously, at construction and in setMetadata', async () => {
    expect(() => new Hearsay({ name: 'big', metadata: new Uint8Array(513) })).toThrow(MetadataTooLargeError);
    const t = await startNode('meta-check');
    try {
      expect(() => t.node.setMetadata({ blob: 'x'.repeat(600) })).toThrow(MetadataTooLargeError);
      expect(t.node.localMember.incarnation).toBe(1);
    } finally {
      await t.node.shutdown();
    }
  });

  it('refuses user payloads that can never be sent with PayloadTooLargeError', async () => {
    const t = await startNode('payload-check');
    try {
      const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256));
      expect(() => t.node.broadcast(new Uint8Array(1395))).not.toThrow();
      expect(() => t.node.broadcast(new Uint8Array(1396))).toThrow(PayloadTooLargeError);
      // Incompressible, so compression cannot bring it under the UDP limit.
      expect(() => t.node.send(t.node.localMember.address, random(70_000))).toThrow(expect.objectContaining({ code: ErrorCode.payloadTooLarge, limit: 65_507 }));
      await expect(t.node.send(t.node.localMember.address, new Uint8Array(1000))).resolves.toBeUndefined();
    } finally {
      await t.node.shutdown();
    }
  });

  it('rejects join with a JoinError naming each seed when none answers', async () => {
    const t = await startNode('lonely');
    try {
      const seeds = [`127.0.0.1:${await closedPort()}`, `127.0.0.1:${await closedPort()}`];
      const error = (await t.node.join(seeds).catch((e: unknown) => e)) as JoinError;
      expect(error.code).toBe(ErrorCode.join);
      expect(error.failures.map((f) => f.seed)).toEqual(seeds);
      expect(t.node.status).toBe('running');
    } finally {
      await t.node.shutdown();
    }
  });

  it('resolves join with the count of seeds that answered when some fail', async () => {
    const a = await startNode('partial-a');
    const b = await startNode('partial-b');
    try {
      const result = await b.node.join([a.node.localMember.address, `127.0.0.1:${await closedPort()}`]);
      expect(result.contacted).toBe(1);
      expect(result.failures).toHaveLength(1);
    } finally {
      await Promise.all([a.node.shutdown(), b.node.shutdown()]);
    }
  });

  it('aborts a join through its signal with an AbortError', async () => {
    const t = await startNode('aborter');
    try {
      const controller = new AbortController();
      controller.abort(new Error('changed my mind'));
      await expect(t.node.join(['127.0.0.1:9'], { signal: controller.signal })).rejects.toMatchObject({ code: ErrorCode.abort });
    } finally {
      await t.node.shutdown();
    }
  });

  it('shuts down idempotently, resolves closed, and refuses work afterwards', async () => {
    const t = await startNode('closer');
    await Promise.all([t.node.shutdown(), t.node.shutdown()]);
    await expect(t.node.closed).resolves.toBeUndefined();
    expect(t.node.status).toBe('shutdown');
    expect(() => t.node.broadcast(new Uint8Array(1))).toThrow(StateError);
  });

  it('leaves then shuts down on asyncDispose, seen by a peer as a leave', async () => {
    const a = await startNode('dispose-a');
    try {
      {
        await using b = await Hearsay.start({ name: 'dispose-b', bind: '127.0.0.1:0', ...FAST });
        await b.join([a.node.localMember.address]);
        await waitUntil(() => a.node.size === 2, 10_000, 'the join');
      }
      await waitUntil(() => a.events.some((e) => e.event === 'leave' && e.name === 'dispose-b'), 10_000, 'the leave');
      expect(a.events.some((e) => e.event === 'fail')).toBe(false);
    } finally {
      await a.node.shutdown();
    }
  });

  it('delivers user broadcasts and direct messages as message events', async () => {
    const a = await startNode('msg-a');
    const b = await startNode('msg-b');
    try {
      await b.node.join([a.node.localMember.address]);
      await waitUntil(() => a.node.size === 2 && b.node.size === 2, 10_000, 'the join');
      const text = (e: { payload: unknown }): string => new TextDecoder().decode((e.payload as { payload: Uint8Array }).payload);
      a.node.broadcast(new TextEncoder().encode('gossiped'));
      await a.node.send('msg-b', new TextEncoder().encode('datagram'));
      await a.node.sendReliable('msg-b', new TextEncoder().encode('stream'));
      await waitUntil(() => ['gossiped', 'datagram', 'stream'].every((s) => b.events.some((e) => e.event === 'message' && text(e) === s)), 10_000, 'all three messages');
    } finally {
      await Promise.all([a.node.shutdown(), b.node.shutdown()]);
    }
  });

  it('keeps running when an event listener throws', async () => {
    const a = await startNode('throw-a');
    const b = await startNode('throw-b');
    try {
      a.node.on('join', () => {
        throw new Error('listener bug');
      });
      await b.node.join([a.node.localMember.address]);
      await waitUntil(() => a.node.size === 2 && b.node.size === 2, 10_000, 'the join despite the throwing listener');
      expect(a.node.members().find((m) => m.name === 'throw-b')?.state).toBe('alive');
    } finally {
      await Promise.all([a.node.shutdown(), b.node.shutdown()]);
    }
  });
});
