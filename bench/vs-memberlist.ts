/**
 * hearsay vs HashiCorp memberlist, side by side: the same scenario on both implementations, one
 * OS process per node, LAN defaults on both sides (memberlist `DefaultLANConfig`, hearsay preset
 * `'lan'`), everything on 127.0.0.1. Rounds alternate (hearsay, memberlist, hearsay, …) so drift
 * in a shared machine's load hits both. Prints a table and replaces the `## hearsay vs memberlist`
 * section of BENCHMARKS.md.
 *
 * Run: `npm run bench:vs-memberlist` (tsx bench/vs-memberlist.ts), about 13 minutes. Needs `go`
 * and Debian's `golang-github-hashicorp-memberlist-dev` (the Go peer, test/interop/peer, is
 * rebuilt here when stale).
 *
 * One round, for one implementation and N nodes:
 * 1. spawn N nodes (hearsay: `bench/vs-memberlist-node.ts`, bundled once with esbuild and run by
 *    plain `node`; memberlist: `test/interop/bin/peer -bench`), all binding 127.0.0.1:0;
 * 2. join: every node but n000 is told `join <n000>`, in waves of BENCH_JOIN_WAVE every
 *    BENCH_JOIN_WAVE_GAP_MS (all at once, memberlist's seed refuses push/pulls past 128 pending
 *    and the refused nodes stay alone). **Join convergence** is per node: the moment it sees N−1
 *    peers alive, minus the first join command; reported at 50 %, 90 % and 100 % of the nodes;
 * 3. settle, then a **steady window**: CPU = time on CPU of every thread of the process
 *    (/proc/<pid>/task/<tid>/schedstat, ns; the user/system split from /proc/<pid>/stat ticks),
 *    RSS from /proc/<pid>/status, bytes and packets sent from counters inside each node (hearsay:
 *    the `metrics` counters `hearsay_udp_packets_sent_total` / `hearsay_udp_sent_bytes_total`, plus a counting
 *    transport wrapper for TCP; Go: a counting wrapper around memberlist's NetTransport). On
 *    hearsay rounds PROFILED nodes run an in-process V8 CPU profile over the window (they are left
 *    out of the CPU mean) and the bench prints where their JavaScript time went;
 * 4. **leave**: BENCH_LEAVES nodes leave gracefully, one at a time; each: time until every other
 *    node reports it left;
 * 5. **kill**: BENCH_KILLS other nodes are SIGKILLed, one at a time; each: time to the **first
 *    suspicion anywhere**, to the first and to the last survivor declaring it dead. Then 5 s more,
 *    and the round's **false deaths**: `fail` reports about nodes neither killed nor leaving,
 *    from the steady window on.
 * Event times are the nodes' own wall-clock stamps (`ts`), so reading 200 pipes late does not
 * inflate them. A suspicion on the Go side is memberlist's "Suspect X has failed" log line
 * (v0.2.2 has no suspect callback): only the prober writes it, and the prober is the first node
 * to suspect anyway, so "first suspicion anywhere" means the same thing on both sides.
 *
 * Environment: BENCH_N ("50,200"), BENCH_IMPLS ("hearsay,memberlist"), BENCH_STEADY_S (20),
 * BENCH_SETTLE_S (10), BENCH_LEAVES (3), BENCH_KILLS (3), BENCH_JOIN_WAVE (20),
 * BENCH_JOIN_WAVE_GAP_MS (200), BENCH_CONVERGE_CAP_S (75: after that the round goes on if 90 %
 * converged, and the figure is a lower bound), BENCH_BUDGET_S (780: no round starts after this,
 * and a repeat pass only if it fits), BENCH_HARD_LIMIT_S (870: every wait fails past this),
 * BENCH_PROFILE (1), BENCH_WRITE (1: update BENCHMARKS.md), BENCH_SPAWN_CONCURRENCY (16),
 * BENCH_DEBUG (name the peers a node is missing while it converges).
 * Every child is tracked and SIGKILLed on exit, error or signal; children also exit when their
 * stdin closes, so a dead bench cannot leave nodes behind.
 *
 * Layout (bench/vs-memberlist/): `config.ts` the settings above and the run's clock, `build.ts`
 * the Go peer and the bundled hearsay node, `nodes.ts` the child processes, `proc.ts` CPU and
 * memory from /proc, `round.ts` one round, `results.ts` what a round measures, `profile.ts` the
 * CPU profile summary, `report.ts` the tables and the BENCHMARKS.md section; the hearsay node
 * itself is `bench/vs-memberlist-node.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGoPeer, bundleChild } from './vs-memberlist/build.js';
import {
  BUDGET_MS,
  CONVERGE_CAP_MS,
  HARD_DEADLINE,
  HARD_LIMIT_MS,
  IMPLS,
  KILLS,
  LEAVES,
  NS,
  PROFILE,
  SETTLE_MS,
  STEADY_MS,
  WRITE,
  log,
  repoRoot,
  startedAt,
  type Impl,
} from './vs-memberlist/config.js';
import { killAll, killChildrenOnExit } from './vs-memberlist/nodes.js';
import { summarizeProfiles } from './vs-memberlist/profile.js';
import { perRoundTable, resultsTable, threadTable, writeBenchmarksSection } from './vs-memberlist/report.js';
import type { RoundResult } from './vs-memberlist/results.js';
import { runRound } from './vs-memberlist/round.js';

killChildrenOnExit();

async function main(): Promise<void> {
  if (NS.length === 0) throw new Error('BENCH_N names no N ≥ 5');
  await buildGoPeer();
  const work = mkdtempSync(join(tmpdir(), 'hearsay-vs-memberlist-'));
  const profDir = join(repoRoot, 'bench', '.profiles');
  if (PROFILE) {
    mkdirSync(profDir, { recursive: true });
    for (const f of readdirSync(profDir)) if (f.endsWith('.cpuprofile')) rmSync(join(profDir, f));
  }
  const childJs = await bundleChild(work);
  const goVersion = spawnSync(process.env.GO ?? 'go', ['version'], { encoding: 'utf8' }).stdout.trim().replace(/^go version /, '');
  log(
    `N = ${NS.join(', ')}; ${IMPLS.join(' / ')} alternating; steady window ${STEADY_MS / 1000} s after ${SETTLE_MS / 1000} s settling; ` +
      `${KILLS} kill(s) per round; join waited for up to ${CONVERGE_CAP_MS / 1000} s; no new round after ${BUDGET_MS / 1000} s, nothing after ${HARD_LIMIT_MS / 1000} s`,
  );

  const results: RoundResult[] = [];
  const durations = new Map<string, number>();
  for (let pass = 1; pass <= 10; pass++) {
    let ranAny = false;
    for (const n of NS) {
      if (results.some((x) => x.n === n && !x.ok)) continue; // an N that failed once is not retried
      // Start a pass only if all of its rounds, at their last durations, still fit in the budget.
      const estimate = pass === 1 ? 0 : 1.1 * IMPLS.reduce((sum, impl) => sum + (durations.get(`${impl}/${n}`) ?? Infinity), 0);
      if (pass > 1 && Date.now() - startedAt + estimate > BUDGET_MS) continue;
      if (Date.now() - startedAt > BUDGET_MS) continue;
      for (const impl of IMPLS) {
        if (Date.now() >= HARD_DEADLINE) break;
        const r = await runRound(impl, n, childJs, profDir, pass);
        if (!r.aborted) results.push(r);
        durations.set(`${impl}/${n}`, r.durationMs);
        ranAny = true;
      }
    }
    if (!ranAny) break;
  }

  const table = resultsTable(results, NS);
  const roundsLine = NS.map((n) => {
    const ok = (impl: Impl) => results.filter((x) => x.ok && x.impl === impl && x.n === n).length;
    const failed = results.filter((x) => !x.ok && x.n === n);
    return `N=${n}: ${ok('hearsay')} hearsay + ${ok('memberlist')} memberlist round(s), ${LEAVES} leaves and ${KILLS} kills each${failed.length ? `; failed: ${failed.map((x) => `${x.impl} (${x.failure})`).join('; ')}` : ''}`;
  }).join(' · ');
  const perRound = perRoundTable(results);
  const threads = threadTable(results, NS);
  console.log(`\n${table.join('\n')}\n\n${roundsLine}\n\n${perRound.join('\n')}\n\n${threads.join('\n')}`);

  // ---- profile of the largest N that has one
  const profiles = results.filter((x) => x.impl === 'hearsay' && x.ok).flatMap((x) => x.profiles.map((file) => ({ n: x.n, file })));
  const profN = Math.max(...profiles.map((p) => p.n));
  const profSummary = profiles.length > 0 ? summarizeProfiles(profiles.filter((p) => p.n === profN).map((p) => p.file), childJs) : [];
  if (profSummary.length > 0) console.log(`\nhearsay CPU profile, steady window, N=${profN}:\n${profSummary.join('\n')}`);
  rmSync(work, { recursive: true, force: true });

  if (!WRITE) return;  writeBenchmarksSection({ goVersion, roundsLine, table, perRound, threads, profSummary, profN });
}

try {
  await main();
} catch (error) {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  killAll();
}
