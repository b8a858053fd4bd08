import { describe, expect, it } from 'vitest';
import { INTERN_LIMIT, internAddr, internMeta, internString, internVsn } from '../../src/core/intern.js';
import { memberRecordTableSize, type MemberFields } from '../../src/core/member-record.js';
import { MemberTable, memberEntry, newMemberEntry, reviseEntry } from '../../src/core/members.js';
import { pushStateOf } from '../../src/core/push-state.js';
import { seededRandom } from '../../src/core/random.js';

// The member table's layout (docs/architecture.md): the simulator holds N² entries, so an entry is
// three fields, and what every node agrees on about a member is one shared record.

function fields(name: string, over: Partial<MemberFields> = {}): MemberFields {
  return {
    name,
    addr: internAddr(Uint8Array.of(10, 7, 0, 1)),
    port: 7946,
    address: internString('10.7.0.1:7946'),
    meta: internMeta(Uint8Array.of(0x80)),
    vsn: internVsn(Uint8Array.of(1, 5, 5, 2, 5, 4)),
    features: undefined,
    incarnation: 1,
    state: 'alive',
    ...over,
  };
}

describe('member entry layout', () => {
  it('is three own fields: the shared record, the state change time and the round trip', () => {
    const e = memberEntry(fields('layout-a'), 12.5);
    expect(Object.keys(e).sort()).toEqual(['changedAt', 'record', 'rttMs']);
    expect(e).toMatchObject({ name: 'layout-a', port: 7946, incarnation: 1, state: 'alive', stateChangeAt: 12.5, rttMs: undefined });
  });

  it('stores no number for a never-alive entry (Go zero time reads as −∞), so the field never starts as a double', () => {
    const e = newMemberEntry(fields('layout-b'));
    expect(e.changedAt).toBeUndefined();
    expect(e.stateChangeAt).toBe(Number.NEGATIVE_INFINITY);
    expect(e).toMatchObject({ state: 'dead', incarnation: 0, features: undefined });
    expect(memberEntry(fields('layout-b')).changedAt).toBeUndefined();
    const t = new MemberTable();
    t.add(e, seededRandom(1));
    t.update(e, 40, { state: 'alive', incarnation: 3 });
    expect(e.changedAt).toBe(40);
    expect(Number.isInteger(e.changedAt)).toBe(true);
  });

  it('shares one record between tables holding the same member state, and a change in one table leaves the other untouched', () => {
    const t1 = new MemberTable();
    const t2 = new MemberTable();
    const a = memberEntry(fields('layout-c'), 0);
    const b = memberEntry(fields('layout-c'), 0);
    t1.add(a, seededRandom(1));
    t2.add(b, seededRandom(2));
    expect(a.record).toBe(b.record);
    expect(pushStateOf(a)).toBe(pushStateOf(b));

    t1.update(a, 5, { state: 'suspect' });
    expect(a.record).not.toBe(b.record);
    expect([a.state, a.stateChangeAt, t1.count('suspect')]).toEqual(['suspect', 5, 1]);
    expect([b.state, b.stateChangeAt, t2.count('suspect')]).toEqual(['alive', 0, 0]);
    expect(pushStateOf(b).state).toBe(0);

    t2.update(b, 7, { state: 'suspect' });
    expect(b.record).toBe(a.record);
    expect(b.stateChangeAt).toBe(7);
  });

  it('keeps the record (and its stamp) when a change changes nothing', () => {
    const t = new MemberTable();
    const e = memberEntry(fields('layout-d'), 3);
    t.add(e, seededRandom(1));
    const r = e.record;
    t.update(e, 9, { state: 'alive', incarnation: 1, meta: internMeta(Uint8Array.of(0x80)) });
    reviseEntry(e, { features: undefined });
    expect(e.record).toBe(r);
    expect(e.stateChangeAt).toBe(3);
    reviseEntry(e, { features: 1 });
    expect(e.record).not.toBe(r);
    expect(e.features).toBe(1);
    reviseEntry(e, { features: undefined }); // a Go relay's alive omits `Hf`: the features are kept
    expect(e.features).toBe(1);
  });

  it('keeps one table slot per name however many distinct values a peer sends, and bounds the names', () => {
    const e = memberEntry(fields('layout-hostile'), 0);
    const before = memberRecordTableSize();
    for (let i = 0; i < 5_000; i++) reviseEntry(e, { meta: Uint8Array.of(i & 255, i >> 8), incarnation: 2 + i });
    expect(memberRecordTableSize()).toBeLessThanOrEqual(before + 1);
    for (let i = 0; i < INTERN_LIMIT + 10; i++) memberEntry(fields(`layout-flood-${i}`), 0);
    expect(memberRecordTableSize()).toBeLessThanOrEqual(INTERN_LIMIT);
  });
});
