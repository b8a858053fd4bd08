/** The serf adapter's clock: the times its intents carry, and what it witnesses. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERF_DELEGATE_PROTOCOL, SerfIntents, isSerfDelegate } from '../../src/serf/intents.js';
import { LamportClock } from '../../src/serf/lamport.js';
import { encodeJoinIntent, encodeLeaveIntent, readMemberClock } from '../../src/serf/messages.js';
import { InvalidOptionsError } from '../../src/errors.js';
import { resolveOptions } from '../../src/options.js';

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/serf/messages.json', import.meta.url), 'utf8')) as { name: string; hex: string }[];
const fixture = (name: string): Uint8Array => new Uint8Array(Buffer.from(fixtures.find((f) => f.name === name)!.hex, 'hex'));
const ltimeOf = (intent: Uint8Array): number | undefined => readMemberClock(intent)?.ltime;

describe('LamportClock (serf lamport.go)', () => {
  it('starts at 1, increments, and witnesses to one past a time not below its own', () => {
    const c = new LamportClock();
    expect(c.time).toBe(1);
    expect(c.increment()).toBe(2);
    c.witness(1);
    expect(c.time).toBe(2);
    c.witness(2);
    expect(c.time).toBe(3);
    c.witness(40);
    expect(c.time).toBe(41);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) c.witness(bad);
    expect(c.time).toBe(41);
  });
});

describe('SerfIntents', () => {
  it("stamps the leave intent as serf's Leave: the current time, then the clock moves on", () => {
    const s = new SerfIntents('hs-a');
    const first = s.leaveIntent();
    expect(first).toEqual(encodeLeaveIntent(1, 'hs-a'));
    expect(ltimeOf(s.leaveIntent())).toBe(2);
  });

  it("witnesses serf's push/pull state minus one, as serf's MergeRemoteState", () => {
    const s = new SerfIntents('hs-a');
    expect(s.witnessState(fixture('push-pull ltime=12'))).toBe(true);
    expect(ltimeOf(s.leaveIntent())).toBe(12);
    expect(s.witnessState(fixture('push-pull ltime=4294967296'))).toBe(true);
    expect(ltimeOf(s.leaveIntent())).toBe(4294967296);
  });

  it('witnesses the leave and join intents serf gossips, and nothing else', () => {
    const s = new SerfIntents('hs-a');
    s.witnessMessage(fixture('join ltime=300'));
    expect(s.time).toBe(301);
    s.witnessMessage(encodeLeaveIntent(500, 'serf-2'));
    expect(s.time).toBe(501);
    s.witnessMessage(fixture('user event (event clock)'));
    s.witnessMessage(fixture('push-pull ltime=70000')); // push/pull state never arrives as a user message
    s.witnessMessage(Uint8Array.of(1, 2, 3));
    expect(s.time).toBe(501);
  });

  it("refuses user state that is not serf's push/pull, leaving the clock alone", () => {
    const s = new SerfIntents('hs-a');
    expect(s.witnessState(Uint8Array.of(9, 1, 2))).toBe(false);
    expect(s.witnessState(fixture('join ltime=300'))).toBe(false);
    expect(s.witnessState(Uint8Array.of(2, 0xc1))).toBe(false);
    expect(s.time).toBe(1);
  });

  it("stamps the join intent as serf's broadcastJoin, above the leave before it", () => {
    const s = new SerfIntents('hs-a');
    const leave = ltimeOf(s.leaveIntent())!;
    const join = s.joinIntent();
    expect(join).toEqual(encodeJoinIntent(leave + 1, 'hs-a'));
    expect(ltimeOf(s.leaveIntent())).toBeGreaterThan(leave + 1);
  });
});

describe("serf's delegate range", () => {
  it('is min 2, max 5, version 4; any version in 2–5 counts, other ranges do not', () => {
    expect(SERF_DELEGATE_PROTOCOL).toEqual({ min: 2, max: 5, version: 4 });
    expect(isSerfDelegate({ min: 2, max: 5, version: 5 })).toBe(true);
    expect(isSerfDelegate({ min: 0, max: 0, version: 0 })).toBe(false);
    expect(isSerfDelegate({ min: 2, max: 4, version: 4 })).toBe(false);
  });
});

describe("the option delegateProtocol: 'serf'", () => {
  it("resolves to serf's range; other strings are refused, naming the option", () => {
    expect(resolveOptions({ name: 'a', delegateProtocol: 'serf' }).delegateProtocol).toEqual({ min: 2, max: 5, version: 4 });
    for (const bad of ['SERF', 'consul', 5, null]) {
      const error = (() => {
        try {
          resolveOptions({ name: 'a', delegateProtocol: bad as never });
        } catch (e) {
          return e as InvalidOptionsError;
        }
        return undefined;
      })();
      expect(error, String(bad)).toBeInstanceOf(InvalidOptionsError);
      expect(error?.field, String(bad)).toBe('delegateProtocol');
    }
  });
});
