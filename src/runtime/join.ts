/**
 * Joining through seeds: resolve each seed, run memberlist's join push/pull with every one at
 * once, merge each reply into the core. The one join path, for sockets and the simulator alike.
 * @module
 */
import { lookup } from 'node:dns/promises';
import { formatHostPort, ipToBytes, parseHostPort } from '../address.js';
import type { Core } from '../core/core.js';
import { JOIN_REFUSED_PREFIX } from '../core/admission.js';
import { AbortError, InvalidArgumentError, JoinError, JoinRefusedError, NameConflictError, RemoteError, TransportError, type SeedFailure } from '../errors.js';
import type { Logger } from '../observability.js';
import type { Driver } from './driver.js';

/** What a join reports: seeds that completed a push/pull state exchange, and the others with why. */
export interface JoinOutcome {
  readonly contacted: number;
  readonly failures: readonly SeedFailure[];
}

/** The node a join runs for. */
export interface JoinContext {
  readonly driver: Driver;
  readonly core: Core;
  readonly logger: Logger;
  /** Our bound port: the default port of a seed given without one. */
  readonly defaultPort: number;
  /** Deadline of each seed's exchange, ms. */
  readonly timeoutMs: number;
  /** Whether a resolved seed address is this node's own (a seed only if some other seed answers). */
  readonly isSelf: (address: string) => boolean;
  /** Deadline of the ping that tells a live holder of our name from a stale entry, ms (`probeIntervalMs`). */
  readonly holderCheckMs: number;
}

/**
 * memberlist's `Join`: a push/pull with every seed at once; resolves when all have answered or
 * failed. Rejects with `JoinError` (one failure per seed) only if no seed answered, and with
 * `AbortError` when `signal` aborts — and with `JoinError` whenever a seed's reply shows our name
 * held by a live member at another address that answers to it (`NameConflictError`), since the
 * cluster then ignores us whatever other seeds said. A seed that is this node's own address is a failure, never
 * dialled: memberlist counts the push/pull with itself as a successful join of a cluster of one,
 * which hid mistyped seed lists.
 */
export async function joinSeeds(ctx: JoinContext, seeds: readonly string[], signal: AbortSignal): Promise<JoinOutcome> {
  const outcomes = await Promise.all(seeds.map((seed) => joinOne(ctx, seed, signal)));
  if (signal.aborted) throw new AbortError('join aborted', { cause: signal.reason });
  const failures = outcomes.filter((f): f is SeedFailure => f !== undefined);
  const contacted = seeds.length - failures.length;
  // A name conflict fails the join even if another seed answered: the cluster ignores this node.
  if (contacted === 0 || failures.some((f) => f.error instanceof NameConflictError)) throw new JoinError(failures);
  return { contacted, failures };
}

async function joinOne(ctx: JoinContext, seed: string, signal: AbortSignal): Promise<SeedFailure | undefined> {
  const { driver, core } = ctx;
  try {
    const addresses = await resolveSeed(seed, ctx.defaultPort);
    let lastError: Error = new Error('no address');
    for (const address of addresses) {
      if (ctx.isSelf(address)) {
        lastError = new InvalidArgumentError('join', 'seeds', `${address} is this node's own address; give the address of another member`);
        continue;
      }
      try {
        const reply = await driver.exchange(address, core.localState(true), ctx.timeoutMs, signal);
        if (reply?.type !== 'push-pull') throw new TransportError(`unexpected ${reply?.type ?? 'empty'} reply to push/pull`);
        let outcome = driver.step((now, fx) => core.mergeJoinReply(now, reply, fx));
        if (outcome?.kind === 'name-held') {
          // Decisive: every seed of that cluster would say the same, so the next address cannot help.
          if (await answersAs(ctx, outcome.holder, signal)) return { seed, error: new NameConflictError(core.localMember.name, outcome.holder, address) };
          // Our own earlier run, gone at another address (a restart before the cluster noticed):
          // join as memberlist does; peers ignore us as a conflict until they have declared that
          // one dead and forgotten it, then our push/pull makes us visible.
          ctx.logger.info({ holder: outcome.holder, seed: address }, 'the seed lists this node\'s name at an address that does not answer to it (an earlier run?): joining; this node becomes visible once the cluster has declared that one dead and reaped it');
          outcome = driver.step((now, fx) => core.mergeJoinReply(now, reply, fx, true));
        }
        if (outcome?.kind === 'incompatible') throw outcome.error;
        if (outcome?.kind === 'refused') return { seed, error: new JoinRefusedError('self', `member "${outcome.member}" (${outcome.address}): ${outcome.reason}`, address) };
        return undefined;
      } catch (error) {
        if (signal.aborted) throw error;
        const refused = error instanceof RemoteError ? seedRefusal(error, address) : undefined;
        if (refused !== undefined) return { seed, error: refused };
        lastError = error instanceof Error ? error : new Error(String(error));
      }
    }
    throw lastError;
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    // Not a warning: the failure reaches the host in the result, or in the JoinError.
    ctx.logger.info({ seed, err }, 'could not contact seed');
    return { seed, error: err };
  }
}

/**
 * Whether a live process answers at `holder` under our name: a stream ping naming us, as the TCP
 * fallback probe sends (memberlist and hearsay ack it only when the name is theirs), bounded by
 * one probe interval. Anything but an ack (refused, reset, timeout, a process of another name
 * now at that address) means the entry is stale.
 */
async function answersAs(ctx: JoinContext, holder: string, signal: AbortSignal): Promise<boolean> {
  try {
    const reply = await ctx.driver.exchange(holder, { type: 'ping', seqNo: 0, node: ctx.core.localMember.name }, ctx.holderCheckMs, signal);
    return reply?.type === 'ack';
  } catch (error) {
    if (signal.aborted) throw error;
    return false;
  }
}

/** A seed's error reply refusing our join (its admission hook: `JOIN_REFUSED_PREFIX`), as a typed error. */
function seedRefusal(error: RemoteError, seed: string): JoinRefusedError | undefined {
  const text = error.reply;
  return text?.startsWith(JOIN_REFUSED_PREFIX) ? new JoinRefusedError('seed', text.slice(JOIN_REFUSED_PREFIX.length), seed) : undefined;
}

/** `host:port`, a bare IP (our port), or a DNS name with an optional port (every address it resolves to). */
async function resolveSeed(seed: string, defaultPort: number): Promise<string[]> {
  if (parseHostPort(seed)) return [seed];
  const bare = seed.replace(/^\[|\]$/g, '');
  if (ipToBytes(bare)) return [formatHostPort(bare, defaultPort)];
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(seed);
  if (!m) throw new TransportError(`cannot parse seed address "${seed}"`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  const found = await lookup(m[1]!, { all: true });
  return found.map((a) => formatHostPort(a.address, port));
}
