/**
 * Go memberlist peers in the test bed: the interop peer (test/interop/peer, Debian's memberlist
 * v0.2.2, built offline by `ensureGoPeerBuilt`) run in a node's namespace with
 * `ip netns exec`, bound to the node's address with memberlist's LAN preset as it is, and its
 * JSON lines turned into the agent's events so the cluster queries read both kinds of process:
 *
 * | peer line | event |
 * |---|---|
 * | `join {node}` (NotifyJoin) | `join` |
 * | `leave {node}`, state 2 (NotifyLeave of a dead node) | `fail` |
 * | `leave {node}`, state 3 | `leave` |
 * | `update {node}` | `update` |
 *
 * memberlist v0.2.2 has no suspect callback, so a Go peer reports no `suspect` events. Each event
 * is stamped with its arrival time (`t`, wall-clock ms), as the agents stamp theirs.
 * @module
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ensureGoPeerBuilt, goPeerUnavailableReason } from '../interop/go-build.js';
import type { NodeSlot } from './bed.js';
import { BedProc, PORT, type AgentEvent } from './procs.js';

/** memberlist's NodeStateType, as the peer reports it (-1: the layout probe failed). */
const STATE_NAMES: Record<number, string> = { 0: 'alive', 1: 'suspect', 2: 'dead', 3: 'left' };

interface PeerNode {
  readonly name: string;
  readonly state: number;
  readonly incarnation: number;
}

/** One Go memberlist peer in a namespace. */
export class GoProc extends BedProc {
  readonly kind = 'go';

  /** Starts a peer named `name` in `slot`'s namespace (LAN preset, bound to the slot's address); resolves once it is `ready`. */
  static async start(name: string, slot: NodeSlot): Promise<GoProc> {
    const bin = await ensureGoPeerBuilt();
    if (bin === undefined) throw new Error(`Go peer unavailable: ${goPeerUnavailableReason()}`);
    const child = spawn('ip', ['netns', 'exec', slot.ns, bin, '-name', name, '-bind', `${slot.ip}:${PORT}`, '-preset', 'lan'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new GoProc(name, slot, child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(line) as Record<string, unknown>;
      } catch {
        p.stderr.push(`(stdout) ${line}`);
        return;
      }
      p.push(translate(raw, Date.now()));
    });
    const ready = await p.waitFor((e) => e.event === 'ready' || (e.event === 'error' && e.fatal === true), 30_000, 'ready');
    if (ready.event !== 'ready') throw new Error(`Go peer ${name} failed to start: ${String(ready.error)}`);
    return p;
  }

  async join(seed: string): Promise<void> {
    const r = await this.send(`join ${seed}`, 'join', 'joined', 15_000);
    if (r.contacted !== 1) throw new Error(`Go peer ${this.name} contacted ${String(r.contacted)} seeds joining ${seed}`);
  }

  /** memberlist `Members()` (dead and left excluded by memberlist) filtered to state alive. */
  async aliveNames(): Promise<string[]> {
    const r = await this.send('members', 'members', 'members', 10_000);
    return (r.members as { name: string; state: string }[])
      .filter((m) => m.state === 'alive')
      .map((m) => m.name)
      .sort();
  }
}

/** One peer line as an agent event. */
function translate(raw: Record<string, unknown>, t: number): AgentEvent {
  const event = String(raw.event);
  if (event === 'join' || event === 'leave' || event === 'update') {
    const node = raw.node as PeerNode;
    const state = STATE_NAMES[node.state] ?? `unknown(${node.state})`;
    // NotifyLeave fires for dead and left alike; the state tells a failure from a leave.
    const kind = event === 'leave' ? (node.state === 3 ? 'leave' : 'fail') : event;
    return { event: kind, t, member: node.name, state, incarnation: node.incarnation };
  }
  if (event === 'members') {
    const members = ((raw.members as PeerNode[] | null) ?? []).map((m) => ({ name: m.name, state: STATE_NAMES[m.state] ?? `unknown(${m.state})`, incarnation: m.incarnation }));
    return { event, t, members };
  }
  return { ...raw, event, t };
}
