/**
 * Issue 11, item 4: the `Hf` key hearsay adds to its own alive and push/pull entries must be
 * skipped silently by Go memberlist v0.2.2 (the version serf 0.9 uses). memberlist's own decoders
 * (through `test/interop/bin/golden decode`) read hearsay's bytes with the key and must return
 * exactly what they return for the same message without it. Skipped without Go, like golden.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/wire/codec.js';
import type { AliveMessage, PushPullMessage } from '../../src/wire/messages.js';
import { encodeStreamMessage } from '../../src/wire/stream.js';
import { BUILD_SCRIPT, GOLDEN_BIN, hex, killChildren, missingPrerequisite, run } from './golden-support.js';

const missing = missingPrerequisite();
if (missing !== undefined && process.env['CI']) throw new Error(`state capability interop needs Go: ${missing}`);

const alive: AliveMessage = { type: 'alive', incarnation: 7, node: 'hs-1', addr: Uint8Array.of(10, 0, 0, 1), port: 7946, meta: Uint8Array.of(1, 2), vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) };
const pushPull = (features: number | undefined): PushPullMessage => ({
  type: 'push-pull',
  join: false,
  nodes: [{ name: 'hs-1', addr: Uint8Array.of(10, 0, 0, 1), port: 7946, meta: null, incarnation: 7, state: 0, vsn: Uint8Array.of(1, 5, 2, 0, 0, 0), ...(features === undefined ? {} : { features }) }],
  userState: new Uint8Array(0),
});

describe.skipIf(missing !== undefined)('Go memberlist skips hearsay\'s Hf key', () => {
  const results = new Map<string, Record<string, unknown>>();

  beforeAll(async () => {
    const built = await run('sh', [BUILD_SCRIPT], { timeoutMs: 240_000 });
    if (built.code !== 0) throw new Error(`build-golden.sh failed:\n${built.stderr}${built.stdout}`);
    const requests = [
      { name: 'alive-plain', kind: 'message', hex: hex(encodeMessage(alive)) },
      { name: 'alive-hf', kind: 'message', hex: hex(encodeMessage({ ...alive, features: 1 })) },
      { name: 'pp-plain', kind: 'stream', hex: hex(encodeStreamMessage(pushPull(undefined), { compress: false, labelPreamble: false })) },
      { name: 'pp-hf', kind: 'stream', hex: hex(encodeStreamMessage(pushPull(1), { compress: false, labelPreamble: false })) },
    ];
    // The key is really on the wire (else this would compare a message with itself).
    expect(requests[1]!.hex).not.toBe(requests[0]!.hex);
    expect(requests[1]!.hex).toContain(hex(new TextEncoder().encode('Hf')));
    expect(requests[3]!.hex).not.toBe(requests[2]!.hex);
    const dec = await run(GOLDEN_BIN, ['decode'], { input: requests.map((r) => JSON.stringify(r)).join('\n') + '\n', timeoutMs: 60_000 });
    if (dec.code !== 0) throw new Error(`golden decode failed:\n${dec.stderr}`);
    for (const line of dec.stdout.split('\n')) if (line.trim() !== '') {
      const r = JSON.parse(line) as Record<string, unknown>;
      results.set(String(r['name']), r);
    }
  }, 300_000);

  afterAll(() => killChildren());

  it('an alive with Hf decodes without error to the same message as without it', () => {
    const plain = results.get('alive-plain')!;
    const withKey = results.get('alive-hf')!;
    expect(plain['error']).toBeUndefined();
    expect(withKey['error']).toBeUndefined();
    const { name: _a, ...p } = plain;
    const { name: _b, ...w } = withKey;
    expect(w).toEqual(p);
    expect(JSON.stringify(p)).toContain('hs-1');
  });

  it('a push/pull whose node entry has Hf decodes without error to the same state as without it', () => {
    const plain = results.get('pp-plain')!;
    const withKey = results.get('pp-hf')!;
    expect(plain['error']).toBeUndefined();
    expect(withKey['error']).toBeUndefined();
    const { name: _a, ...p } = plain;
    const { name: _b, ...w } = withKey;
    expect(w).toEqual(p);
    expect(JSON.stringify(p)).toContain('hs-1');
  });
});
