/**
 * Issue 14, acceptance 3, on real processes: what a Go memberlist peer sees when a partition
 * heals in a mixed cluster, against the same fault among Go peers only. Eight processes in the
 * namespace bed (`bed.ts`), the LAN preset on both sides (memberlist's DefaultLANConfig); one
 * node's cable is pulled for 20 s and plugged back, and every `fail` about a member that never
 * lost contact (a *collateral* death) is counted, per observer, until 30 s after the heal (the
 * maximum suspicion timeout at N = 8 is 6 × 4 × 1 s = 24 s, so every stale suspicion the cut-off
 * node raised has run out by then).
 *
 * 1. **All Go** (baseline): 8 Go peers, one cut off. memberlist applies a `dead` at the current
 *    incarnation whoever sent it, so when a suspicion the cut-off peer raised expires after the
 *    heal, the healthy member it was about dies at the peers that hear the verdict before its
 *    refutation. Reported, and the figure the mixed cases are held to (per Go observer).
 * 2. **Mixed, a hearsay node cut off**: 4 hearsay + 4 Go. Its stale accusations kill nobody, in
 *    the Go peers' views or the hearsay ones' (rules 1–3 of "Partitions heal without collateral
 *    deaths", docs/architecture.md).
 * 3. **Mixed, a Go peer cut off**: hearsay nodes apply none of its verdicts (rule 3), every death
 *    a Go peer sees is one the cut-off peer declared itself, and there are no more per Go observer
 *    than in the baseline. Rule 4 (a member back from dead is asked what it still suspects) gets
 *    its stale suspicions refuted before they expire, so it usually declares nobody.
 *
 * Figures (docs/architecture.md): all Go, collateral deaths over the 7 Go observers in 7 runs:
 * 6, 4, 5, 0, 1, 2, 5. Mixed with a hearsay node cut off: 0 in every run (7). Mixed with a Go
 * peer cut off, before rule 4: 0 and 3 (1 per Go observer, above that run's baseline, 0.57); with
 * it: 0 in every run (4), the cut-off peer declaring nobody.
 *
 * Registered by faults.test.ts inside its own suite ({@link healInteropScenarios}), so these
 * scenarios run one after another with the others, on the same bed: two beds of eight processes
 * at once would overload a two-core CI machine. They need the Go peer's prerequisites
 * (go-build.ts) on top of the bed's: without them they skip with the reason, and in CI (`CI`
 * set) a missing Go fails the file, as every interop test does. `HEARSAY_NETNS_TRACE=1` adds
 * each run's full event trace to its report line.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { setLink, type Bed } from './bed.js';
import { hold, mark, startMixedCluster, trace, waitConverged } from './cluster.js';
import type { BedProc } from './procs.js';

/** How long the cable stays out, ms: long enough for the cut-off node to suspect everyone, and for the others to declare it dead. */
const CUT_MS = 20_000;
/** Observation window after the heal, ms: beyond the maximum suspicion timeout at N = 8 (24 s). */
const AFTER_HEAL_MS = 30_000;

type Kind = 'hearsay' | 'go';
const H: Kind = 'hearsay';
const G: Kind = 'go';

/** What one run saw. */
interface HealRun {
  readonly victim: string;
  /** Collateral `fail` events per observer that stayed connected, by observer name. */
  readonly collateralBy: Record<string, number>;
  /** The same, only the Go observers, per observer (the figure compared across clusters). */
  readonly goPerObserver: number;
  /** Collateral `fail` events in the cut-off node's own view. */
  readonly victimOwn: number;
  /** Members the cut-off node itself declared failed (its own verdicts). */
  readonly victimVerdicts: string[];
  /** Collateral `fail` events as "observer fail member @t", for reports. */
  readonly collateral: string[];
  /** NaN when not waited for. */
  readonly convergedMsAfterHeal: number;
  /** How long starting and converging the cluster took, ms (reported: it is most of the scenario's cost beyond the fault). */
  readonly startMs: number;
  /** The full trace since the cut, for failure messages. */
  readonly trace: string[];
}

/** Observers that never declared the cut-off node failed: empty when the fault took. */
const notDeclaring = (procs: readonly BedProc[], r: HealRun): string[] => procs.filter((p) => p.name !== r.victim && p.about('fail', r.victim).length === 0).map((p) => p.name);

const report = (scenario: string, facts: Record<string, unknown>): void => {
  console.info(`netns heal-interop ${scenario}: ${JSON.stringify(facts)}`);
};

/**
 * Declares the scenarios as a nested suite of the caller's: `bed()` is its bed of 8 slots (created
 * in its `beforeAll`), every process started is added to `pids`, and its `afterEach` stops the
 * processes and plugs the cables back. `goOk`: the Go peer can be built (else the suite skips).
 */
export function healInteropScenarios(bed: () => Bed, pids: number[], goOk: boolean): void {
  describe.skipIf(!goOk)(`partition heal with Go memberlist peers${goOk ? '' : ' (skipped: no Go peer)'}`, () => {
    /** The baseline's figure, for the mixed cases (the tests run in order). */
    let baseline: HealRun | undefined;

    /**
     * Starts `kinds`, pulls the cable of process `victimIndex` for {@link CUT_MS}, plugs it back,
     * and counts collateral deaths until {@link AFTER_HEAL_MS} after the heal. `converge`: also
     * require every view to be whole again within 120 s (not asked of the all-Go baseline, whose
     * cut-off peer may stay out until its next push/pull: that is memberlist's, not under test).
     */
    async function healRun(kinds: readonly Kind[], victimIndex: number, converge = true): Promise<{ procs: BedProc[]; run: HealRun }> {
      const startedAt = Date.now();
      const procs = await startMixedCluster(bed(), kinds);
      const startMs = Date.now() - startedAt;
      pids.push(...procs.map((p) => p.pid));
      const victim = procs[victimIndex]!;
      const since = mark(procs);
      setLink(bed(), victim.slot, false);
      await hold(CUT_MS);
      const healedAt = Date.now();
      setLink(bed(), victim.slot, true);
      if (converge) await waitConverged(procs, procs, 120_000);
      const convergedMsAfterHeal = converge ? Date.now() - healedAt : Number.NaN;
      await hold(Math.max(0, healedAt + AFTER_HEAL_MS - Date.now()));
      const collateralOf = (p: BedProc): string[] =>
        p.events
          .slice(since.get(p))
          .filter((e) => e.event === 'fail' && e.member !== undefined && e.member !== victim.name)
          .map((e) => `${p.name} fail ${e.member ?? ''} inc ${e.incarnation ?? '?'} @${e.t - healedAt} ms after the heal`);
      const observers = procs.filter((p) => p !== victim);
      const goObservers = observers.filter((p) => p.kind === 'go');
      const collateralBy = Object.fromEntries(observers.map((p) => [p.name, collateralOf(p).length]));
      const goTotal = goObservers.reduce((n, p) => n + collateralOf(p).length, 0);
      const run: HealRun = {
        victim: victim.name,
        collateralBy,
        goPerObserver: goObservers.length === 0 ? 0 : goTotal / goObservers.length,
        victimOwn: collateralOf(victim).length,
        victimVerdicts: [...new Set(victim.events.slice(since.get(victim)).flatMap((e) => (e.event === 'fail' && e.member !== undefined ? [e.member] : [])))],
        collateral: observers.flatMap(collateralOf),
        convergedMsAfterHeal,
        startMs,
        trace: trace(procs, since),
      };
      return { procs, run };
    }

    const facts = (r: HealRun): Record<string, unknown> => ({
      victim: r.victim,
      collateralBy: r.collateralBy,
      goPerObserver: r.goPerObserver,
      victimOwn: r.victimOwn,
      victimVerdicts: r.victimVerdicts,
      convergedMsAfterHeal: r.convergedMsAfterHeal,
      startMs: r.startMs,
      collateral: r.collateral,
      ...(process.env.HEARSAY_NETNS_TRACE ? { trace: r.trace.join('\n') } : {}),
    });

    it('baseline, 8 Go peers: one cut off for 20 s; count the collateral deaths the others see', async () => {
      const { procs, run } = await healRun([G, G, G, G, G, G, G, G], 1, false);
      baseline = run;
      expect(notDeclaring(procs, run), 'peers that never declared the cut-off one failed').toEqual([]);
      report('all-go', facts(run));
    }, 240_000);

    it('4 hearsay + 4 Go, a hearsay node cut off for 20 s: no Go peer (and no hearsay node) sees a healthy member die', async () => {
      const { procs, run } = await healRun([H, G, H, G, H, G, H, G], 2);
      report('mixed-hearsay-cut', { ...facts(run), baselineGoPerObserver: baseline?.goPerObserver });
      expect(notDeclaring(procs, run), 'nodes that never declared the cut-off one failed').toEqual([]);
      expect(run.collateral, run.trace.join('\n')).toEqual([]);
      expect(run.victimOwn, 'collateral fail events in the cut-off hearsay node').toBe(0);
    }, 240_000);

    it('4 hearsay + 4 Go, a Go peer cut off for 20 s: hearsay does not amplify its verdicts, and Go peers see no more deaths than among Go peers', async () => {
      const { procs, run } = await healRun([H, G, H, G, H, G, H, G], 1);
      report('mixed-go-cut', { ...facts(run), baselineGoPerObserver: baseline?.goPerObserver });
      expect(notDeclaring(procs, run), 'nodes that never declared the cut-off one failed').toEqual([]);
      const hearsayCollateral = run.collateral.filter((line) => procs.some((p) => p.kind === 'hearsay' && line.startsWith(`${p.name} `)));
      expect(hearsayCollateral, `hearsay nodes applied the cut-off Go peer's verdicts\n${run.trace.join('\n')}`).toEqual([]);
      // Every death a Go peer saw is one the cut-off peer declared itself: none came from hearsay.
      const notItsOwn = run.collateral.filter((line) => !run.victimVerdicts.includes(line.split(' ')[2]!));
      expect(notItsOwn, `deaths the cut-off Go peer never declared\n${run.trace.join('\n')}`).toEqual([]);
      if (baseline !== undefined) expect(run.goPerObserver, 'collateral deaths per Go observer, mixed vs all-Go').toBeLessThanOrEqual(baseline.goPerObserver);
    }, 240_000);
  });
}
