/**
 * Where the agent's control endpoint lives by default, and the checks that keep it private to
 * the local user.
 * @module
 */
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './exit.js';

/** Environment variable naming the control socket for every command (overridden by `--rpc-socket`). */
export const ENV_SOCKET = 'HEARSAY_RPC_SOCKET';
/** Environment variable naming a TCP control address (overridden by `--rpc`). */
export const ENV_ADDR = 'HEARSAY_RPC_ADDR';

/**
 * The per-user directory for sockets and token files: `$XDG_RUNTIME_DIR/hearsay` (a tmpfs only
 * the user can enter) when set, else `<tmpdir>/hearsay-<uid>`.
 */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'hearsay');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return join(tmpdir(), `hearsay-${uid}`);
}

/** The default control socket: `<runtimeDir>/agent.sock`. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(runtimeDir(env), 'agent.sock');
}

/** The default token file of a TCP control endpoint on `port`. */
export function defaultTokenPath(port: number, env: NodeJS.ProcessEnv = process.env): string {
  return join(runtimeDir(env), `rpc-${port}.token`);
}

/**
 * Creates the runtime directory with mode 0700, or checks that an existing one belongs to us and
 * lets no one else in: in a shared /tmp another user could otherwise pre-create it and watch or
 * replace our socket.
 * @throws {CliError} when the directory is not private.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new CliError(`${dir} must be a directory owned by you with mode 0700 (it is ${(st.mode & 0o777).toString(8)}); fix it or pass --rpc-socket`, EXIT.failed);
  }
}
