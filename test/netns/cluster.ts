/**
 * An 8-process cluster in the test bed (hearsay agents, or hearsay and Go memberlist peers), and the questions the fault scenarios ask of it:
 * has every view converged, who declared whom failed (and how often), who was suspected.
 * @module
 */
import type { HearsayOptions } from '../../src/index.js';
import type { Bed } from './bed.js';
import { GoProc } from './go-procs.js';
import { NodeProc, type AgentEvent, type BedProc } from './procs.js';

/**
 * Timing for the scenarios: memberlist's LAN preset (`lan`: probes every 1 s, 500 ms ack timeout,
 * suspicion multiplier 4, gossip every 200 ms to 3 nodes, push/pull every 30 s) as it is.
 */
export const TIMING: Partial<HearsayOptions> = { preset: 'lan' };

/** Starts one agent per slot of `bed` (named `n1`…), joins all through `n1`, and waits until all see all alive. */
export async function startCluster(bed: Bed, options: Partial<HearsayOptions> = TIMING): Promise<NodeProc[]> {
  const procs = await Promise.all(bed.nodes.map((slot, i) => NodeProc.start(`n${i + 1}`, slot, options)));
  const seed = procs[0]!.address;
  await Promise.all(procs.slice(1).map((p) => p.request({ cmd: 'join', seeds: [seed] }, 'joined')));
  await waitConverged(procs, procs, 60_000);
  return procs;
}

/**
 * Starts one process per entry of `kinds` in the slots of `bed`, in order: a hearsay agent
 * (`h<slot>`) or a Go memberlist peer (`g<slot>`), with the LAN preset on both sides. All join
 * through the first, and it resolves once every one sees every one alive.
 */
export async function startMixedCluster(bed: Bed, kinds: readonly ('hearsay' | 'go')[]): Promise<BedProc[]> {
  if (kinds.length > bed.nodes.length) throw new RangeError(`${kinds.length} processes for ${bed.nodes.length} slots`);
  const procs = await Promise.all(
    kinds.map((kind, i): Promise<BedProc> => (kind === 'go' ? GoProc.start(`g${i + 1}`, bed.nodes[i]!) : NodeProc.start(`h${i + 1}`, bed.nodes[i]!, TIMING))),
  );
  const seed = procs[0]!.address;
  await Promise.all(procs.slice(1).map((p) => p.join(seed)));
  await waitConverged(procs, procs, 60_000);
  return procs;
}

/**
 * Waits until every responsive process in `observers` lists exactly `members` as alive; rejects
 * after `ms` with every view.
 */
export async function waitConverged(observers: readonly BedProc[], members: readonly BedProc[], ms: number): Promise<void> {
  const want = members.map((p) => p.name).sort().join(' ');
  const deadline = Date.now() + ms;
  for (;;) {
    const views = await Promise.all(observers.filter((p) => p.responsive).map(async (p) => `${p.name}: ${(await p.aliveNames()).join(' ')}`));
    if (views.every((v) => v.slice(v.indexOf(': ') + 2) === want)) return;
    if (Date.now() > deadline) throw new Error(`views did not converge on [${want}] within ${ms} ms:\n  ${views.join('\n  ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Each process's event count now: pass to the queries below to look only at what happens next. */
export function mark(procs: readonly BedProc[]): Map<BedProc, number> {
  return new Map(procs.map((p) => [p, p.events.length]));
}

/** One event as "observer event member @t", for failure messages and reports. */
function describe(p: BedProc, e: AgentEvent): string {
  const detail =
    e.event === 'self:health' ? `${e.previous} → ${e.score}` : e.event === 'self:refute' ? `inc ${e.incarnation} (${String(e.accusation)} by ${String(e.accuser)})` : `${e.member ?? ''}${e.incarnation === undefined ? '' : ` inc ${e.incarnation}`}`;
  return `${p.name} ${e.event} ${detail} @${e.t}`;
}

/**
 * Every `event` (e.g. `fail`, `suspect`) that an observer emitted, since `since`, about a member
 * not in `victims`: a healthy member wrongly accused. The victims' own views count too (a
 * stalled node must not blame its peers either).
 */
export function accusationsOfHealthy(procs: readonly BedProc[], event: 'fail' | 'suspect', victims: readonly BedProc[], since: ReadonlyMap<BedProc, number>): string[] {
  const bad = new Set(victims.map((v) => v.name));
  return procs.flatMap((p) =>
    p.events
      .slice(since.get(p) ?? 0)
      .filter((e) => e.event === event && e.member !== undefined && !bad.has(e.member))
      .map((e) => describe(p, e)),
  );
}

/** How many `fail` events about `victim` each observer (all but the victim) emitted since `since`. */
export function failCounts(observers: readonly BedProc[], victim: BedProc, since: ReadonlyMap<BedProc, number>): Record<string, number> {
  return Object.fromEntries(observers.filter((p) => p !== victim).map((p) => [p.name, p.about('fail', victim.name, since.get(p) ?? 0).length]));
}

/** Resolves once every observer has emitted `fail` about `victim` since `since`; rejects after `ms` with the counts. */
export async function waitAllFailed(observers: readonly BedProc[], victim: BedProc, since: ReadonlyMap<BedProc, number>, ms: number): Promise<void> {
  const others = observers.filter((p) => p !== victim);
  try {
    await Promise.all(others.map((p) => p.waitFor((e) => e.event === 'fail' && e.member === victim.name, ms, `fail of ${victim.name}`, since.get(p) ?? 0)));
  } catch (error) {
    throw new Error(`not every node declared ${victim.name} failed within ${ms} ms: ${JSON.stringify(failCounts(observers, victim, since))}\n${(error as Error).message}`);
  }
}

/** The events of every process since `since` about `member` (or all, when undefined), in time order: a trace for reports. */
export function trace(procs: readonly BedProc[], since: ReadonlyMap<BedProc, number>, member?: string): string[] {
  return procs
    .flatMap((p) => p.events.slice(since.get(p) ?? 0).map((e) => ({ p, e })))
    .filter(({ e }) => e.event !== 'members' && (member === undefined || e.member === member))
    .sort((a, b) => a.e.t - b.e.t)
    .map(({ p, e }) => describe(p, e));
}

/** Waits `ms`: the length of a fault, or an observation window for an absence check (never for an outcome). */
export const hold = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
