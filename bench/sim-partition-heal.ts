/**
 * Partitions that heal: collateral `fail` events, and detection of a real crash.
 *
 * Per scenario and seed: a converged cluster (bootstrapConverged), 10 s of steady state, then a cut
 * (`sim.network.partition`) that lasts `cutMs`, then `afterMs` (60 s) of healed network. A `fail`
 * event is *collateral* when its observer and the member it is about were on the same side of the
 * cut: they never lost contact, so the verdict came from someone else's isolation. `fail` events
 * across the cut are the partition's own verdicts (counted as `across`). The run goes on past
 * `afterMs` until every node sees every member alive again (`mergedAfterMs`, from the heal) and,
 * with a crash, every survivor has declared it failed, up to 150 s after the heal (one push/pull
 * interval at N = 100, 90 s, plus the 48 s maximum suspicion); collateral is counted all along.
 *
 * Scenarios (the issue's, plus the split):
 * - `one-of-6`: N = 6, one node cut off for 20 s;
 * - `one-of-100`: N = 100, one node cut off for 20 s;
 * - `ten-of-100`: N = 100, ten nodes cut off together for 30 s;
 * - `half-of-100`: N = 100, a 50/50 split for 60 s;
 * - `crash-during-cut`: N = 100, one node cut off for 20 s while another crashes 5 s into the cut:
 *   every survivor, the cut-off node included, must still declare the crashed one failed.
 *
 * `detection` (optional): crash detection at N = 100 with no partition, as `sim-detection.ts`.
 *
 * Before/after: run it on the commit before a change and on the change
 * (`tsx bench/sim-partition-heal.ts --json '{"seeds":10,"detectionSeeds":10}'`; the table goes to
 * stderr, the JSON result to stdout).
 */
import { quantile, sorted } from '../src/testing/observer.js';
import { runDetection, type DetectionResult } from './sim-detection.js';
import { bootstrappedCluster, fix, int, nodeNames, progress, runIfMain, setProgressLabel, stopwatch, table } from './sim-common.js';

/** The scenarios, by name. */
export const SCENARIOS = {
  'one-of-6': { n: 6, cut: 1, cutMs: 20_000 },
  'one-of-100': { n: 100, cut: 1, cutMs: 20_000 },
  'ten-of-100': { n: 100, cut: 10, cutMs: 30_000 },
  'half-of-100': { n: 100, cut: 50, cutMs: 60_000 },
  'crash-during-cut': { n: 100, cut: 1, cutMs: 20_000, crash: true },
} as const satisfies Record<string, { n: number; cut: number; cutMs: number; crash?: boolean }>;

export type ScenarioName = keyof typeof SCENARIOS;

/** Harder cuts (docs/architecture.md weighs the rules on these too): `harder: true` runs them after the scenarios. */
export const HARDER_CUTS: Readonly<Record<string, CutSpec>> = {
  'one-of-100 5 s': { n: 100, cut: 1, cutMs: 5_000 },
  'one-of-100 90 s': { n: 100, cut: 1, cutMs: 90_000 },
  'ten-of-100 8 s': { n: 100, cut: 10, cutMs: 8_000 },
  'ten-of-100 90 s': { n: 100, cut: 10, cutMs: 90_000 },
  'one-of-100 20 s, 10 % loss': { n: 100, cut: 1, cutMs: 20_000, loss: 0.1 },
  'ten-of-100 30 s, 10 % loss': { n: 100, cut: 10, cutMs: 30_000, loss: 0.1 },
  'two-of-20 20 s': { n: 20, cut: 2, cutMs: 20_000 },
};

export interface PartitionHealParams {
  /** Scenarios to run (default: all). */
  readonly scenarios?: readonly ScenarioName[];
  /** Seeds 1…seeds per scenario. */
  readonly seeds: number;
  /** Healed time after the cut, virtual ms (default 60 s). */
  readonly afterMs?: number;
  /** Also run {@link HARDER_CUTS}, with the same seeds. */
  readonly harder?: boolean;
  /** Also measure crash detection at N = 100 (`sim-detection.ts`) with this many seeds × 5 crashes. */
  readonly detectionSeeds?: number;
}

/** One scenario run. */
export interface SeedOutcome {
  readonly seed: number;
  /** `fail` events whose observer and member were on the same side. */
  readonly collateral: number;
  /** `fail` events across the cut (the partition's own verdicts). */
  readonly across: number;
  /** `self:isolated` events (cut-off nodes that noticed). */
  readonly isolations: number;
  /** Ms from the heal until every node saw every running member alive (`null`: not within 150 s). */
  readonly mergedAfterMs: number | null;
  /** crash-during-cut: ms from the crash until every survivor had declared it failed (`null`: not all did). */
  readonly crashAllFailMs?: number | null;
}

export interface PartitionHealResult extends PartitionHealParams {
  readonly runs: Readonly<Record<string, readonly SeedOutcome[]>>;
  readonly detection?: DetectionResult;
  readonly wallSeconds: number;
}

/** A cut: `cut` of `n` nodes cut off together for `cutMs`; with `crash`, n1 crashes 5 s into the cut. */
export interface CutSpec {
  readonly n: number;
  readonly cut: number;
  readonly cutMs: number;
  readonly crash?: boolean;
  /** Datagram loss on every link, 0–1 (default 0). */
  readonly loss?: number;
}

/** Runs one scenario on one seed. */
export async function runScenario(name: ScenarioName, seed: number, afterMs = 60_000, quiet = false): Promise<SeedOutcome> {
  return runCut(name, SCENARIOS[name], seed, afterMs, quiet);
}

/** Longest run after the heal, virtual ms. */
const AFTER_CAP_MS = 150_000;

/** Runs one cut on one seed. */
export async function runCut(name: string, s: CutSpec, seed: number, afterMs = 60_000, quiet = false): Promise<SeedOutcome> {
  const sim = await bootstrappedCluster(s.n, { seed, network: { loss: s.loss ?? 0 } });
  const names = nodeNames(s.n);
  // The cut-off side is the last `cut` names; the crash victim (if any) is on the big side.
  const cutSide = new Set(names.slice(s.n - s.cut));
  const victim = s.crash === true ? 'n1' : undefined;
  const side = (node: string): number => (cutSide.has(node) ? 1 : 0);
  let collateral = 0;
  let across = 0;
  let isolations = 0;
  const victimFails = new Map<string, number>();
  const off = sim.onEvent((e) => {
    if (e.event.type !== 'fail') return;
    const member = e.event.member.name;
    if (member === victim) {
      if (!victimFails.has(e.node)) victimFails.set(e.node, e.time);
      return;
    }
    if (side(e.node) === side(member)) collateral++;
    else across++;
  });
  for (const n of names) sim.node(n).on('self:isolated', () => isolations++);
  await sim.runFor(10_000);
  const address = new Map(sim.nodeInfo().map((i) => [i.name, i.address]));
  sim.network.partition([names.filter((x) => !cutSide.has(x)).map((x) => address.get(x)!), [...cutSide].map((x) => address.get(x)!)]);
  let crashedAt = Number.NaN;
  if (victim !== undefined) {
    sim.at(sim.now + 5_000, () => {
      crashedAt = sim.now;
      sim.crash(victim);
    });
  }
  await sim.runFor(s.cutMs);
  sim.network.heal();
  const healedAt = sim.now;
  const running = sim.runningNames().filter((x) => x !== victim);
  const merged = (): boolean => running.every((n) => running.every((m) => sim.node(n).members().find((x) => x.name === m)?.state === 'alive'));
  const crashDone = (): boolean => running.every((x) => victimFails.has(x));
  let mergedAt: number | undefined;
  // The cut-off node learns of a crash only after the heal, from a push/pull at the latest, where a
  // remote death is a local suspicion at the maximum timeout: hence the cap.
  await sim.runUntil(
    () => {
      if (mergedAt === undefined && merged()) mergedAt = sim.now;
      return sim.now >= healedAt + afterMs && mergedAt !== undefined && (victim === undefined || crashDone());
    },
    AFTER_CAP_MS,
    500,
  );
  off();
  const mergedAfterMs = mergedAt === undefined ? null : mergedAt - healedAt;
  let crashAllFailMs: number | null | undefined;
  if (victim !== undefined) crashAllFailMs = crashDone() ? Math.max(...running.map((x) => victimFails.get(x)!)) - crashedAt : null;
  if (!quiet) progress(`${name} seed ${seed}: collateral ${collateral}, across ${across}, merged after ${mergedAfterMs} ms`, true);
  return { seed, collateral, across, isolations, mergedAfterMs, ...(crashAllFailMs !== undefined ? { crashAllFailMs } : {}) };
}

export async function runPartitionHeal(p: PartitionHealParams): Promise<PartitionHealResult> {
  setProgressLabel('partition heal');
  const wall = stopwatch();
  const runs: Record<string, SeedOutcome[]> = {};
  for (const name of p.scenarios ?? (Object.keys(SCENARIOS) as ScenarioName[])) {
    runs[name] = [];
    for (let seed = 1; seed <= p.seeds; seed++) runs[name].push(await runScenario(name, seed, p.afterMs));
  }
  for (const [name, spec] of p.harder === true ? Object.entries(HARDER_CUTS) : []) {
    runs[name] = [];
    for (let seed = 1; seed <= p.seeds; seed++) runs[name].push(await runCut(name, spec, seed, p.afterMs));
  }
  const detection = p.detectionSeeds !== undefined && p.detectionSeeds > 0 ? await runDetection({ n: 100, seeds: p.detectionSeeds, crashes: 5 }) : undefined;
  return { ...p, runs, ...(detection !== undefined ? { detection } : {}), wallSeconds: wall() };
}

export function renderPartitionHeal(r: PartitionHealResult): string {
  const rows = Object.entries(r.runs).map(([name, outcomes]) => {
    const crash = outcomes.filter((o) => o.crashAllFailMs !== undefined);
    const crashCell = crash.length === 0 ? '—' : crash.map((o) => (o.crashAllFailMs == null ? 'missed' : fix(o.crashAllFailMs / 1000, 1))).join(', ');
    return [
      name,
      String(outcomes.length),
      outcomes.map((o) => int(o.collateral)).join(', '),
      outcomes.map((o) => int(o.across)).join(', '),
      outcomes.map((o) => (o.mergedAfterMs === null ? 'no' : fix(o.mergedAfterMs / 1000, 1))).join(', '),
      outcomes.map((o) => String(o.isolations)).join(', '),
      crashCell,
    ];
  });
  let out = table(['scenario', 'seeds', 'collateral fail events per seed', 'fails across the cut', 'one view again after the heal, s', 'self:isolated events', 'crash: all fail after, s'], 'lrrrrrr', rows);
  if (r.detection !== undefined) {
    const cell = (xs: readonly (number | null)[]): string => {
      const ok = sorted(xs.filter((x): x is number => x !== null));
      return `${fix((quantile(ok, 0.5) ?? NaN) / 1000, 2)} / ${fix((quantile(ok, 0.99) ?? NaN) / 1000, 2)} s${ok.length < xs.length ? ` (${xs.length - ok.length} missed)` : ''}`;
    };
    const d = r.detection;
    out += `\n\ncrash detection, N = 100, no partition, ${d.allFail.length} crashes (median / p99): first suspect ${cell(d.firstSuspect)}, first fail ${cell(d.firstFail)}, all fail ${cell(d.allFail)}`;
  }
  return out;
}

/** For a quick look from a shell: `tsx bench/sim-partition-heal.ts --json '{"seeds":5}'` prints the table on stderr too. */
export function reportToStderr(r: PartitionHealResult): PartitionHealResult {
  process.stderr.write(`${renderPartitionHeal(r)}\n`);
  return r;
}

runIfMain(import.meta.url, async (p: PartitionHealParams) => reportToStderr(await runPartitionHeal(p)));

