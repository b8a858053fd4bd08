/**
 * One round: N nodes of one implementation spawned, joined, measured in a steady window, then
 * some leave and some are killed.
 * @module
 */
import { join } from 'node:path';
import { waitUntil } from '../../src/testing/wait.js';
import {
  CONVERGE_CAP_MS,
  HARD_DEADLINE,
  JOIN_WAVE,
  JOIN_WAVE_GAP_MS,
  KILLS,
  LEAVES,
  PROFILED,
  PROFILE_INTERVAL_US,
  SETTLE_MS,
  SPAWN_CONCURRENCY,
  STEADY_MS,
  log,
  sleep,
  type Impl,
} from './config.js';
import { command } from './build.js';
import { Cluster, Node, type Departure } from './nodes.js';
import { cpuPrecise, cpuSeconds, rssBytes } from './proc.js';
import { mean, secs, type Kill, type Leave, type RoundResult } from './results.js';

/** The shared wait, every 100 ms, cut short by the run's hard time limit (the error then says so). */
function waitInRun(pred: () => boolean, timeoutMs: number, what: string): Promise<unknown> {
  const left = Math.max(0, HARD_DEADLINE - Date.now());
  const capped = left < timeoutMs;
  return waitUntil(pred, capped ? left : timeoutMs, capped ? `${what}, within the run's time limit` : what, { pollMs: 100 });
}

interface Counters {
  ts: number;
  udpPacketsSent: number;
  udpBytesSent: number;
  tcpBytesSent: number;
  tcpDials: number;
}

interface Snapshot {
  at: number;
  /** Per node: precise CPU seconds (all threads, main thread) and tick-based user / system seconds. */
  cpu: Map<string, { total: number; main: number; user: number; sys: number }>;
  stats: Map<string, Counters>;
}

async function snapshot(nodes: Node[]): Promise<Snapshot> {
  const replies = nodes.map((x) => x.request('stats', 'stats'));
  const at = Date.now();
  const cpu: Snapshot['cpu'] = new Map();
  for (const x of nodes) {
    const ticks = cpuSeconds(x.pid);
    const precise = cpuPrecise(x.pid);
    if (ticks && precise) cpu.set(x.name, { ...precise, user: ticks.user, sys: ticks.sys });
  }
  const stats = new Map<string, Counters>();
  (await Promise.all(replies)).forEach((r, i) =>
    stats.set(nodes[i]!.name, {
      ts: Number(r.ts),
      udpPacketsSent: Number(r.udpPacketsSent ?? 0),
      udpBytesSent: Number(r.udpBytesSent ?? 0),
      tcpBytesSent: Number(r.tcpBytesSent ?? 0),
      tcpDials: Number(r.tcpDials ?? 0),
    }),
  );
  return { at, cpu, stats };
}

/** Node indexes of the leavers and the kill victims, spread over the cluster (n000 is the seed; 1…PROFILED are profiled before). */
function roles(n: number): { leavers: number[]; victims: number[] } {
  const all = Array.from({ length: LEAVES + KILLS }, (_, j) => Math.floor((n * (j + 1)) / (LEAVES + KILLS + 1)));
  return { leavers: all.slice(0, LEAVES), victims: all.slice(LEAVES) };
}

/** Runs one round; a failure is recorded in the result (`ok: false`), never thrown. */
export async function runRound(impl: Impl, n: number, childJs: string, profDir: string, roundNo: number): Promise<RoundResult> {
  const t = Date.now();
  const c = new Cluster(impl, n);
  const r: RoundResult = { impl, n, ok: false, leaves: [], kills: [], durationMs: 0, profiles: [] };
  log(`${impl} N=${n}: spawning`);
  try {
    // 1. spawn, SPAWN_CONCURRENCY at a time (a burst of 200 Node start-ups starves the first ones)
    let next = 0;
    const spawnOne = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        const [cmd, args] = command(impl, i, childJs);
        const node = new Node(c, i, cmd, args);
        c.nodes[i] = node;
        await Promise.race([node.ready, sleep(60_000).then(() => Promise.reject(new Error(`${node.name} not ready in 60 s`)))]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SPAWN_CONCURRENCY, n) }, spawnOne));
    r.spawnMs = Date.now() - t;
    log(`${impl} N=${n}: ${n} nodes up in ${secs(r.spawnMs, 1)} s`);
    await sleep(1000);

    // 2. join everyone to n000
    const seed = c.nodes[0]!;
    const cpuAtJoin = c.nodes.map((x) => cpuPrecise(x.pid)?.total ?? 0);
    const t0 = Date.now();
    for (let i = 1; i < n; i += JOIN_WAVE) {
      if (i > 1) await sleep(JOIN_WAVE_GAP_MS);
      for (const x of c.nodes.slice(i, i + JOIN_WAVE)) x.send(`join ${seed.addr}`);
    }
    let lastReport = Date.now();
    const allConverged = () => c.nodes.every((x) => x.convergedAt !== undefined);
    try {
      await waitInRun(
        () => {
          if (Date.now() - lastReport >= 10_000) {
            lastReport = Date.now();
            const done = c.nodes.filter((x) => x.convergedAt !== undefined).length;
            log(`${impl} N=${n}: ${done}/${n} nodes see everyone; fewest peers seen: ${Math.min(...c.nodes.map((x) => x.alive.size))} of ${n - 1}`);
            if (process.env.BENCH_DEBUG) {
              for (const x of c.nodes.filter((y) => y.convergedAt === undefined)) {
                log(`  ${x.name} misses ${c.nodes.filter((y) => y !== x && !x.alive.has(y.name)).map((y) => y.name).join(' ')}`);
              }
            }
          }
          return allConverged();
        },
        CONVERGE_CAP_MS,
        `all ${n} nodes to see ${n - 1} peers alive`,
      );
    } catch (error) {
      if (Date.now() >= HARD_DEADLINE || c.nodes.filter((x) => x.convergedAt !== undefined).length < n * 0.9) throw error;
    }
    const joinWall = (Date.now() - t0) / 1000;
    const joinCpu = c.nodes.reduce((sum, x, i) => sum + (cpuPrecise(x.pid)?.total ?? 0) - cpuAtJoin[i]!, 0);
    const perNode = c.nodes.map((x) => (x.convergedAt === undefined ? Infinity : x.convergedAt - t0)).sort((a, b) => a - b);
    const q = (f: number) => perNode[Math.min(n - 1, Math.ceil(f * n) - 1)]!;
    r.convergeP50Ms = q(0.5);
    r.convergeP90Ms = q(0.9);
    r.convergeCapped = c.nodes.filter((x) => x.convergedAt === undefined).length;
    r.convergeAllMs = r.convergeCapped > 0 ? CONVERGE_CAP_MS : q(1);
    log(
      `${impl} N=${n}: join: half the nodes saw everyone after ${secs(r.convergeP50Ms)} s, 90 % after ${secs(r.convergeP90Ms)} s, ` +
        (r.convergeCapped > 0 ? `${r.convergeCapped} node(s) still missing peers at the ${CONVERGE_CAP_MS / 1000} s cap` : `all after ${secs(r.convergeAllMs)} s`),
    );

    // 3. steady state (counters read once more here: push/pull bytes per exchange are taken from now on, for more exchanges)
    const afterJoin = await snapshot(c.nodes);
    await sleep(SETTLE_MS);
    const profiled = impl === 'hearsay' ? c.nodes.slice(1, 1 + PROFILED) : [];
    await Promise.all(profiled.map((x) => x.request(`prof-start ${PROFILE_INTERVAL_US}`, 'profiling')));
    const suspectsBefore = c.suspects.length;
    const departuresBefore = c.departures.length;
    const a = await snapshot(c.nodes);
    await sleep(STEADY_MS);
    const b = await snapshot(c.nodes);
    r.steadySuspects = new Set(c.suspects.slice(suspectsBefore).map((x) => x.name)).size;
    r.steadyDeaths = c.departures.length - departuresBefore;
    for (const [k, x] of profiled.entries()) {
      const file = join(profDir, `${impl}-n${n}-r${roundNo}-${x.name}.cpuprofile`);
      await x.request(`prof-stop ${file}`, 'profile', 30_000);
      r.profiles.push(file);
      if (k === 0) log(`${impl} N=${n}: profiles written to ${profDir}`);
    }
    const wall = (b.at - a.at) / 1000;
    const measured = c.nodes.filter((x) => !profiled.includes(x) && a.cpu.has(x.name) && b.cpu.has(x.name));
    const pct = (x: Node, part: 'total' | 'main' | 'user' | 'sys') => ((b.cpu.get(x.name)![part] - a.cpu.get(x.name)![part]) / wall) * 100;
    const cpuPcts = measured.map((x) => pct(x, 'total'));
    r.cpuPct = mean(cpuPcts);
    r.cpuPctMax = Math.max(...cpuPcts);
    r.cpuMainPct = mean(measured.map((x) => pct(x, 'main')));
    // The tick counts only split the precise total into user and system.
    const ticks = measured.reduce((sum, x) => sum + pct(x, 'user') + pct(x, 'sys'), 0);
    const userShare = ticks > 0 ? measured.reduce((sum, x) => sum + pct(x, 'user'), 0) / ticks : 0;
    r.cpuUserPct = r.cpuPct * userShare;
    r.cpuSysPct = r.cpuPct * (1 - userShare);
    // What absorbing the join cost beyond the steady-state rate measured just now, per node.
    r.joinCpuMsPerNode = ((joinCpu - (r.cpuPct / 100) * joinWall * n) / n) * 1000;
    r.joinMachinePct = (joinCpu / joinWall) * 100;
    const delta = (x: Node, field: Exclude<keyof Counters, 'ts'>) => b.stats.get(x.name)![field] - a.stats.get(x.name)![field];
    const perSec = (x: Node) => (b.stats.get(x.name)!.ts - a.stats.get(x.name)!.ts) / 1000;
    r.udpBytesPerS = mean(c.nodes.map((x) => delta(x, 'udpBytesSent') / perSec(x)));
    r.udpPacketsPerS = mean(c.nodes.map((x) => delta(x, 'udpPacketsSent') / perSec(x)));
    r.tcpBytesPerS = mean(c.nodes.map((x) => delta(x, 'tcpBytesSent') / perSec(x)));
    const dials = c.nodes.reduce((sum, x) => sum + delta(x, 'tcpDials'), 0);
    r.exchangesPerNodeMin = (dials / n / wall) * 60;
    const since = (x: Node, field: 'tcpDials' | 'tcpBytesSent') => b.stats.get(x.name)![field] - afterJoin.stats.get(x.name)![field];
    const exchanges = c.nodes.reduce((sum, x) => sum + since(x, 'tcpDials'), 0);
    if (exchanges > 0) r.tcpBytesPerExchange = c.nodes.reduce((sum, x) => sum + since(x, 'tcpBytesSent'), 0) / exchanges;
    r.tcpExchanges = exchanges;
    const rss = c.nodes.map((x) => rssBytes(x.pid)).filter((v): v is number => v !== undefined).map((v) => v / 2 ** 20);
    r.rssMiB = mean(rss);
    r.rssMiBMax = Math.max(...rss);
    log(`${impl} N=${n}: the join used ${r.joinMachinePct.toFixed(0)} % of a core (all nodes) for ${joinWall.toFixed(1)} s: ${r.joinCpuMsPerNode.toFixed(0)} ms per node beyond steady state`);
    log(
      `${impl} N=${n}: steady ${wall.toFixed(1)} s: CPU ${r.cpuPct.toFixed(2)} %/node (user ${r.cpuUserPct.toFixed(2)}, sys ${r.cpuSysPct.toFixed(2)}; max ${r.cpuPctMax.toFixed(2)}; ` +
        `main thread ${r.cpuMainPct.toFixed(2)}), ` +
        `UDP ${r.udpBytesPerS.toFixed(0)} B/s ${r.udpPacketsPerS.toFixed(2)} pkt/s, TCP ${r.tcpBytesPerS.toFixed(0)} B/s (${dials} exchanges, ` +
        `${r.tcpBytesPerExchange?.toFixed(0) ?? '—'} B each over ${r.tcpExchanges} since convergence), RSS ${r.rssMiB.toFixed(1)} MiB; suspected ${r.steadySuspects} node(s), ${r.steadyDeaths} death(s)`,
    );

    // 4. graceful leaves, one node at a time
    const { leavers, victims: vi } = roles(n);
    const gone: Node[] = [];
    const watchers = () => c.nodes.filter((x) => !gone.includes(x) && !x.exited);
    const heardOf = (who: Node, since: number) => {
      const seen = new Map<string, Departure>();
      for (const d of c.departures) if (d.name === who.name && d.ts >= since && !seen.has(d.observer)) seen.set(d.observer, d);
      return seen;
    };
    for (const li of leavers) {
      const leaver = c.nodes[li]!;
      gone.push(leaver);
      const leaveWatchers = watchers();
      const tL = Date.now();
      // leave() resolves once its broadcast went out its full count (or after 5 s): shut down only then.
      const left = leaver.request('leave 5000', 'left', 20_000).catch(() => undefined);
      await waitInRun(() => leaveWatchers.every((x) => heardOf(leaver, tL).has(x.name)), 60_000, `everyone to see ${leaver.name} leave`);
      const leaves = [...heardOf(leaver, tL).values()];
      const leave: Leave = { leaver: leaver.name, allMs: Math.max(...leaves.map((d) => d.ts)) - tL, sawDead: leaves.filter((d) => d.state !== 3).length };
      r.leaves.push(leave);
      log(`${impl} N=${n}: ${leaver.name}'s leave seen by all in ${secs(leave.allMs)} s (${leave.sawDead} saw it as a failure)`);
      await left;
      await leaver.request('shutdown', 'shutdown', 10_000).catch(() => leaver.proc.kill('SIGKILL'));
      await leaver.stop(2000);
      await sleep(1000);
    }

    // 5. SIGKILL, one node at a time
    const maxSuspicionMs = 6 * 4 * Math.max(1, Math.log10(n)) * 1000;
    for (const v of vi) {
      await sleep(1500);
      const victim = c.nodes[v]!;
      const tK = Date.now();
      victim.proc.kill('SIGKILL');
      gone.push(victim);
      const killWatchers = watchers();
      await waitInRun(() => killWatchers.every((x) => heardOf(victim, tK).has(x.name)), maxSuspicionMs + 45_000, `everyone to declare ${victim.name} dead`);
      const deaths = [...heardOf(victim, tK).values()];
      const suspicions = c.suspects.filter((x) => x.name === victim.name && x.ts >= tK);
      const kill: Kill = {
        victim: victim.name,
        suspectMs: suspicions.length > 0 ? Math.min(...suspicions.map((x) => x.ts)) - tK : undefined,
        firstDeadMs: Math.min(...deaths.map((d) => d.ts)) - tK,
        allDeadMs: Math.max(...deaths.map((d) => d.ts)) - tK,
        sawLeft: deaths.filter((d) => d.state === 3).length,
      };
      r.kills.push(kill);
      log(`${impl} N=${n}: kill ${victim.name} → first suspect ${secs(kill.suspectMs)} s, first dead ${secs(kill.firstDeadMs)} s, all dead ${secs(kill.allDeadMs)} s`);
    }
    // Late verdicts count too: a faster detection must not buy its speed with false deaths.
    await sleep(5000);
    const goneNames = new Set(gone.map((x) => x.name));
    r.falseDeaths = c.departures.slice(departuresBefore).filter((d) => d.state === 2 && !goneNames.has(d.name)).length;
    log(`${impl} N=${n}: ${r.falseDeaths} false death(s) (fail about a node neither killed nor leaving) since the steady window`);
    r.ok = true;
  } catch (error) {
    r.failure = error instanceof Error ? error.message : String(error);
    r.aborted = Date.now() >= HARD_DEADLINE;
    log(`${impl} N=${n}: ${r.aborted ? 'ABORTED (time limit)' : 'FAILED'}: ${r.failure}`);
    const dead = c.nodes.find((x) => x?.exited);
    if (dead) log(`  e.g. ${dead.name} exited; stderr: ${dead.tail()}`);
  } finally {
    const errors = c.errors.filter((e) => !/AbortError/.test(e));
    if (errors.length > 0) log(`${impl} N=${n}: ${errors.length} error report(s), first: ${errors.slice(0, 3).join(' | ')}`);
    await Promise.all(c.nodes.filter(Boolean).map((x) => x.stop()));
    r.durationMs = Date.now() - t;
    log(`${impl} N=${n}: round took ${secs(r.durationMs, 0)} s`);
  }
  return r;
}
