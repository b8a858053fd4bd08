import { describe, expect, it } from 'vitest';
import { internAddr, internMeta, internString, internVsn } from '../../src/core/intern.js';
import { memberEntry, reviseEntry, type MemberEntry } from '../../src/core/members.js';
import { pushStateOf } from '../../src/core/push-state.js';
import { EncodedPushNodeState, writePushNodeState } from '../../src/wire/bodies.js';
import { Writer } from '../../src/wire/writer.js';

function entry(name: string, incarnation: number, meta: Uint8Array): MemberEntry {
  return memberEntry({
    name,
    addr: internAddr(Uint8Array.of(10, 9, 8, 7)),
    port: 7946,
    address: internString('10.9.8.7:7946'),
    meta: internMeta(meta),
    vsn: internVsn(Uint8Array.of(1, 5, 5, 2, 5, 4)),
    features: undefined,
    incarnation,
    state: 'alive',
  }, 0);
}

function encoded(s: EncodedPushNodeState): Uint8Array {
  const w = new Writer();
  writePushNodeState(w, s);
  return w.finish();
}

describe('interned member fields', () => {
  it('gives one array per distinct value, a copy that does not alias the input', () => {
    const a = Uint8Array.of(1, 2, 3);
    const m = internMeta(a);
    expect(internMeta(Uint8Array.of(1, 2, 3))).toBe(m);
    expect(m).not.toBe(a);
    expect([...m]).toEqual([1, 2, 3]);
    expect(internMeta(Uint8Array.of(1, 2, 4))).not.toBe(m);
    expect(internAddr(Uint8Array.of(192, 168, 0, 1))).toBe(internAddr(Uint8Array.of(192, 168, 0, 1)));
    const v6 = new Uint8Array(16).fill(7);
    expect(internAddr(v6)).toBe(internAddr(v6.slice()));
  });

  it('reads a short or missing Vsn as six zeros, and a long one as its first six bytes', () => {
    expect([...internVsn(new Uint8Array(0))]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(internVsn(Uint8Array.of(1, 5, 5, 2, 5, 4, 9))).toBe(internVsn(Uint8Array.of(1, 5, 5, 2, 5, 4)));
  });
});

describe('shared push/pull entries', () => {
  it('shares one encoding between entries holding the same member state, never a stale one', () => {
    const a = entry('shared-m', 3, Uint8Array.of(0x81));
    const b = entry('shared-m', 3, Uint8Array.of(0x81));
    const s = pushStateOf(a);
    expect(pushStateOf(b)).toBe(s);
    reviseEntry(b, { incarnation: 4 });
    const t = pushStateOf(b);
    expect(t).not.toBe(s);
    expect(t.incarnation).toBe(4);
    // `a` still holds incarnation 3: it keeps its own, although the shared one moved on.
    expect(pushStateOf(a)).toBe(s);
    expect(encoded(pushStateOf(a))).toEqual(encoded(new EncodedPushNodeState('shared-m', a.addr, 7946, a.meta, 3, 0, a.vsn)));
  });
});
