/**
 * What the agent does for each control request: read the member table, join, leave, change
 * tags, manage the local keyring, describe itself, stream its log.
 * @module
 */
import type { MemberSnapshot } from '../events.js';
import type { Hearsay } from '../hearsay.js';
import type { AgentLog } from './agent-log.js';
import { memberJson, memberStatus, STATUSES, type MemberJson } from './members-view.js';
import type { RpcHandler } from './rpc-server.js';
import { LOG_LEVELS, type LogLevel } from './rpc-protocol.js';

/** What the handlers need from the running agent. */
export interface AgentContext {
  readonly node: Hearsay;
  readonly log: AgentLog;
  readonly version: string;
  readonly rpcAddress: string;
  readonly startedAt: number;
  /** Called once a `leave` request has been answered: the agent shuts down and exits 0. */
  readonly stopAfterLeave: () => void;
  /** Records a graceful leave in the snapshot, when there is one. */
  readonly markLeft: () => void;
  /** Persists the keyring after a change, when the agent has a keyring file. */
  readonly saveKeyring: (keys: readonly Uint8Array[]) => void;
}

/** A request the agent refuses as malformed. */
class BadRequest extends Error {
  readonly code = 'bad-request';
}

/**
 * Every member the node knows, whatever its state. `members()` lists dead and left members
 * until they are reaped today, and is to take `{ state: 'all' }` for that later; passing the
 * option works with both (today's method ignores it).
 */
export function allMembers(node: Hearsay): readonly MemberSnapshot[] {
  return (node.members as (options?: { readonly state: 'all' }) => readonly MemberSnapshot[]).call(node, { state: 'all' });
}

function stringArray(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new BadRequest(`${what} must be an array of strings`);
  return value as string[];
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Object.values(value).some((v) => typeof v !== 'string')) throw new BadRequest(`${what} must be an object of strings`);
  return value as Record<string, string>;
}

function keyBytes(value: unknown): Uint8Array {
  if (typeof value !== 'string') throw new BadRequest('key must be a base64 string');
  return new Uint8Array(Buffer.from(value, 'base64'));
}

function keyList(keys: readonly Uint8Array[]): { keys: { key: string; primary: boolean }[] } {
  return { keys: keys.map((k, i) => ({ key: Buffer.from(k).toString('base64'), primary: i === 0 })) };
}

/** Builds the request handler of an agent. */
export function agentHandler(ctx: AgentContext): RpcHandler {
  const { node, log } = ctx;
  return async (request, conn) => {
    const args = request.args ?? {};
    switch (request.command) {
      case 'members':
        return { members: allMembers(node).map(memberJson) satisfies MemberJson[] };

      case 'join': {
        const addresses = stringArray(args.addresses, 'addresses');
        if (addresses.length === 0) throw new BadRequest('join needs at least one address');
        const result = await node.join(addresses);
        return { contacted: result.contacted, failures: result.failures.map((f) => ({ seed: f.seed, error: f.error.message })) };
      }

      case 'leave':
        await node.leave({ timeoutMs: 5000 });
        ctx.markLeft();
        // Answer first, then stop: the client is waiting on this connection.
        setImmediate(ctx.stopAfterLeave);
        return { left: node.localMember.name };

      case 'tags': {
        const set = stringMap(args.set, 'set');
        const remove = stringArray(args.delete, 'delete');
        const self = node.localMember;
        if (self.tags === undefined && self.metadata.length > 0) throw new BadRequest('this node carries raw metadata, not tags');
        const next: Record<string, string> = { ...self.tags, ...set };
        for (const k of remove) delete next[k];
        let spreading = false;
        try {
          await node.setMetadata(next);
        } catch (error) {
          // The change stands and keeps spreading; only the wait for it timed out.
          if ((error as { code?: string }).code !== 'HEARSAY_TIMEOUT') throw error;
          spreading = true;
        }
        log.info({ tags: next }, 'tags changed');
        return { tags: next, spreading };
      }

      case 'keys': {
        const keyring = node.keyring;
        if (!keyring) throw Object.assign(new Error('encryption is off on this agent: start it with --key or --keyring-file'), { code: 'no-keyring' });
        const op = args.op;
        try {
          if (op === 'install') keyring.addKey(keyBytes(args.key));
          else if (op === 'use') keyring.useKey(keyBytes(args.key));
          else if (op === 'remove') keyring.removeKey(keyBytes(args.key));
          else if (op !== 'list') throw new BadRequest('op must be list, install, use or remove');
        } catch (error) {
          if (error instanceof RangeError) throw Object.assign(new Error(error.message), { code: 'failed' });
          throw error;
        }
        if (op !== 'list') {
          ctx.saveKeyring(keyring.keys);
          log.info({ op, keys: keyring.keys.length }, 'keyring changed');
        }
        return keyList(keyring.keys);
      }

      case 'info': {
        const self = node.localMember;
        const o = node.options;
        const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<string, number>;
        for (const m of allMembers(node)) counts[memberStatus(m.state)]!++;
        return {
          agent: { version: ctx.version, rpc: ctx.rpcAddress, uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000), pid: process.pid },
          node: { name: self.name, address: self.address, status: node.status, incarnation: self.incarnation, tags: self.tags ?? {}, healthScore: node.healthScore },
          members: counts,
          encryption: { enabled: node.keyring !== undefined, keys: node.keyring?.keys.length ?? 0, label: o.label ?? null },
          protocol: {
            preset: o.preset,
            version: o.protocolVersion,
            probeIntervalMs: o.probeIntervalMs,
            probeTimeoutMs: o.probeTimeoutMs,
            suspicionMult: o.suspicionMult,
            gossipIntervalMs: o.gossipIntervalMs,
            gossipNodes: o.gossipNodes,
            pushPullIntervalMs: o.pushPullIntervalMs,
          },
        };
      }

      case 'monitor': {
        const level = (args.level ?? 'info') as LogLevel;
        if (!LOG_LEVELS.includes(level)) throw new BadRequest(`level must be one of ${LOG_LEVELS.join(', ')}`);
        conn.onClose(log.subscribe(level, (record) => conn.send(request.id, record)));
        return 'streaming';
      }

      default:
        throw new BadRequest(`unknown command "${String(request.command)}"`);
    }
  };
}
