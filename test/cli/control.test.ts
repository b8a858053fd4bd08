/**
 * The control endpoint's other faces: loopback TCP guarded by a token file, the local keyring
 * commands and the keyring file, `monitor` streaming, `--snapshot` rejoining after a crash, and
 * a duplicate `--name` refused.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, hearsay, ROOT } from './harness.js';

const K1 = Buffer.alloc(16, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'hearsay-ctl-'));
const agents: Agent[] = [];
function agent(args: string[]): Agent {
  const a = new Agent(args);
  agents.push(a);
  return a;
}
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a TCP control endpoint', () => {
  it('writes a 0600 token file and answers only requests that carry the token', async () => {
    const tokenFile = join(dir, 'tcp.token');
    const a = agent(['--name', 'tcp-a', '--bind', '127.0.0.1:0', '--rpc', '127.0.0.1:0', '--rpc-token-file', tokenFile]);
    const started = await a.waitFor((l) => l.msg === 'agent started', 15_000, 'start');
    const rpc = String(started.fields.rpc);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);

    const ok = await hearsay(['members', '--json', '--rpc', rpc, '--rpc-token-file', tokenFile]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).members[0].name).toBe('tcp-a');

    const wrong = join(dir, 'wrong.token');
    writeFileSync(wrong, 'not-the-token');
    const refused = await hearsay(['members', '--rpc', rpc, '--rpc-token-file', wrong]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('token');

    // A raw client without a token gets the refusal, not the member list.
    const port = Number(rpc.split(':')[1]);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write(`${JSON.stringify({ v: 1, id: 7, command: 'members' })}\n`));
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('close', () => resolve(text));
      s.on('error', reject);
      setTimeout(() => s.destroy(), 5000);
    });
    expect(JSON.parse(reply.split('\n')[0]!)).toMatchObject({ id: 7, ok: false, error: { code: 'unauthorized' } });
  }, 40_000);
});

describe('keys and monitor', () => {
  it('rotates the local keyring, saves it to the keyring file, and streams the changes to monitor', async () => {
    const sock = join(dir, 'keys.sock');
    const keyring = join(dir, 'keyring.json');
    const a = agent(['--name', 'keys-a', '--bind', '127.0.0.1:0', '--rpc-socket', sock, '--key', K1, '--keyring-file', keyring]);
    await a.waitFor((l) => l.msg === 'agent started', 15_000, 'start');
    expect(JSON.parse(readFileSync(keyring, 'utf8'))).toEqual([K1]);

    const mon = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'monitor', '--json', '--rpc-socket', sock], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let monOut = '';
    const monExit = new Promise<number | null>((resolve) => mon.on('exit', resolve));
    mon.stdout.on('data', (d: Buffer) => (monOut += d.toString()));
    try {
      // Keep changing the ring until monitor has reported a change (it may still be connecting).
      const keysJson = async (...args: string[]): Promise<{ key: string; primary: boolean }[]> => {
        const r = await hearsay(['keys', '--json', '--rpc-socket', sock, ...args]);
        expect(r.code, r.stderr).toBe(0);
        return (JSON.parse(r.stdout) as { keys: { key: string; primary: boolean }[] }).keys;
      };
      expect(await keysJson('--install', K2)).toEqual([{ key: K1, primary: true }, { key: K2, primary: false }]);
      expect(await keysJson('--use', K2)).toEqual([{ key: K2, primary: true }, { key: K1, primary: false }]);
      expect(await keysJson('--remove', K1)).toEqual([{ key: K2, primary: true }]);
      expect(JSON.parse(readFileSync(keyring, 'utf8'))).toEqual([K2]);

      const primary = await hearsay(['keys', '--remove', K2, '--rpc-socket', sock]);
      expect(primary.code).toBe(1);
      expect(primary.stderr).toMatch(/primary/);

      const deadline = Date.now() + 10_000;
      while (!monOut.includes('"tags changed"')) {
        if (Date.now() > deadline) throw new Error(`monitor printed no tags change:\n${monOut}`);
        const t = await hearsay(['tags', '--set', `n=${Date.now()}`, '--rpc-socket', sock]);
        expect(t.code).toBe(0);
      }
      const line = monOut.split('\n').find((l) => l.includes('"tags changed"'))!;
      expect(JSON.parse(line)).toMatchObject({ level: 'info', msg: 'tags changed' });
    } finally {
      mon.kill('SIGTERM');
    }
    expect(await monExit).toBe(0);
  }, 60_000);

  it('refuses key commands on an agent without encryption, in one line', async () => {
    const sock = join(dir, 'plain.sock');
    const a = agent(['--name', 'plain-a', '--bind', '127.0.0.1:0', '--rpc-socket', sock]);
    await a.waitFor((l) => l.msg === 'agent started', 15_000, 'start');
    const r = await hearsay(['keys', '--list', '--rpc-socket', sock]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^hearsay keys: encryption is off on this agent/);
  }, 30_000);
});

describe('--snapshot', () => {
  it('rejoins the remembered members after a crash, with no --join', async () => {
    const snapshot = join(dir, 'b.snapshot');
    const a = agent(['--name', 'snap-a', '--bind', '127.0.0.1:0', '--preset', 'local', '--rpc-socket', join(dir, 'snap-a.sock')]);
    const seed = String((await a.waitFor((l) => l.msg === 'agent started', 15_000, 'a start')).fields.address);
    const b1 = agent(['--name', 'snap-b', '--bind', '127.0.0.1:0', '--preset', 'local', '--rpc-socket', join(dir, 'snap-b.sock'), '--join', seed, '--snapshot', snapshot]);
    const bAddress = String((await b1.waitFor((l) => l.msg === 'agent started', 15_000, 'b start')).fields.address);
    await b1.waitEvent('join', 'snap-a', 10_000);
    const wroteA = await (async () => {
      const deadline = Date.now() + 5000;
      for (;;) {
        try {
          if (JSON.parse(readFileSync(snapshot, 'utf8')).members.some((m: { name: string }) => m.name === 'snap-a')) return true;
        } catch {
          // not written yet
        }
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    expect(wroteA, 'snapshot lists snap-a').toBe(true);

    b1.child.kill('SIGKILL');
    await b1.exited;
    const b2 = agent(['--name', 'snap-b', '--bind', bAddress, '--preset', 'local', '--rpc-socket', join(dir, 'snap-b.sock'), '--snapshot', snapshot]);
    await b2.waitFor((l) => l.msg === 'rejoined members from the snapshot', 15_000, 'the rejoin');
    const r = await hearsay(['members', '--json', '--status', 'alive', '--rpc-socket', join(dir, 'snap-b.sock')]);
    expect(JSON.parse(r.stdout).members.map((m: { name: string }) => m.name)).toEqual(['snap-a', 'snap-b']);

    // A graceful leave is remembered: the next start does not rejoin.
    const left = await hearsay(['leave', '--rpc-socket', join(dir, 'snap-b.sock')]);
    expect(left.code).toBe(0);
    await b2.exited;
    expect(JSON.parse(readFileSync(snapshot, 'utf8')).left).toBe(true);
    const b3 = agent(['--name', 'snap-b', '--bind', bAddress, '--preset', 'local', '--rpc-socket', join(dir, 'snap-b.sock'), '--snapshot', snapshot]);
    await b3.waitFor((l) => /not rejoining/.test(l.msg), 15_000, 'the refusal to rejoin');
  }, 60_000);
});

describe('a duplicate --name', () => {
  it('makes the second agent exit 1, naming the member that holds the name', async () => {
    const a = agent(['--name', 'dup', '--bind', '127.0.0.1:0', '--rpc-socket', join(dir, 'dup-a.sock')]);
    const seed = String((await a.waitFor((l) => l.msg === 'agent started', 15_000, 'start')).fields.address);
    const r = await hearsay(['agent', '--name', 'dup', '--bind', '127.0.0.1:0', '--rpc-socket', join(dir, 'dup-b.sock'), '--join', seed]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`hearsay agent: the name "dup" is already taken by the member at ${seed}; pick another --name`);
  }, 30_000);
});

describe('--config', () => {
  it('takes settings from a JSON file, flags winning, and library options under "options"', async () => {
    const file = join(dir, 'agent.json');
    const sock = join(dir, 'cfg.sock');
    writeFileSync(file, JSON.stringify({ name: 'from-file', bind: '127.0.0.1:0', tags: { role: 'db', zone: 'a' }, 'rpc-socket': sock, options: { probeIntervalMs: 700, metricLabels: { node: 'cfg' } } }));
    const a = agent(['--config', file, '--tag', 'zone=b']);
    await a.waitFor((l) => l.msg === 'agent started', 15_000, 'start');
    const info = await hearsay(['info', '--json', '--rpc-socket', sock]);
    expect(info.code, info.stderr).toBe(0);
    const parsed = JSON.parse(info.stdout) as { node: { name: string; tags: Record<string, string> }; protocol: { probeIntervalMs: number } };
    expect(parsed.node).toMatchObject({ name: 'from-file', tags: { role: 'db', zone: 'b' } });
    expect(parsed.protocol.probeIntervalMs).toBe(700);
  }, 30_000);

  it.each([
    [{ nmae: 'typo' }, 'config key "nmae"', 'is unknown'],
    [{ options: { probeTimeoutMs: 5000 } }, 'config key "options.probeTimeoutMs"', 'must be less than probeIntervalMs'],
    [{ options: { logger: {} } }, 'config key "options.logger"', 'not settable here'],
    [{ tags: ['role=db'] }, 'config key "tags"', 'object of string values'],
  ])('refuses %j with exit 2, naming the key', async (content, key, rule) => {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ bind: '127.0.0.1:0', 'rpc-socket': join(dir, 'bad.sock'), ...content }));
    const r = await hearsay(['agent', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(key);
    expect(r.stderr).toContain(rule);
  }, 30_000);
});
