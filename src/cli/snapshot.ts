/**
 * `--snapshot FILE`: the agent remembers the members it last saw and, after a restart, joins
 * them again (serf's snapshot and `-rejoin`). A graceful leave is remembered too, so a node that
 * left on purpose stays out unless started with `--rejoin`.
 * @module
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { MemberSnapshot } from '../events.js';
import { UsageError } from './exit.js';

/** What the snapshot file holds (JSON). */
export interface SnapshotFile {
  readonly version: 1;
  /** The agent's node name when it was written. */
  readonly node: string;
  /** True once the agent left gracefully. */
  readonly left: boolean;
  /** Alive and suspect peers, self excluded. */
  readonly members: readonly { readonly name: string; readonly address: string }[];
  readonly updated: string;
}

/** Reads a snapshot; `undefined` when the file does not exist. @throws {UsageError} when it exists but is not a snapshot. */
export function readSnapshot(path: string): SnapshotFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError('--snapshot', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let raw: Partial<SnapshotFile>;
  try {
    raw = JSON.parse(text) as Partial<SnapshotFile>;
  } catch {
    throw new UsageError('--snapshot', `${path} is not a hearsay snapshot (not JSON); move it away or pick another file`);
  }
  if (raw.version !== 1 || !Array.isArray(raw.members)) throw new UsageError('--snapshot', `${path} is not a version-1 hearsay snapshot`);
  return raw as SnapshotFile;
}

/**
 * Keeps the snapshot file in step with the member table. Writes are coalesced (a burst of joins
 * is one write) and atomic (write a temporary file, then rename), so a crash mid-write leaves
 * the previous snapshot intact.
 */
export class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private left = false;

  constructor(
    private readonly path: string,
    private readonly self: string,
    private readonly members: () => readonly MemberSnapshot[],
    private readonly onError: (error: Error) => void,
    private readonly delayMs = 250,
  ) {}

  /** Schedules a write soon. */
  touch(): void {
    this.timer ??= setTimeout(() => this.flush(), this.delayMs).unref();
  }

  /** Records a graceful leave and writes at once. */
  markLeft(): void {
    this.left = true;
    this.flush();
  }

  /** Writes now (pending writes included). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const file: SnapshotFile = {
      version: 1,
      node: this.self,
      left: this.left,
      members: this.members()
        .filter((m) => m.name !== this.self && (m.state === 'alive' || m.state === 'suspect'))
        .map((m) => ({ name: m.name, address: m.address })),
      updated: new Date().toISOString(),
    };
    try {
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** The addresses to rejoin after a restart: none after a graceful leave unless `rejoin`. */
export function rejoinAddresses(snapshot: SnapshotFile | undefined, rejoin: boolean): string[] {
  if (!snapshot || (snapshot.left && !rejoin)) return [];
  return snapshot.members.map((m) => m.address);
}
