/**
 * The interop availability policy and the Go peer build: whether Go, memberlist's source and serf
 * are installed, and building test/interop/peer offline against them. Free of vitest, so the
 * vs-memberlist bench builds the same peer through {@link ensureGoPeerBuilt}.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const binDir = join(here, 'bin');
/** Where {@link ensureGoPeerBuilt} puts the Go peer (gitignored). */
export const GO_PEER_BIN = join(binDir, 'peer');
const GO_PEER_DIR = join(here, 'peer');
const GOCODE = process.env.GOCODE ?? '/usr/share/gocode';
const BUILD_TIMEOUT_MS = 180_000;

/** True when CI is set (any non-empty value other than "false"/"0"): interop must run, never skip. */
export function inCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

function commandWorks(cmd: string, args: string[]): boolean {
  try {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return r.status === 0;
  } catch {
    return false;
  }
}

/** Why the Go peer cannot be built here, or undefined when the prerequisites are installed. */
function goPrerequisiteProblem(): string | undefined {
  if (!commandWorks(goBinary(), ['version'])) return `no Go toolchain ("${goBinary()} version" failed; apt-get install golang-go)`;
  if (!existsSync(join(GOCODE, 'src/github.com/hashicorp/memberlist/net.go'))) {
    return `no memberlist source under ${GOCODE} (apt-get install golang-github-hashicorp-memberlist-dev)`;
  }
  return undefined;
}

function goBinary(): string {
  return process.env.GO ?? 'go';
}

let buildPromise: Promise<string | undefined> | undefined;
let lastUnavailable = '';

/**
 * Builds the Go peer once (per process) into test/interop/bin/peer, offline, in GOPATH mode
 * against the system memberlist. Rebuilds when a source file of peer/ is newer than the binary. Resolves to
 * the binary path, or `undefined` when Go or memberlist are not installed. A compile error
 * (prerequisites present, build failed) rejects: that is a bug, not a missing dependency.
 */
export function ensureGoPeerBuilt(): Promise<string | undefined> {
  buildPromise ??= buildGoPeer();
  return buildPromise;
}

async function buildGoPeer(): Promise<string | undefined> {
  if (existsSync(GO_PEER_BIN) && statSync(GO_PEER_BIN).mtimeMs >= newestSource()) return GO_PEER_BIN;
  const problem = goPrerequisiteProblem();
  if (problem) {
    lastUnavailable = problem;
    return undefined;
  }
  mkdirSync(binDir, { recursive: true });
  // Vitest runs test files in parallel processes: build to a private name, then rename (atomic).
  const tmp = `${GO_PEER_BIN}.${process.pid}.tmp`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOPATH: GOCODE,
    GO111MODULE: 'off',
    GOFLAGS: '',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  };
  if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = join(binDir, 'gocache');
  const { code, output } = await run(goBinary(), ['build', '-o', tmp, './test/interop/peer'], { cwd: repoRoot, env, timeoutMs: BUILD_TIMEOUT_MS });
  if (code !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`building the Go interop peer failed (exit ${code}):\n${output}`);
  }
  renameSync(tmp, GO_PEER_BIN);
  return GO_PEER_BIN;
}

/** Modification time of the newest `.go` file of the peer (main.go, hooks.go, …), ms. */
function newestSource(): number {
  const files = readdirSync(GO_PEER_DIR).filter((f) => f.endsWith('.go'));
  return Math.max(...files.map((f) => statSync(join(GO_PEER_DIR, f)).mtimeMs));
}

/** Why the Go peer is unavailable, after {@link ensureGoPeerBuilt} resolved `undefined`. */
export function goPeerUnavailableReason(): string {
  return lastUnavailable;
}

/** True when `serf` is on PATH (or $SERF) and runs. */
export function serfAvailable(): boolean {
  return commandWorks(process.env.SERF ?? 'serf', ['version']);
}

/**
 * The interop availability policy. Resolves `true` when everything requested is installed (and
 * the Go peer is built). When something is missing: in CI (`CI` set) it **throws**, so the test
 * file fails instead of silently skipping; locally it logs why and resolves `false` so the file
 * can `describe.skipIf(!ok)`.
 */
export async function requireInterop(needs: { go?: boolean; serf?: boolean } = { go: true }): Promise<boolean> {
  const missing: string[] = [];
  if (needs.go !== false) {
    const bin = await ensureGoPeerBuilt();
    if (!bin) missing.push(lastUnavailable || 'Go peer unavailable');
  }
  if (needs.serf && !serfAvailable()) missing.push('no serf binary (apt-get install serf)');
  if (missing.length === 0) return true;
  const msg = `interop prerequisites missing: ${missing.join('; ')}`;
  if (inCI()) throw new Error(`${msg} — interop tests must run in CI`);
  console.warn(`[interop] skipping: ${msg}`);
  return false;
}
