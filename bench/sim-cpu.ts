/**
 * CPU time of the simulator at steady state, for A/B comparisons of two trees on a busy machine
 * (CPU time is disturbed less than wall time by other work):
 *
 *   node --expose-gc --max-semi-space-size=64 --import tsx bench/sim-cpu.ts N PUSHPULL WARM_S WINDOW_S [PROFILE]
 *
 * N nodes converged by `bootstrapConverged` (seed 1, event log off), push/pull on (1) or off (0),
 * WARM_S simulated seconds of warm-up, then WINDOW_S simulated seconds measured with
 * `process.cpuUsage` (user + system, all threads). Prints one JSON line: CPU and wall seconds,
 * simulated s per CPU s and per wall s, heap in use at the end, the converged start's wall time.
 * With PROFILE, also writes a V8 CPU profile of the window there and prints its top self times.
 */
import { writeFileSync } from 'node:fs';
import { Simulator } from '../src/testing/simulator.js';
import { topSelfTime } from './sim-steady.js';

interface ProfilerSession {
  connect(): void;
  post(method: string, params?: object): Promise<unknown>;
}

const [n, pushPull, warmS, windowS, profilePath] = [Number(process.argv[2] ?? 1000), process.argv[3] !== '0', Number(process.argv[4] ?? 30), Number(process.argv[5] ?? 60), process.argv[6]];
const sim = new Simulator({ seed: 1, recordLog: false, ...(pushPull ? {} : { protocol: { pushPullIntervalMs: 0 } }) });
let t = performance.now();
for (let i = 0; i < n; i++) await sim.addNode(`n${i}`);
sim.bootstrapConverged();
const bootWall = (performance.now() - t) / 1000;
await sim.runFor(warmS * 1000);
let session: ProfilerSession | undefined;
if (profilePath !== undefined) {
  const { Session } = (await import('node:inspector/promises')) as unknown as { Session: new () => ProfilerSession };
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}
const cpu0 = process.cpuUsage();
t = performance.now();
await sim.runFor(windowS * 1000);
const c = process.cpuUsage(cpu0);
const wall = (performance.now() - t) / 1000;
const cpu = (c.user + c.system) / 1e6;
const r = { n, pushPull, bootWall: +bootWall.toFixed(1), cpu: +cpu.toFixed(2), wall: +wall.toFixed(2), simPerCpu: +(windowS / cpu).toFixed(2), simPerWall: +(windowS / wall).toFixed(2), heapMB: Math.round(process.memoryUsage().heapUsed / 1e6) };
console.log(JSON.stringify(r));
if (session !== undefined && profilePath !== undefined) {
  const { profile } = (await session.post('Profiler.stop')) as { profile: Parameters<typeof topSelfTime>[0] };
  writeFileSync(profilePath, JSON.stringify(profile));
  for (const e of topSelfTime(profile, 30)) console.log(`${e.ms.toFixed(0).padStart(6)} ${e.pct.toFixed(1).padStart(5)} ${e.fn} ${e.file} <- ${e.caller} ${e.callerPct.toFixed(0)}`);
}
