/**
 * examples/join-serf.ts against a real `serf agent` (Debian's serf, installed by .ci/run).
 * Skipped, with a note, where serf is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runExample } from './run.js';

const hasSerf = spawnSync('sh', ['-c', 'command -v serf'], { stdio: 'ignore' }).status === 0;
if (!hasSerf) console.warn('examples/join-serf.ts: serf is not installed (apt-get install serf), so its test is skipped');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function serf(args: string[], timeoutMs = 10_000): { code: number | null; stdout: string } {
  const r = spawnSync('serf', args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout ?? '' };
}

interface SerfMember {
  readonly name: string;
  readonly status: string;
  readonly tags: Record<string, string>;
}

describe('examples/join-serf.ts', () => {
  it.skipIf(!hasSerf)('joins a serf agent and sees its tags; serf lists the node with its tags, then left', async () => {
    const bind = `127.0.0.1:${await freePort()}`;
    const rpc = `127.0.0.1:${await freePort()}`;
    const agent = spawn('serf', ['agent', '-node', 'serf-1', '-bind', bind, '-rpc-addr', rpc, '-profile', 'local', '-tag', 'role=db'], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => agent.on('exit', () => resolve()));
    try {
      const deadline = Date.now() + 15_000;
      while (serf(['members', '-rpc-addr', rpc], 3000).code !== 0) {
        if (Date.now() > deadline || agent.exitCode !== null) throw new Error('serf agent did not start');
        await new Promise((r) => setTimeout(r, 200));
      }
      const r = await runExample('join-serf.ts', ['--serf', bind]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^member serf-1 127\.0\.0\.1:\d+ alive \{"role":"db"\}$/m);
      expect(r.stdout).toContain('left');

      // serf accepted the node (it has its serf-encoded tags) and shows its leave as a leave: the
      // example leaves with delegateProtocol 'serf', which sends serf's own leave intent first.
      const until = Date.now() + 10_000;
      let me: SerfMember | undefined;
      for (;;) {
        const members = (JSON.parse(serf(['members', '-format', 'json', '-rpc-addr', rpc]).stdout) as { members: SerfMember[] }).members;
        me = members.find((m) => m.name === 'hearsay-1');
        if ((me && (me.status === 'left' || me.status === 'failed')) || Date.now() > until) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(me?.tags).toEqual({ role: 'hearsay' });
      expect(me?.status).toBe('left');
    } finally {
      agent.kill('SIGKILL');
      await exited;
    }
  }, 60_000);
});
