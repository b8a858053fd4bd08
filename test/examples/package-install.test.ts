/**
 * Acceptance 4: the package as npm would install it. `npm pack` (which runs `prepare`, so the
 * build is part of the check) is installed into an empty project; there `import`, `require`, the
 * `hearsay` bin, node10 type resolution of `hearsay/testing` (typesVersions) and the shipped
 * source maps must all work. Slow (a build and an install), so bounded generously.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './run.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

describe('the packed package, installed into an empty project', () => {
  const work = mkdtempSync(join(tmpdir(), 'hearsay-pack-'));
  const app = join(work, 'app');
  const installed = join(app, 'node_modules', 'hearsay');
  const node = (dir: string, args: string[]): { code: number | null; out: string } => {
    const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };

  beforeAll(() => {
    const out = execFileSync(NPM, ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
    // `prepare` (the build) prints to stdout first; the JSON report is the tail.
    const packed = JSON.parse(out.slice(out.search(/^\[\s*\{/m))) as { filename: string }[];
    const tarball = join(work, packed[0]!.filename);
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    execFileSync(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
  }, 360_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('import { Hearsay } from "hearsay" works, and a node starts and stops', () => {
    writeFileSync(join(app, 'esm.mjs'), "import { Hearsay, METRIC } from 'hearsay';\nconst n = await Hearsay.start({ name: 'x', bind: '127.0.0.1:0' });\nconsole.log(typeof Hearsay, METRIC.packetsSent, n.localMember.address);\nawait n.shutdown();\n");
    const r = node(app, ['esm.mjs']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^function hearsay_udp_packets_sent_total 127\.0\.0\.1:\d+$/m);
  });

  it('require("hearsay") works', () => {
    writeFileSync(join(app, 'cjs.cjs'), "const { Hearsay, lan } = require('hearsay');\nconsole.log(typeof Hearsay, lan().probeIntervalMs);\n");
    const r = node(app, ['cjs.cjs']);
    expect(r.code, r.out).toBe(0);
    expect(r.out.trim()).toBe('function 1000');
  });

  it('hearsay/testing loads without vitest installed; the bin prints the version', () => {
    writeFileSync(join(app, 'testing.mjs'), "import { MemoryNetwork } from 'hearsay/testing';\nconsole.log(typeof MemoryNetwork);\n");
    expect(node(app, ['testing.mjs']).out.trim()).toBe('function');
    const bin = node(app, [join(app, 'node_modules', '.bin', 'hearsay'), '--version']);
    expect(bin.code, bin.out).toBe(0);
    expect(bin.out.trim()).toBe(`hearsay ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);
  });

  it.each([
    ['node10', ['--module', 'commonjs', '--moduleResolution', 'node10']],
    ['node16', ['--module', 'node16', '--moduleResolution', 'node16']],
    ['bundler', ['--module', 'esnext', '--moduleResolution', 'bundler']],
  ])('types resolve for hearsay and hearsay/testing under moduleResolution %s', (_name, flags) => {
    writeFileSync(join(app, 'types.ts'), "import { Hearsay } from 'hearsay';\nimport { MemoryNetwork } from 'hearsay/testing';\nexport const ok: [typeof Hearsay, typeof MemoryNetwork] = [Hearsay, MemoryNetwork];\n");
    const r = node(app, [TSC, '--noEmit', '--strict', '--skipLibCheck', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), ...flags, 'types.ts']);
    expect(r.code, r.out).toBe(0);
  });

  it('every shipped source map points at files that are shipped', () => {
    const maps: string[] = [];
    const walk = (dir: string): void => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (f.endsWith('.map')) maps.push(p);
      }
    };
    walk(join(installed, 'dist'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
      for (const s of sources) expect(existsSync(resolve(dirname(map), s)), `${map} → ${s}`).toBe(true);
    }
  });
});
