import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimerHeap } from '../../src/runtime/timer-heap.js';

describe('TimerHeap', () => {
  it('pops by due time, and equal due times in insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (dues) => {
        const heap = new TimerHeap<number>();
        dues.forEach((d, i) => heap.push(d, i));
        const out: [number, number][] = [];
        for (let e = heap.pop(); e; e = heap.pop()) out.push([e.due, e.value]);
        const expected = dues.map((d, i) => [d, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
      }),
    );
  });
});
