/**
 * CPU time and memory of the children, read from /proc (Linux only).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime and stime of a process or thread, seconds, from a /proc …/stat file. */
function readTimes(file: string): { user: number; sys: number; comm: string } | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    const close = stat.lastIndexOf(')');
    const f = stat.slice(close + 2).split(' ');
    // Fields after "(comm)": state is f[0], so utime (field 14) is f[11] and stime (15) f[12].
    return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK, comm: stat.slice(stat.indexOf('(') + 1, close) };
  } catch {
    return undefined;
  }
}

/** utime and stime of `pid` (all threads), seconds. */
export function cpuSeconds(pid: number): { user: number; sys: number } | undefined {
  return readTimes(`/proc/${pid}/stat`);
}

/**
 * CPU time of `pid`, seconds, to the nanosecond: the sum of /proc/<pid>/task/<tid>/schedstat
 * (time on CPU per thread) over its live threads, and the main thread's share. /proc/<pid>/stat
 * counts in 10 ms ticks, too coarse for nodes that use ~2 ms a second each.
 */
export function cpuPrecise(pid: number): { total: number; main: number } | undefined {
  try {
    let total = 0;
    let main = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let ns: number;
      try {
        ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        continue; // the thread just ended
      }
      total += ns / 1e9;
      if (Number(tid) === pid) main = ns / 1e9;
    }
    return { total, main };
  } catch {
    return undefined;
  }
}

/** Resident set size of `pid`, bytes. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
