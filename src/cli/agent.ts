/**
 * `hearsay agent`: runs one node, prints its events, and serves the control endpoint the other
 * commands talk to. Stops on SIGINT/SIGTERM (graceful leave, then shutdown) or after `hearsay leave`.
 * @module
 */
import { renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hearsay } from '../hearsay.js';
import type { HearsayOptions } from '../options.js';
import { agentConfig, readKeyringFile, type AgentConfig } from './agent-config.js';
import { agentHandler, allMembers } from './agent-handlers.js';
import { AgentLog } from './agent-log.js';
import { CliError, EXIT, UsageError, type ExitCode } from './exit.js';
import { ensurePrivateDir, runtimeDir } from './paths.js';
import { RpcServer } from './rpc-server.js';
import { readSnapshot, rejoinAddresses, SnapshotWriter } from './snapshot.js';

const MEMBER_EVENTS = ['join', 'update', 'suspect', 'alive', 'fail', 'leave'] as const;

function writeKeyringFile(path: string, keys: readonly Uint8Array[]): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(keys.map((k) => Buffer.from(k).toString('base64')), null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** The keyring: the file's keys (primary first) plus `--key`s; a missing file is created from `--key`. */
function loadKeys(cfg: AgentConfig): readonly Uint8Array[] {
  if (!cfg.keyringFile) return cfg.keys;
  const fromFile = readKeyringFile(cfg.keyringFile);
  if (fromFile) return [...fromFile, ...cfg.keys];
  if (cfg.keys.length === 0) throw new UsageError('--keyring-file', `${cfg.keyringFile} does not exist; pass --key once to create it`);
  writeKeyringFile(cfg.keyringFile, cfg.keys);
  return cfg.keys;
}

async function startNode(cfg: AgentConfig, log: AgentLog, keys: readonly Uint8Array[]): Promise<Hearsay> {
  const options: HearsayOptions = {
    ...cfg.options,
    name: cfg.name,
    bind: cfg.bind,
    ...(cfg.advertise ? { advertise: cfg.advertise } : {}),
    metadata: cfg.tags,
    preset: cfg.preset,
    ...(keys.length > 0 ? { secretKeys: keys } : {}),
    ...(cfg.label ? { label: cfg.label } : {}),
    ...(cfg.serf ? { delegateProtocol: 'serf' as const } : {}),
    logger: log,
  };
  try {
    return await Hearsay.start(options);
  } catch (error) {
    const e = error as { code?: string; field?: string; message: string; cause?: { code?: string } };
    if (e.code === 'HEARSAY_INVALID_OPTIONS' && e.field && e.field in cfg.options) throw new UsageError(`config key "options.${e.field}"`, e.message.replace(/^invalid option "[^"]*": /, ''));
    if (e.code === 'HEARSAY_INVALID_OPTIONS' || e.code === 'HEARSAY_METADATA_TOO_LARGE') throw new CliError(e.message, EXIT.usage);
    throw new CliError(`cannot start on ${cfg.bind}: ${e.cause?.code ?? e.message}`, EXIT.failed);
  }
}

/** Joins `seeds` until one answers, every `intervalMs`, at most `max` times (0 = no limit). Resolves false when it gave up. */
async function retryJoin(node: Hearsay, seeds: readonly string[], intervalMs: number, max: number, log: AgentLog, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 1; max === 0 || attempt <= max; attempt++) {
    try {
      const r = await node.join(seeds, { signal });
      log.info({ contacted: r.contacted, attempt }, 'retry-join succeeded');
      return true;
    } catch (error) {
      if (signal.aborted) return true;
      log.warn({ attempt, err: error, retryInMs: intervalMs }, 'retry-join failed');
    }
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * Runs the agent until it is told to stop, and resolves with the process exit code.
 * @throws {CliError} for bad flags (exit 2) or a failed start or join (exit 1).
 */
export async function runAgent(argv: readonly string[], version: string, help: () => string): Promise<ExitCode> {
  const cfg = agentConfig(argv);
  if (cfg.help) {
    process.stdout.write(`${help()}\n`);
    return EXIT.ok;
  }
  const log = new AgentLog(cfg.logLevel, cfg.json);
  const keys = loadKeys(cfg);
  const snapshot = cfg.snapshot ? readSnapshot(cfg.snapshot) : undefined;

  // Two nodes with one name corrupt each other's view; the core drops the other claim as a
  // conflict, and the agent turns that into an error the operator sees.
  let nameTakenBy: string | undefined;
  log.onAny = (_level, fields) => {
    if (fields.node === cfg.name && typeof fields.theirs === 'string' && 'mine' in fields && nameTakenBy === undefined) {
      nameTakenBy = fields.theirs;
      log.error({ name: cfg.name, other: fields.theirs }, 'another member uses this node name; names must be unique');
    }
  };

  const node = await startNode(cfg, log, keys);
  const stopping = new AbortController();
  let exitCode: ExitCode = EXIT.ok;
  let stopRequested: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const stop = (code: ExitCode): void => {
    exitCode = code;
    stopping.abort();
    stopRequested();
  };

  const writer = cfg.snapshot ? new SnapshotWriter(cfg.snapshot, cfg.name, () => allMembers(node), (err) => log.warn({ err }, 'could not write the snapshot')) : undefined;
  for (const event of MEMBER_EVENTS) {
    node.on(event, ({ member }) => {
      log.event(event, member);
      writer?.touch();
    });
  }
  node.on('self:refute', (e) => log.warn({ incarnation: e.incarnation, accuser: e.accuser ?? null }, 'refuted a suspicion of this node'));

  let rpc: RpcServer | undefined;
  const onSignal = (signal: string): void => {
    if (stopping.signal.aborted) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(EXIT.failed);
    }
    log.info({ signal }, 'leaving the cluster');
    void node.leave({ timeoutMs: 5000 }).finally(() => {
      writer?.markLeft();
      stop(EXIT.ok);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (cfg.rpc.kind === 'unix' && dirname(cfg.rpc.path) === runtimeDir()) ensurePrivateDir(runtimeDir());
    if (cfg.rpc.kind === 'tcp' && dirname(cfg.rpc.tokenFile(cfg.rpc.port || 1)) === runtimeDir()) ensurePrivateDir(runtimeDir());
    const startedAt = Date.now();
    let rpcAddress = '';
    rpc = await RpcServer.listen(
      cfg.rpc,
      agentHandler({
        node,
        log,
        version,
        get rpcAddress() {
          return rpcAddress;
        },
        startedAt,
        stopAfterLeave: () => stop(EXIT.ok),
        markLeft: () => writer?.markLeft(),
        saveKeyring: (k) => {
          if (cfg.keyringFile) writeKeyringFile(cfg.keyringFile, k);
        },
      }),
    );
    rpcAddress = rpc.address;
    log.info({ name: cfg.name, address: node.localMember.address, rpc: rpc.address, ...(rpc.tokenFile ? { tokenFile: rpc.tokenFile } : {}), version }, 'agent started');

    if (cfg.join.length > 0) {
      const r = await node.join(cfg.join, { signal: stopping.signal }).catch((error: Error) => {
        // The seed lists our name at a live member that answers to it: say which, as the operator's fix.
        const cause = error.cause as { code?: string; holder?: string } | undefined;
        if (cause?.code === 'HEARSAY_NAME_CONFLICT' && cause.holder) throw new CliError(`the name "${cfg.name}" is already taken by the member at ${cause.holder}; pick another --name`, EXIT.failed);
        throw new CliError(`could not join: ${error.message}`, EXIT.failed);
      });
      log.info({ contacted: r.contacted, failed: r.failures.length }, 'joined');
      if (nameTakenBy) throw new CliError(`the name "${cfg.name}" is already taken by the member at ${nameTakenBy}; pick another --name`, EXIT.failed);
    }
    const remembered = rejoinAddresses(snapshot, cfg.rejoin);
    if (remembered.length > 0) {
      void node.join(remembered, { signal: stopping.signal }).then(
        (r) => log.info({ contacted: r.contacted, remembered: remembered.length }, 'rejoined members from the snapshot'),
        (err: unknown) => log.warn({ err, remembered: remembered.length }, 'could not rejoin any member from the snapshot'),
      );
    } else if (snapshot?.left) log.info({ snapshot: cfg.snapshot }, 'not rejoining: this node left gracefully before (pass --rejoin to override)');
    if (cfg.retryJoin.length > 0) {
      void retryJoin(node, cfg.retryJoin, cfg.retryIntervalMs, cfg.retryMax, log, stopping.signal).then((ok) => {
        if (!ok) {
          log.error({ attempts: cfg.retryMax }, 'retry-join gave up');
          stop(EXIT.failed);
        }
      });
    }
    void node.closed.then((error) => {
      if (error) {
        log.error({ err: error }, 'the node stopped after a transport failure');
        stop(EXIT.failed);
      }
    });
    await stopped;
    return exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopping.abort();
    writer?.flush();
    await rpc?.close();
    await node.shutdown();
    log.info({ name: cfg.name }, 'agent stopped');
  }
}
