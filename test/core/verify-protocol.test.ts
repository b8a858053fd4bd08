import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MemberState } from '../../src/events.js';
import { MemberTable, memberEntry, type MemberEntry } from '../../src/core/members.js';
import { verifyProtocol } from '../../src/core/push-pull.js';
import { seededRandom } from '../../src/core/random.js';
import type { NodeStateNumberValue, PushNodeState } from '../../src/wire/messages.js';

const STATES: MemberState[] = ['alive', 'suspect', 'dead', 'left'];
// Small version numbers, so that ranges often conflict; sometimes no Vsn at all.
const vsn = fc.oneof({ weight: 6, arbitrary: fc.uint8Array({ minLength: 6, maxLength: 6, min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) });
const entry = fc.record({ state: fc.integer({ min: 0, max: 3 }), vsn });

describe('verifyProtocol with our own current entries marked', () => {
  it('gives exactly the full check’s answer (the same first error, or none)', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), fc.array(entry, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (local, others, picks) => {
        const table = new MemberTable();
        const random = seededRandom(1);
        const entries: MemberEntry[] = local.map((l, i) =>
          memberEntry({
            name: `m${i}`,
            addr: Uint8Array.of(10, 0, 0, i),
            port: 1,
            address: `10.0.0.${i}:1`,
            meta: new Uint8Array(0),
            vsn: l.vsn.length === 6 ? l.vsn : new Uint8Array(6),
            incarnation: 1,
            state: STATES[l.state]!,
            features: undefined,
          }, 0),
        );
        for (const e of entries) table.add(e, random);
        // Remote: strangers, and copies of our entries (marked current) in between.
        const remote: PushNodeState[] = [];
        const current: number[] = [];
        others.forEach((o, i) => {
          remote.push({ name: `r${i}`, addr: Uint8Array.of(10, 1, 0, i), port: 1, meta: null, incarnation: 1, state: o.state as NodeStateNumberValue, vsn: o.vsn });
          current.push(0);
          const pick = picks[i];
          if (pick !== undefined && entries.length > 0) {
            const e = entries[pick % entries.length]!;
            remote.push({ name: e.name, addr: e.addr, port: e.port, meta: e.meta, incarnation: e.incarnation, state: STATES.indexOf(e.state) as NodeStateNumberValue, vsn: e.vsn });
            current.push(1);
          }
        });
        expect(verifyProtocol(table, remote, Uint8Array.from(current))?.message).toBe(verifyProtocol(table, remote)?.message);
      }),
      { numRuns: 2000 },
    );
  });
});
