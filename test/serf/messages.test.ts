/**
 * serf's messages as hearsay writes and reads them, against fixtures written by serf 0.9's own
 * `encodeMessage` (test/interop/serf-golden, built by test/interop/build-serf-golden.sh; every
 * leave intent there was also read back by serf's `decodeMessage`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_LAMPORT_TIME, encodeJoinIntent, encodeLeaveIntent, readMemberClock } from '../../src/serf/messages.js';
import { seededRandom } from '../../src/core/random.js';

interface Fixture {
  readonly name: string;
  readonly kind: 'leave' | 'join' | 'push-pull' | 'user-event';
  readonly ltime: number;
  readonly node?: string;
  readonly prune?: boolean;
  readonly hex: string;
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/serf/messages.json', import.meta.url), 'utf8')) as Fixture[];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const of = (kind: Fixture['kind']): Fixture[] => fixtures.filter((f) => f.kind === kind);

describe("serf's leave intent", () => {
  it.each(of('leave').map((f) => [f.name, f] as const))('%s: byte for byte what serf encodes', (_, f) => {
    expect(hex(encodeLeaveIntent(f.ltime, f.node ?? '', f.prune ?? false))).toBe(f.hex);
  });

  it('covers every integer and string width serf can write', () => {
    const names = of('leave').map((f) => f.name);
    for (const lt of [0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, MAX_LAMPORT_TIME]) expect(names).toContain(`leave ltime=${lt} prune=false`);
    for (const n of [0, 31, 32, 300]) expect(names).toContain(`leave node of ${n} bytes`);
  });

  it('refuses a time serf cannot hold or hearsay cannot represent', () => {
    for (const bad of [-1, 1.5, MAX_LAMPORT_TIME + 1, Number.NaN]) expect(() => encodeLeaveIntent(bad, 'a')).toThrow(RangeError);
  });
});

describe("serf's join intent", () => {
  it.each(of('join').map((f) => [f.name, f] as const))('%s: byte for byte what serf encodes', (_, f) => {
    expect(hex(encodeJoinIntent(f.ltime, f.node ?? ''))).toBe(f.hex);
  });
});

describe('readMemberClock', () => {
  it.each(fixtures.filter((f) => f.kind !== 'user-event').map((f) => [f.name, f] as const))('%s: reads LTime', (_, f) => {
    expect(readMemberClock(bytes(f.hex))).toEqual({ kind: f.kind, ltime: f.ltime });
  });

  it("ignores serf's user events: they run on the event clock", () => {
    for (const f of of('user-event')) expect(readMemberClock(bytes(f.hex))).toBeUndefined();
  });

  it('reads what it writes', () => {
    expect(readMemberClock(encodeLeaveIntent(77, 'x'))).toEqual({ kind: 'leave', ltime: 77 });
    expect(readMemberClock(encodeJoinIntent(78, 'x'))).toEqual({ kind: 'join', ltime: 78 });
  });

  it('gives undefined, never throws, for truncated, corrupted and random input', () => {
    const random = seededRandom(9);
    const samples = fixtures.map((f) => bytes(f.hex));
    for (const s of samples) for (let n = 0; n < s.length; n++) expect(readMemberClock(s.subarray(0, n))).toBeUndefined();
    for (let i = 0; i < 2000; i++) {
      const base = samples[random.int(samples.length)]!.slice();
      const flips = 1 + random.int(4);
      for (let k = 0; k < flips; k++) base[random.int(base.length)] = random.int(256);
      expect(() => readMemberClock(base)).not.toThrow();
    }
    for (let i = 0; i < 2000; i++) {
      const junk = Uint8Array.from({ length: 1 + random.int(64) }, () => random.int(256));
      junk[0] = random.int(3);
      expect(() => readMemberClock(junk)).not.toThrow();
    }
    expect(readMemberClock(new Uint8Array(0))).toBeUndefined();
    expect(readMemberClock(Uint8Array.of(0))).toBeUndefined();
    expect(readMemberClock(Uint8Array.of(3, 0x81, 0xa5, 0x4c, 0x54, 0x69, 0x6d, 0x65, 1))).toBeUndefined(); // a user event
    expect(readMemberClock(Uint8Array.of(0, 0x81, 0xa5, 0x4c, 0x54, 0x69, 0x6d, 0x65, 0xff))).toBeUndefined(); // negative LTime
  });

  it('gives undefined for an LTime beyond 2^53 − 1, which it cannot represent', () => {
    expect(readMemberClock(Uint8Array.of(0, 0x81, 0xa5, 0x4c, 0x54, 0x69, 0x6d, 0x65, 0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0))).toBeUndefined();
  });
});

describe('purity', () => {
  /** Every module `file` reaches, transitively: relative ones as URLs, packages by name. */
  function imports(file: URL, seen = new Set<string>()): Set<string> {
    if (seen.has(file.href)) return seen;
    seen.add(file.href);
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) imports(new URL(spec.replace(/\.js$/, '.ts'), file), seen);
      else seen.add(spec);
    }
    return seen;
  }
  it.each(['messages.ts', 'lamport.ts'])('src/serf/%s reaches no node:* or third-party module', (name) => {
    expect([...imports(new URL(`../../src/serf/${name}`, import.meta.url))].filter((s) => !s.startsWith('file:'))).toEqual([]);
  });
});
