import { describe, expect, it } from 'vitest';
import { StateStore, type StoreDelta } from '../../src/state/store.js';

const delta = (d: Partial<StoreDelta> & Pick<StoreDelta, 'entries'>): StoreDelta => ({ member: 'a', generation: 1, from: 0, upTo: 0, latest: 0, reset: false, floor: 0, ...d });

describe('state store', () => {
  it('a delta from a sender that collected a delete we never saw rebuilds the replica instead of merging', () => {
    const s = new StateStore('b', 1);
    s.apply(delta({ upTo: 4, latest: 4, entries: [{ key: 'k3', version: 2, value: 'x' }, { key: 'k5', version: 4, value: 'y' }] }), 0);
    // The owner deleted k3 at 5 and collected the tombstone (floor 5); its answer to an old summary starts at 0.
    const out = s.apply(delta({ upTo: 5, latest: 5, floor: 5, entries: [{ key: 'k5', version: 4, value: 'y' }] }), 0);
    expect(s.replica('a')!.get('k3')).toBeUndefined();
    expect(out).toEqual([{ member: 'a', key: 'k3', value: undefined, previous: 'x', version: 5 }]);
  });

  it('refuses a delta that starts above the replica (gap) and one about ourselves', () => {
    const s = new StateStore('b', 1);
    expect(s.apply(delta({ from: 3, upTo: 4, latest: 4, entries: [{ key: 'k', version: 4, value: 'v' }] }), 0)).toBe('gap');
    expect(s.apply(delta({ member: 'b', upTo: 1, latest: 1, entries: [{ key: 'k', version: 1, value: 'v' }] }), 0)).toBe('self');
  });

  it('never moves a replica backwards when a reset comes from a peer that is behind', () => {
    const s = new StateStore('b', 1);
    s.apply(delta({ upTo: 6, latest: 6, entries: [{ key: 'k', version: 6, value: 'new' }] }), 0);
    s.apply(delta({ reset: true, upTo: 3, latest: 3, entries: [{ key: 'k', version: 3, value: 'old' }] }), 0);
    expect(s.replica('a')!.get('k')).toBe('new');
    expect(s.position('a')).toEqual({ generation: 1, version: 6, fill: 3 });
  });

  it('a stale generation is refused; a newer one replaces the old keys at once', () => {
    const s = new StateStore('b', 1);
    s.apply(delta({ generation: 5, upTo: 1, latest: 1, entries: [{ key: 'k', version: 1, value: 'v5' }] }), 0);
    expect(s.apply(delta({ generation: 4, upTo: 9, latest: 9, entries: [{ key: 'k', version: 9, value: 'v4' }] }), 0)).toBe('stale-generation');
    const out = s.apply(delta({ generation: 6, upTo: 1, latest: 1, entries: [{ key: 'n', version: 1, value: 'v6' }] }), 0);
    expect(out).toEqual([
      { member: 'a', key: 'k', value: undefined, previous: 'v5', version: 1 },
      { member: 'a', key: 'n', value: 'v6', previous: undefined, version: 1 },
    ]);
  });
});
