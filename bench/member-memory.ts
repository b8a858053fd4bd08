/**
 * Heap per member entry (issue 12, Build 1 / Acceptance 4) and the simulator's speed, for A/B runs.
 *
 * Run with a full GC available, e.g.
 *   node --expose-gc --import tsx bench/member-memory.ts --core 10000 --sim 1000 --sim-seconds 120
 *
 * - `--core N`: one core learns N members, each from its own push/pull message with arrays of its
 *   own (as decoded from separate packets), every member tagged `{role, dc}` like a serf cluster;
 *   then settles its gossip queue (as once the alives have spread), builds one push/pull (so each entry holds what a steady-state sender keeps) and is asked
 *   for `members()` once. Per entry = (heap after − heap of the started core) / N.
 * - `--sim N`: the simulator with N nodes converged by `bootstrapConverged`, run `--sim-seconds`
 *   of virtual time (past every node's first push/pull); per entry = (heap then − heap of N
 *   started, unjoined nodes) / N², as bench/sim-steady.ts. Also prints the CPU seconds of the
 *   run's last `--window` virtual seconds (default 60; user + system), for speed A/B against
 *   another checkout. With `--storm`, the cluster converges through a real join storm
 *   (sim-common.ts `joinStorm`) instead, so state changes carry fractional packet-arrival times, as
 *   in a real cluster; `--sim-seconds` then counts from the end of the storm.
 * Heap after two full GCs (`heapUsed`); without `--expose-gc` the figures are meaningless.
 */
import { Core } from '../src/core/core.js';
import { AccumulatingEffects } from '../src/core/effects.js';
import { seededRandom } from '../src/core/random.js';
import { lan } from '../src/options.js';
import { heapUsed } from '../src/testing/observer.js';
import { Simulator } from '../src/testing/simulator.js';
import { encodeStreamMessage } from '../src/wire/stream.js';
import { encodeTags } from '../src/wire/tags.js';
import { joinStorm, nodeNames } from './sim-common.js';

function option(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : Number(process.argv[i + 1]);
}

function coreFigure(n: number): Core {
  const vsn = (): Uint8Array => Uint8Array.of(1, 5, 5, 2, 5, 4);
  const ip = (i: number): Uint8Array => Uint8Array.of(10, (i >> 16) & 255, (i >> 8) & 255, i & 255);
  const core = new Core({ ...lan(), name: 'self', advertiseAddr: ip(0), advertisePort: 7946, meta: new Uint8Array(0), vsn: vsn(), protocolVersion: 5 }, seededRandom(1));
  const fx = new AccumulatingEffects();
  core.start(0, fx);
  fx.drain();
  const before = heapUsed();
  for (let i = 1; i <= n; i++) {
    const node = { name: `node-${i}.dc1.example`, addr: ip(i), port: 7946, meta: encodeTags({ role: i % 3 === 0 ? 'db' : 'web', dc: 'dc1' }), incarnation: 1, state: 0 as const, vsn: vsn() };
    core.mergeRemoteState(1, { type: 'push-pull', join: false, nodes: [node], userState: new Uint8Array(0) }, fx);
    fx.drain();
  }
  // Where a node is once gossip has spread: the alives queued for rebroadcast are sent.
  core.settleGossip();
  encodeStreamMessage(core.localState(false), { compress: false, labelPreamble: false });
  core.members();
  const after = heapUsed();
  console.log(`core N=${n}: ${((after - before) / n).toFixed(1)} B per member entry (${((after - before) / 1e6).toFixed(1)} MB)`);
  return core;
}

async function simFigure(n: number, seconds: number, windowS: number, storm: boolean): Promise<void> {
  const heap0 = heapUsed();
  const sim = new Simulator({ seed: 1, recordLog: false });
  for (const name of nodeNames(n)) await sim.addNode(name);
  const heap1 = heapUsed();
  if (storm) await joinStorm(sim, n, () => undefined);
  else sim.bootstrapConverged();
  await sim.runFor((seconds - windowS) * 1000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sim.runFor(windowS * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  const heap2 = heapUsed();
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(
    `sim N=${n}${storm ? ' (join storm)' : ''}: ${((heap2 - heap1) / (n * n)).toFixed(1)} B per member entry; idle node ${((heap1 - heap0) / n / 1024).toFixed(1)} KiB; ` +
      `heap ${((heap2 - heap0) / 1e6).toFixed(0)} MB; last ${windowS} sim s: ${cpuS.toFixed(2)} CPU s, ${wall.toFixed(2)} wall s (${(windowS / cpuS).toFixed(1)} sim s / CPU s)`,
  );
}

const coreN = option('core');
const simN = option('sim');
/** The measured core, kept reachable for a heap snapshot taken after this script. */
export const measured = coreN === undefined ? undefined : coreFigure(coreN);
if (simN !== undefined) await simFigure(simN, option('sim-seconds') ?? 120, option('window') ?? 60, process.argv.includes('--storm'));
