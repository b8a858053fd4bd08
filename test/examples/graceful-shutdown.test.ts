/** examples/graceful-shutdown.ts: SIGTERM makes the node leave (peers see `leave`, never `fail`) and exit 0. */
import { once } from 'node:events';
import { Hearsay } from 'hearsay';
import { afterEach, describe, expect, it } from 'vitest';
import { startExample } from './run.js';

function waitEvent(node: Hearsay, event: 'join' | 'leave' | 'fail', name: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} of ${name} within ${ms} ms`)), ms);
    node.on(event, ({ member }) => {
      if (member.name === name) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

describe('examples/graceful-shutdown.ts', () => {
  let seed: Hearsay | undefined;
  afterEach(async () => {
    await seed?.shutdown();
  });

  it('leaves on SIGTERM and exits 0', async () => {
    seed = await Hearsay.start({ name: 'seed', bind: '127.0.0.1:0', preset: 'local' });
    const fails: string[] = [];
    seed.on('fail', ({ member }) => fails.push(member.name));
    const joined = waitEvent(seed, 'join', 'worker-1', 20_000);
    const child = startExample('graceful-shutdown.ts', ['--join', seed.localMember.address]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null]>;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`example printed no ready line:\n${out}`)), 20_000);
      child.stdout!.on('data', () => {
        if (/^ready /m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    try {
      // Both: the seed knows the worker, and the worker has finished starting.
      await Promise.all([joined, ready]);
      const left = waitEvent(seed, 'leave', 'worker-1', 10_000);
      child.kill('SIGTERM');
      await left;
      const [code] = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('example did not exit')), 10_000))]);
      expect(code).toBe(0);
      expect(out).toMatch(/^ready 127\.0\.0\.1:\d+$/m);
      expect(out).toContain('SIGTERM: leaving');
      expect(out).toContain('left and shut down');
      expect(fails).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 40_000);
});
