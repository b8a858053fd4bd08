/**
 * A hearsay node with `delegateProtocol: 'serf'` leaves a cluster with a real `serf agent` (serf
 * 0.9 on memberlist v0.2.2): serf must show it `left`, not `failed`, and log nothing wrong about it.
 *
 * serf's status is its own: a bare memberlist leave (`dead` with From == Node) reads as `failed`
 * there; `left` needs serf's leave intent (a serf message in a memberlist user broadcast) with a
 * Lamport time above the last intent serf accepted about that member (serf
 * `handleNodeLeaveIntent`). The second step makes that time matter: a fresh process under the
 * name of the node that already left starts its clock afresh, and only the clock it witnessed from
 * serf's push/pull state gets its intent accepted.
 *
 * One serf agent and one hearsay node at a time, so every gossip transmission goes to the agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_MS, cleanupAll, requireInterop, startHearsay, waitUntil } from './harness.js';
import { type SerfAgent, startSerfAgent, waitSerfMember } from './serf.js';

const ok = await requireInterop({ go: false, serf: true });
const NAME = 'hs-leaver';

/** serf agent log lines at warn or error level (serf's logger writes `[WARN]` / `[ERR]`). */
function complaints(agent: SerfAgent, from: number): string[] {
  return agent.log.slice(from).filter((l) => /\[(WARN|ERR)\]/.test(l));
}

describe.skipIf(!ok)("hearsay leave() → serf agent shows `left` (serf's leave intent)", () => {
  let s1: SerfAgent;
  beforeAll(async () => {
    s1 = await startSerfAgent({ name: 'serf-1' });
  }, 60_000);
  afterAll(cleanupAll);

  /** Returns hearsay's own warn/error log lines. */
  async function joinAndLeave(): Promise<string[]> {
    const h = await startHearsay({ name: NAME, delegateProtocol: 'serf', log: true });
    expect((await h.node.join([s1.bind])).contacted).toBe(1);
    await waitSerfMember(s1.rpc, NAME, (m) => m.status === 'alive' && m.addr === h.addr, STEP_MS, `alive at ${h.addr}`);
    // serf has probed us and read our ack (serf's ping delegate complains about a non-empty ack
    // payload that is not its own), so the log check below covers the acks too.
    const pings = (): number => h.metrics.counter('hearsay_messages_received_total', { type: 'ping' });
    await waitUntil(() => pings() >= 2, STEP_MS, () => `pings from serf: ${pings()}`);
    await h.node.leave();
    // `leaving` comes between serf's intent and memberlist's leave; `left` or `failed` is the verdict.
    const m = await waitSerfMember(s1.rpc, NAME, (x) => x.status === 'left' || x.status === 'failed', STEP_MS, 'left or failed');
    expect(m.status, `serf's status for ${NAME} after leave()\n${s1.tail()}`).toBe('left');
    await h.node.shutdown();
    return h.logs.filter((l) => /^(warn|error) /.test(l));
  }

  it('serf members shows the node left, and serf logs no warning or error', async () => {
    const from = s1.log.length;
    expect(await joinAndLeave(), 'hearsay warnings').toEqual([]);
    // serf decoded our intent, and processed the leave as a leave (not a failure, then a forced leave).
    expect(s1.log.slice(from).some((l) => l.includes(`[DEBUG] serf: messageLeaveType: ${NAME}`)), s1.tail()).toBe(true);
    await waitUntil(() => s1.log.some((l) => l.includes(`EventMemberLeave: ${NAME}`)), STEP_MS, () => s1.tail());
    expect(s1.log.filter((l) => l.includes(`EventMemberFailed: ${NAME}`))).toEqual([]);
    expect(complaints(s1, from), s1.tail()).toEqual([]);
  }, 60_000);

  it('a new process under the same name leaves again: its intent is above the one serf already holds', async () => {
    const from = s1.log.length;
    // serf's push/pull may tell the new process that its name left at incarnation 1: it refutes, as
    // a restarted memberlist node does, and warns about that (and about nothing else).
    const warnings = await joinAndLeave();
    expect(warnings.filter((l) => !l.startsWith('warn refuted a suspicion of this node')), 'hearsay warnings').toEqual([]);
    expect(s1.log.slice(from).filter((l) => l.includes(`EventMemberFailed: ${NAME}`))).toEqual([]);
    // The address change of a left member is logged at INFO by memberlist, and nothing else complains.
    expect(complaints(s1, from), s1.tail()).toEqual([]);
  }, 60_000);
});
