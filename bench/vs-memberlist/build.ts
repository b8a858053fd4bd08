/**
 * What the bench runs: the Go peer (built by the interop harness's builder, so one recipe builds
 * it) and the hearsay node bundled into one file for plain `node`.
 * @module
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GO_PEER_BIN, ensureGoPeerBuilt, goPeerUnavailableReason } from '../../test/interop/go-build.js';
import { log, name, type Impl } from './config.js';

const CHILD_SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'vs-memberlist-node.ts');

/** Builds test/interop/bin/peer when it is missing or older than its source; throws when Go or memberlist is missing. */
export async function buildGoPeer(): Promise<void> {
  log('checking the Go peer (rebuilt offline, GOPATH mode, when stale)');
  if (!(await ensureGoPeerBuilt())) throw new Error(`cannot build the Go peer: ${goPeerUnavailableReason()}`);
}

/** Bundles the hearsay node into one .mjs so each child is a plain `node` process (no tsx loader). */
export async function bundleChild(dir: string): Promise<string> {
  // esbuild is in node_modules through tsup and tsx (both devDependencies).
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const outfile = join(dir, 'vs-memberlist-node.mjs');
  await esbuild.build({ entryPoints: [CHILD_SRC], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'warning' });
  return outfile;
}

/** The command line that starts node `i` of `impl`. */
export function command(impl: Impl, i: number, childJs: string): [string, string[]] {
  return impl === 'hearsay'
    ? [process.execPath, [childJs, '--name', name(i), '--bind', '127.0.0.1:0', '--preset', 'lan']]
    : [GO_PEER_BIN, ['-name', name(i), '-bind', '127.0.0.1:0', '-preset', 'lan', '-bench']];
}
