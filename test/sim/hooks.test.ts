/**
 * Issue 9's hooks on simulated real nodes (virtual time): suspicion detail, conflicts, admission.
 */
import { describe, expect, it } from 'vitest';
import { JoinError, NameConflictError } from '../../src/errors.js';
import type { SuspicionEvent } from '../../src/events.js';
import { testSeeds, withSeed } from '../../src/testing/seeds.js';
import { convergedCluster, eventsAbout } from './helpers.js';

const SEEDS = testSeeds([1, 2, 3]);

describe.each(SEEDS)('suspicion detail on a crash (seed %i)', (seed) => {
  it('reports a shrinking deadline as confirmations arrive, and the first verdict lands on its reported deadline', async () => {
    await withSeed(seed, async () => {
      const n = 8;
      const sim = await convergedCluster(n, { seed });
      sim.crash('n5');
      expect(await sim.runUntil(() => eventsAbout(sim, 'fail', 'n5').length === n - 1, 60_000)).toBe(true);
      let confirmed = 0;
      let onDeadline = 0;
      for (const observer of sim.runningNames()) {
        const mine = sim.log.filter((e) => e.node === observer && 'member' in e.event && e.event.member.name === 'n5');
        const suspects = mine.filter((e) => e.event.type === 'suspect');
        const views = mine.filter((e) => e.event.type === 'suspicion').map((e) => ({ time: e.time, view: e.event as SuspicionEvent & { type: 'suspicion' } }));
        const fail = mine.find((e) => e.event.type === 'fail')!;
        if (suspects.length === 0) continue; // a dead message reached it before any suspect
        expect(suspects).toHaveLength(1);
        const accuser = (suspects[0]!.event as { accuser: string }).accuser;
        expect(views.length).toBeGreaterThan(0);
        expect(views[0]!.view).toMatchObject({ accuser, confirmedBy: undefined, confirmations: 0, startedAt: suspects[0]!.time });
        for (let i = 1; i < views.length; i++) {
          const [before, after] = [views[i - 1]!.view, views[i]!.view];
          expect(after.confirmations).toBe(before.confirmations + 1);
          expect(after.deadlineAt).toBeLessThanOrEqual(before.deadlineAt);
          expect(after.confirmedBy).not.toBe(accuser);
          confirmed++;
        }
        for (const { time, view } of views) {
          expect(view.deadlineAt - view.startedAt).toBe(view.timeoutMs);
          expect(view.remainingMs).toBe(Math.max(0, view.deadlineAt - time));
        }
        const last = views.at(-1)!.view;
        // Nothing is declared after the deadline it reported; a dead from a peer may come sooner.
        expect(fail.time).toBeLessThanOrEqual(last.deadlineAt);
        if (fail.time === last.deadlineAt) onDeadline++;
      }
      expect(confirmed).toBeGreaterThan(0);
      expect(onDeadline).toBeGreaterThan(0);
    });
  });
});

describe.each(SEEDS)('name conflicts (seed %i)', (seed) => {
  it('a node started under a live name has join() rejected naming the holder, the seed reports it once, and the holder keeps the name', async () => {
    await withSeed(seed, async () => {
      const sim = await convergedCluster(4, { seed });
      const holder = sim.node('n2').localMember.address;
      const dup = await sim.addNode('dup', { options: { name: 'n2' } });
      const outcome: unknown = await sim.until(
        dup.join([sim.node('n0').localMember.address]).then(
          () => undefined,
          (e: unknown) => e,
        ),
        30_000,
      );
      expect(outcome).toBeInstanceOf(JoinError);
      expect((outcome as JoinError).cause).toBeInstanceOf(NameConflictError);
      expect(((outcome as JoinError).cause as NameConflictError).holder).toBe(holder);
      await sim.runFor(30_000);
      const conflicts = sim.log.filter((e) => e.event.type === 'conflict');
      expect(conflicts.map((e) => e.node)).toEqual(['n0']);
      expect(conflicts[0]!.event).toMatchObject({ existing: { name: 'n2', address: holder }, claimant: { name: 'n2', address: dup.localMember.address } });
      for (const name of ['n0', 'n1', 'n2', 'n3']) {
        expect(sim.node(name).members().find((m) => m.name === 'n2')).toMatchObject({ address: holder, state: 'alive' });
      }
      expect(eventsAbout(sim, 'fail', 'n2').concat(eventsAbout(sim, 'leave', 'n2'))).toEqual([]);
    });
  });
});
