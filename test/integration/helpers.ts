/**
 * Helpers for real-socket tests: start hearsay nodes on 127.0.0.1 port 0 with fast timings and
 * wait for events under a deadline (never sleep-then-assert).
 */
import { Hearsay, type HearsayEvents, type HearsayOptions } from '../../src/index.js';

// The one wait of tests and benches (every 20 ms; a function as 4th argument is the state that
// goes into the timeout error), re-exported because every real-socket test imports it from here.
export { waitUntil } from '../../src/testing/wait.js';

/** Timings fast enough for tests yet far from the noise floor of a shared machine. */
export const FAST: Partial<HearsayOptions> = {
  preset: 'local',
  probeIntervalMs: 400,
  probeTimeoutMs: 200,
  gossipIntervalMs: 50,
  pushPullIntervalMs: 5000,
  gossipToTheDeadMs: 5000,
  suspicionMult: 3,
  tcpTimeoutMs: 2000,
  // LAN's 4, not local's 2. With 2 transmits per message at n = 5, each node misses a gossiped
  // leave with a few % probability (CI reproduced it under load), and once every other node has
  // reaped the left member no push/pull can repair it: that is the protocol's tail, not a bug
  // these tests look for. With 4, the leaver itself reaches every peer in two gossip ticks.
  retransmitMult: 4,
};

/** Every event a node emitted, in order. */
export interface Recorded {
  readonly event: keyof HearsayEvents;
  readonly name: string | undefined;
  readonly payload: unknown;
}

/** A started node plus its event log. */
export interface TestNode {
  readonly node: Hearsay;
  readonly events: Recorded[];
}

const recordedEvents: (keyof HearsayEvents)[] = ['join', 'update', 'suspect', 'suspicion', 'alive', 'fail', 'leave', 'message', 'self:refute', 'self:health', 'self:isolated', 'conflict'];

/** Starts a node bound to 127.0.0.1:0 (or `bind`) recording every event. */
export async function startNode(name: string, extra: Partial<HearsayOptions> = {}): Promise<TestNode> {
  const node = await Hearsay.start({ name, bind: '127.0.0.1:0', ...FAST, ...extra } as HearsayOptions);
  const events: Recorded[] = [];
  for (const event of recordedEvents) {
    node.on(event, (payload: unknown) => {
      const member = (payload as { member?: { name: string } }).member;
      events.push({ event, name: member?.name, payload });
    });
  }
  return { node, events };
}

/** Count of `event` about member `name` in a log. */
export function count(t: TestNode, event: keyof HearsayEvents, name: string): number {
  return t.events.filter((e) => e.event === event && e.name === name).length;
}

/** Names a node currently sees alive (self included). */
export function aliveNames(t: TestNode): string[] {
  return t.node
    .members()
    .filter((m) => m.state === 'alive')
    .map((m) => m.name)
    .sort();
}
