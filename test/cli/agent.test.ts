/**
 * Acceptance for the operator's CLI: three `hearsay agent` processes on 127.0.0.1, driven only
 * through their control sockets. The CLI never joins the cluster, so no agent may ever log an
 * event about a member other than the three.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, hearsay } from './harness.js';

interface MemberOut {
  readonly name: string;
  readonly status: string;
  readonly tags: Record<string, string>;
  readonly delegate: { readonly min: number; readonly max: number; readonly current: number };
  readonly rttMs?: number;
}

describe('hearsay agent + control commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearsay-cli-'));
  const sock = (n: string): string => join(dir, `${n}.sock`);
  const agents: Agent[] = [];
  const names = ['cli-a1', 'cli-a2', 'cli-a3'];
  const members = async (n: string, ...extra: string[]): Promise<MemberOut[]> => {
    const r = await hearsay(['members', '--json', '--rpc-socket', sock(n), ...extra]);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { members: MemberOut[] }).members;
  };

  beforeAll(async () => {
    const first = new Agent(['--name', names[0]!, '--bind', '127.0.0.1:0', '--preset', 'local', '--rpc-socket', sock(names[0]!), '--tag', 'role=web']);
    agents.push(first);
    const started = await first.waitFor((l) => l.msg === 'agent started', 15_000, 'the first agent to start');
    const seed = String(started.fields.address);
    for (const n of names.slice(1)) {
      agents.push(new Agent(['--name', n, '--bind', '127.0.0.1:0', '--preset', 'local', '--rpc-socket', sock(n), '--join', seed, '--tag', 'role=worker']));
    }
    await Promise.all(names.slice(1).map((n) => first.waitEvent('join', n, 15_000)));
  }, 40_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves its control socket with mode 0600', () => {
    expect(statSync(sock(names[0]!)).mode & 0o777).toBe(0o600);
  });

  it('members --json shows the three agents alive, and the CLI never appears as a member', async () => {
    const list = await members(names[0]!);
    expect(list.map((m) => [m.name, m.status])).toEqual(names.map((n) => [n, 'alive']));
    const table = await hearsay(['members', '--rpc-socket', sock(names[0]!), '--tag', 'role=worker']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+ADDRESS\s+STATUS\s+INC\s+TAGS$/);
    expect(table.stdout).toContain('cli-a2');
    expect(table.stdout).not.toContain('cli-a1 ');
    for (const a of agents) expect([...a.eventNames()].every((n) => names.includes(n)), a.dump()).toBe(true);
  });

  it('--serf speaks serf\'s delegate protocol; members --json carries the measured rttMs', async () => {
    // Its own cluster: memberlist's version check keeps serf-delegate and plain nodes apart.
    const serf = new Agent(['--name', 'cli-serf', '--bind', '127.0.0.1:0', '--preset', 'local', '--rpc-socket', sock('cli-serf'), '--serf']);
    agents.push(serf);
    await serf.waitFor((l) => l.msg === 'agent started', 15_000, 'the --serf agent to start');
    expect((await members('cli-serf')).map((m) => [m.name, m.delegate])).toEqual([['cli-serf', { min: 2, max: 5, current: 4 }]]);
    expect((await members(names[0]!)).map((m) => m.delegate)).toEqual(names.map(() => ({ min: 0, max: 0, current: 0 })));
    // a1 probes each peer once a second (local preset): wait, with a deadline, for an RTT.
    const deadline = Date.now() + 15_000;
    let peer: MemberOut | undefined;
    while (Date.now() < deadline && (peer = (await members(names[0]!)).find((m) => m.name === 'cli-a2'))?.rttMs === undefined) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(peer?.rttMs).toBeGreaterThan(0);
    expect(peer?.rttMs).toBeLessThan(15_000);
  });

  it('tags --set reaches the other agents', async () => {
    const r = await hearsay(['tags', '--set', 'zone=b', '--delete', 'role', '--rpc-socket', sock(names[1]!)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('zone=b');
    const changed = (l: { fields: Record<string, unknown> }): boolean => (l.fields.tags as Record<string, string> | undefined)?.zone === 'b';
    await Promise.all([agents[0]!.waitEvent('update', names[1]!, 10_000, changed), agents[2]!.waitEvent('update', names[1]!, 10_000, changed)]);
    const seen = (await members(names[2]!)).find((m) => m.name === names[1]);
    expect(seen?.tags).toEqual({ zone: 'b' });
  });

  it('leave makes the agent leave and exit 0; the others list it as left', async () => {
    const r = await hearsay(['leave', '--rpc-socket', sock(names[2]!)]);
    expect(r.code, r.stderr).toBe(0);
    expect(await agents[2]!.exited).toBe(0);
    await agents[0]!.waitEvent('leave', names[2]!, 10_000);
    const left = await members(names[0]!, '--status', 'left');
    expect(left.map((m) => m.name)).toEqual([names[2]]);
    const alive = await members(names[0]!, '--status', 'alive');
    expect(alive.map((m) => m.name)).toEqual(names.slice(0, 2));
    for (const a of agents) expect([...a.eventNames()].every((n) => names.includes(n)), a.dump()).toBe(true);
  });

  it('an unreachable agent is exit code 3 with one line on stderr', async () => {
    const r = await hearsay(['members', '--rpc-socket', sock(names[2]!)]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no agent at');
  });

  it('an agent-side failure is exit code 1 with one line: join through a dead address', async () => {
    const r = await hearsay(['join', '127.0.0.1:1', '--rpc-socket', sock(names[0]!)]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/could not join through any seed/);
  });
});

describe('hearsay help, version and bad flags', () => {
  it.each([['--help'], ['--version'], ['agent', '--help'], ['members', '--help'], ['join', '--help'], ['leave', '--help'], ['tags', '--help'], ['keys', '--help'], ['monitor', '--help'], ['info', '--help'], ['demo', '--help'], ['simulate', '--help'], ['help', 'keys']])(
    'hearsay %s exits 0 and prints',
    async (...args) => {
      const r = await hearsay(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(10);
    },
  );

  it('--version prints the package version', async () => {
    const r = await hearsay(['--version']);
    expect(r.stdout.trim()).toMatch(/^hearsay \d+\.\d+\.\d+/);
  });

  it.each([
    [['members', '--bogus'], '--bogus', 'is not a flag'],
    [['agent', '--preset', 'fast'], '--preset', 'must be one of lan, wan, local'],
    [['agent', '--bind', 'localhost'], '--bind', 'ip:port'],
    [['agent', '--key', 'c2hvcnQ='], '--key', '16, 24 or 32 bytes'],
    [['agent', '--rpc', '10.0.0.1:7373'], '--rpc', 'loopback'],
    [['members', '--status', 'dying'], '--status', 'must be one of alive, suspect, failed, left'],
    [['tags'], 'tags', '--set'],
    [['keys', '--list', '--use', 'x'], 'keys', 'exactly one'],
    [['nonsense'], '"nonsense"', 'is not a hearsay command'],
  ])('hearsay %j exits 2 naming %s', async (args, flag, rule) => {
    const r = await hearsay(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toContain(rule);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
