/**
 * The bench's tables (per metric, per round, per thread) and the `## hearsay vs memberlist`
 * section it writes into BENCHMARKS.md.
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  CONVERGE_CAP_MS,
  IMPLS,
  JOIN_WAVE,
  JOIN_WAVE_GAP_MS,
  KILLS,
  LEAVES,
  NS,
  PROFILED,
  SETTLE_MS,
  STEADY_MS,
  log,
  repoRoot,
  startedAt,
  type Impl,
} from './config.js';
import { median, secs, type RoundResult } from './results.js';

interface Row {
  label: string;
  unit: string;
  digits: number;
  /** The issue's goal: ratio ≤ 1.0. */
  goal?: boolean;
  /** The figure for one implementation at one N, from all its rounds; `atLeast` when it is a lower bound. */
  value(rounds: RoundResult[]): { v: number | undefined; atLeast?: boolean; count?: number };
}

const fromRounds = (key: keyof RoundResult, scale = 1) => (rounds: RoundResult[]) => {
  const v = median(rounds.map((x) => x[key] as number | undefined));
  return { v: v === undefined ? undefined : v * scale, count: rounds.length };
};
const fromKills = (key: 'suspectMs' | 'allDeadMs' | 'firstDeadMs' | 'suspicionMs') => (rounds: RoundResult[]) => {
  const all = rounds.flatMap((x) => x.kills.map((k) => (key === 'suspicionMs' ? (k.suspectMs === undefined ? undefined : k.firstDeadMs - k.suspectMs) : k[key])));
  const v = median(all);
  return { v: v === undefined ? undefined : v / 1000, count: all.length };
};

const ROWS: Row[] = [
  { label: 'join: half the nodes see all N alive', unit: 's', digits: 2, value: fromRounds('convergeP50Ms', 1e-3) },
  { label: 'join: 90 % of the nodes see all N alive', unit: 's', digits: 2, value: fromRounds('convergeP90Ms', 1e-3) },
  {
    label: 'join convergence: every node sees all N alive',
    unit: 's',
    digits: 2,
    value: (rounds) => ({ ...fromRounds('convergeAllMs', 1e-3)(rounds), atLeast: rounds.some((x) => (x.convergeCapped ?? 0) > 0) }),
  },
  { label: 'join: CPU per node to absorb it (beyond steady state)', unit: 'ms', digits: 0, value: fromRounds('joinCpuMsPerNode') },
  { label: 'steady CPU per node', unit: '% of a core', digits: 2, goal: true, value: fromRounds('cpuPct') },
  { label: 'UDP bytes sent per node', unit: 'B/s', digits: 1, goal: true, value: fromRounds('udpBytesPerS') },
  { label: 'UDP packets sent per node', unit: 'pkt/s', digits: 2, value: fromRounds('udpPacketsPerS') },
  { label: 'TCP bytes per push/pull exchange (both ways)', unit: 'B', digits: 0, goal: true, value: fromRounds('tcpBytesPerExchange') },
  { label: 'RSS per node', unit: 'MiB', digits: 1, value: fromRounds('rssMiB') },
  { label: 'kill → first suspicion anywhere', unit: 's', digits: 2, goal: true, value: fromKills('suspectMs') },
  { label: 'kill → first node declares it dead', unit: 's', digits: 2, value: fromKills('firstDeadMs') },
  { label: 'first suspicion → first dead (suspicion timeout)', unit: 's', digits: 2, value: fromKills('suspicionMs') },
  { label: 'kill → all others declared it dead', unit: 's', digits: 2, goal: true, value: fromKills('allDeadMs') },
  {
    label: 'leave → all others see it left',
    unit: 's',
    digits: 2,
    goal: true,
    value: (rounds) => {
      const all = rounds.flatMap((x) => x.leaves.map((l) => l.allMs));
      const v = median(all);
      return { v: v === undefined ? undefined : v / 1000, count: all.length };
    },
  },
];

/** The main table: every metric at every N, both implementations and their ratio (⚠ above a goal of 1.0). */
export function resultsTable(results: RoundResult[], ns: number[]): string[] {
  const table = ['| N | metric | hearsay | memberlist | hearsay / memberlist |', '|---:|---|---:|---:|---:|'];
  for (const n of ns) {
    for (const row of ROWS) {
      const pick = (impl: Impl) => row.value(results.filter((x) => x.ok && x.impl === impl && x.n === n));
      const h = pick('hearsay');
      const g = pick('memberlist');
      const fmt = (x: ReturnType<Row['value']>) => (x.v === undefined ? '—' : `${x.atLeast ? '≥ ' : ''}${x.v.toFixed(row.digits)}`);
      let ratio = '—';
      if (h.v !== undefined && g.v !== undefined && g.v > 0) {
        const bound = h.atLeast && !g.atLeast ? '≥ ' : g.atLeast && !h.atLeast ? '≤ ' : h.atLeast && g.atLeast ? '? ' : '';
        const r2 = (h.v / g.v).toFixed(2);
        ratio = `${bound}${r2}${row.goal && !bound.startsWith('≤') && Number(r2) > 1 ? ' ⚠' : ''}`;
      }
      table.push(`| ${n} | ${row.label} (${row.unit}) | ${fmt(h)} | ${fmt(g)} | ${ratio} |`);
    }
  }
  return table;
}

/** One row per round, failed ones included, with everything it measured. */
export function perRoundTable(results: RoundResult[]): string[] {
  const f = (v: number | undefined, d: number) => (v === undefined ? '—' : v.toFixed(d));
  return [
    '| # | impl | N | spawn s | join s: p50 / p90 / all · CPU | CPU %: all (user / sys; max node) | UDP B/s | UDP pkt/s | TCP in window: B/s · exch/node/min · B/exchange since join (n) | RSS MiB (max) | steady: suspected / deaths · false deaths in the round | leave s | kills: first suspect / first dead / all dead s | round s |',
    '|---:|---|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---|---:|',
    ...results.map((x, i) => {
      const head = `| ${i + 1} | ${x.impl} | ${x.n} |`;
      if (!x.ok) return `${head} failed: ${x.failure} |||||||||| ${secs(x.durationMs, 0)} |`;
      const join =
        `${secs(x.convergeP50Ms)} / ${secs(x.convergeP90Ms)} / ${x.convergeCapped ? `> ${secs(x.convergeAllMs, 0)} (${x.convergeCapped} short)` : secs(x.convergeAllMs)}` +
        ` · ${f(x.joinCpuMsPerNode, 0)} ms CPU/node, machine ${f(x.joinMachinePct, 0)} %`;
      const kills = x.kills.map((k) => `${secs(k.suspectMs)} / ${secs(k.firstDeadMs)} / ${secs(k.allDeadMs)}`).join('; ');
      const leave = x.leaves.map((l) => `${secs(l.allMs)}${l.sawDead ? ` (${l.sawDead} saw a failure)` : ''}`).join('; ');
      return (
        `${head} ${secs(x.spawnMs, 1)} | ${join} | ${f(x.cpuPct, 2)} (${f(x.cpuUserPct, 2)} / ${f(x.cpuSysPct, 2)}; ${f(x.cpuPctMax, 2)}) | ${f(x.udpBytesPerS, 1)} | ${f(x.udpPacketsPerS, 2)} | ` +
        `${f(x.tcpBytesPerS, 0)} · ${f(x.exchangesPerNodeMin, 2)} · ${f(x.tcpBytesPerExchange, 0)} (${x.tcpExchanges ?? 0}) | ${f(x.rssMiB, 1)} (${f(x.rssMiBMax, 1)}) | ` +
        `${x.steadySuspects} / ${x.steadyDeaths} · ${x.falseDeaths ?? '—'} | ${leave} | ${kills} | ${secs(x.durationMs, 0)} |`
      );
    }),
  ];
}

/** Steady CPU per node split by thread and by user / system time, medians over rounds. */
export function threadTable(results: RoundResult[], ns: number[]): string[] {
  const out = ['| impl | N | CPU % per node | main thread | other threads | user | system |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const n of ns) {
    for (const impl of IMPLS) {
      const rounds = results.filter((x) => x.ok && x.impl === impl && x.n === n);
      if (rounds.length === 0) continue;
      const m = (f: (x: RoundResult) => number | undefined) => {
        const v = median(rounds.map(f));
        return v === undefined ? '—' : v.toFixed(3);
      };
      out.push(
        `| ${impl} | ${n} | ${m((x) => x.cpuPct)} | ${impl === 'memberlist' ? 'n/a (Go schedules goroutines on any thread)' : m((x) => x.cpuMainPct)} | ` +
          `${impl === 'memberlist' ? '' : m((x) => (x.cpuPct ?? 0) - (x.cpuMainPct ?? 0))} | ${m((x) => x.cpuUserPct)} | ${m((x) => x.cpuSysPct)} |`,
      );
    }
  }
  return out;
}

/** The run's tables and facts that go into the BENCHMARKS.md section, beside the settings. */
export interface SectionInput {
  /** `go version`'s answer, without its prefix. */
  readonly goVersion: string;
  /** Rounds per N, and the failures. */
  readonly roundsLine: string;
  readonly table: readonly string[];
  readonly perRound: readonly string[];
  readonly threads: readonly string[];
  /** `summarizeProfiles`'s lines, empty when no profile was taken. */
  readonly profSummary: readonly string[];
  /** The N the profiles were taken at. */
  readonly profN: number;
}

/** Replaces the `## hearsay vs memberlist` section of BENCHMARKS.md (appends it if there is none). */
export function writeBenchmarksSection({ goVersion, roundsLine, table, perRound, threads, profSummary, profN }: SectionInput): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const section = [
    '## hearsay vs memberlist',
    '',
    `Command: \`npm run bench:vs-memberlist\` · ${new Date().toISOString().slice(0, 10)} · Node ${process.version} · memberlist v0.2.2 (Debian) built with ${goVersion} · ` +
      `${cpu}, ${cpus().length} vCPU (shared), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()} · whole run ${((Date.now() - startedAt) / 60000).toFixed(1)} min.`,
    '',
    `Scenario (\`bench/vs-memberlist.ts\`): one OS process per node, all on 127.0.0.1, LAN defaults on both sides (memberlist \`DefaultLANConfig\`, hearsay preset \`'lan'\`; compression on, protocol 2). ` +
      `N = ${NS.join(' and ')}. Rounds alternate hearsay / memberlist. ` +
      `Join: every node but n000 is told to join n000, ${JOIN_WAVE} nodes every ${JOIN_WAVE_GAP_MS} ms (all at once, memberlist's seed refuses push/pulls beyond 128 pending and the refused nodes stay alone); ` +
      `convergence is per node (it sees N−1 peers alive), from the first join command, waited for up to ${CONVERGE_CAP_MS / 1000} s; ` +
      'the join CPU is what all nodes used from the first join command until convergence, minus their steady-state rate, per node. ' +
      `Steady state: a ${STEADY_MS / 1000} s window after ${SETTLE_MS / 1000} s of settling; CPU = time on CPU of all the process's threads from /proc/<pid>/task/*/schedstat (ns; /proc/<pid>/stat's utime+stime count 10 ms ticks), mean per node; RSS from /proc at the end of the window; ` +
      'bytes and packets from counters inside each node (hearsay: its `metrics` counters `hearsay_udp_sent_bytes_total` / `hearsay_udp_packets_sent_total`, plus a counting transport wrapper for TCP; ' +
      'Go: a counting wrapper around memberlist\'s NetTransport, `peer -bench`). ' +
      'TCP is push/pull only, about one exchange per node per scaled interval (60 s at N = 50, 120 s at N = 200), too rare for a 20 s window, so it is given per exchange, counted from convergence to the end of the window (— = no exchange in that span). ' +
      `Then ${LEAVES} nodes leave gracefully and ${KILLS} others are SIGKILLed, one at a time. Times are the nodes' own timestamps. ` +
      'Figures are medians over rounds (leaves and kills: over all of them); ratio = hearsay / memberlist, ⚠ = above the goal of 1.0; "≥" = a lower bound (a node had not converged at the cap).',
    '',
    roundsLine,
    '',
    ...table,
    '',
    'Per round (join CPU: per node beyond steady state, and the whole machine\'s use during the join as % of one core; kills: first suspicion / first dead / all dead, seconds after the SIGKILL):',
    '',
    ...perRound,
    '',
    'Steady CPU per node, split (% of one core; precise per-thread times from /proc/<pid>/task/*/schedstat, the user/system split from /proc/<pid>/stat ticks):',
    '',
    ...threads,
    '',
    ...(profSummary.length > 0
      ? [
          `hearsay CPU profile: V8 sampling profiles (in-process, node:inspector) of ${PROFILED} nodes per hearsay round over the steady window, N=${profN}; ` +
            'these nodes are left out of the CPU mean. Self time; module = the hearsay source file (mapped through the bundle) or Node internal.',
          '',
          ...profSummary,
          '',
        ]
      : []),
  ].join('\n');
  const path = join(repoRoot, 'BENCHMARKS.md');
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# hearsay benchmarks\n';
  const re = /^## hearsay vs memberlist\n[\s\S]*?(?=^## |(?![\s\S]))/m;
  doc = re.test(doc) ? doc.replace(re, `${section}\n`) : `${doc.trimEnd()}\n\n${section}`;
  writeFileSync(path, doc.endsWith('\n') ? doc : `${doc}\n`);
  log(`wrote the "hearsay vs memberlist" section of ${path}`);
}
