/**
 * The CI-sized fuzz run: 20,000 datagrams and 300 streams from a child process at a live 3-node
 * cluster, through the same entry point as `npm run fuzz` (a child `node` process with
 * `--expose-gc`, so a crash of the target shows as an exit code). The run must pass: no crash,
 * no unhandled rejection, every drop counted under its reason, every stream reaped, member
 * tables unchanged, RSS and heap within their bounds. A second, smaller run sends one forged
 * phantom past the attacker's filter (`--canary`) and must fail on the changed member table, so
 * the judge itself is known to work.
 *
 * A failure prints the seed; `npm run fuzz -- --datagrams 20000 --streams 300 --seed <seed>` replays it.
 * @module
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { seedFromEnv } from '../hostile/bytes.js';
import type { FuzzResult } from './run-fuzz.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs `npm run fuzz`'s entry with `args` (plus `--json`); resolves with its exit code, output and parsed result. */
function fuzz(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; output: string; result: FuzzResult | undefined }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', main, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fuzz run did not finish in ${timeoutMs} ms; output so far:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = output.trim().split('\n').at(-1) ?? '';
      let result: FuzzResult | undefined;
      try {
        result = JSON.parse(last) as FuzzResult;
      } catch {
        result = undefined;
      }
      resolve({ code, output, result });
    });
  });
}

describe('npm run fuzz at CI size', () => {
  it('20,000 datagrams and 300 streams: no crash, every drop counted, every stream reaped, member tables unchanged', async () => {
    const seed = seedFromEnv();
    const { code, output, result } = await fuzz(['--datagrams', '20000', '--streams', '300', '--seed', String(seed)], 170_000);
    const why = `seed ${seed} (replay: npm run fuzz -- --datagrams 20000 --streams 300 --seed ${seed})\n${output}`;
    expect(result, why).toBeDefined();
    expect(result!.failures, why).toEqual([]);
    expect(code, why).toBe(0);
    expect(result!.attack!.datagrams.sent).toBe(20_000);
    expect(result!.attack!.datagrams.lost, why).toBe(0);
    expect(result!.datagramsRead, why).toBe(20_000);
    expect(result!.attack!.streams.total).toBe(300);
    // The mix reached the decoders behind every layer, not just the first check.
    for (const reason of ['label-mismatch', 'crc-mismatch', 'truncated', 'malformed', 'nesting', 'too-large', 'compression', 'unknown-type', 'bad-stream']) {
      expect(result!.drops[reason] ?? 0, `drops{reason=${reason}}\n${why}`).toBeGreaterThan(0);
    }
  }, 180_000);

  it('fails the run when a forged phantom gets into a member table (--canary)', async () => {
    const { code, output, result } = await fuzz(['--datagrams', '2000', '--streams', '20', '--canary'], 110_000);
    expect(code, output).toBe(1);
    expect(result?.failures.some((f) => f.includes('member table changed') && f.includes('fuzz-canary-phantom')), output).toBe(true);
  }, 120_000);
});
