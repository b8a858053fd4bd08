/** The simulator's engine room: timer handles, starved and paused nodes, datagram sends. */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { SimFabric } from '../../src/testing/sim-fabric.js';
import { SimNetwork } from '../../src/testing/sim-network.js';
import { SimNode } from '../../src/testing/sim-node.js';
import { SimClock, SimTransport } from '../../src/testing/sim-transport.js';

function setup(): { fabric: SimFabric; node: SimNode; clock: SimClock } {
  const fabric = new SimFabric(new SimNetwork(seededRandom(1), {}));
  const node = new SimNode('a', '127.0.0.1:7946', {});
  node.running = true;
  fabric.byAddress.set(node.address, node);
  return { fabric, node, clock: new SimClock(fabric.host, node) };
}

describe('SimClock timers', () => {
  it('runs a timer at its due time, and never one cleared before it was due', async () => {
    const { fabric, clock } = setup();
    const ran: string[] = [];
    clock.setTimer(() => ran.push(`kept@${fabric.now}`), 10);
    const cleared = clock.setTimer(() => ran.push('cleared'), 5);
    clock.clearTimer(cleared);
    await fabric.runUntil(() => false, 20, 0);
    expect(ran).toEqual(['kept@10']);
  });

  it("cancels a starved node's timer cleared after its input was delayed", async () => {
    // The delayed input is queued again; clearing the timer must still reach it.
    const { fabric, node, clock } = setup();
    node.slowMs = 50;
    let ran = 0;
    const handle = clock.setTimer(() => ran++, 10);
    await fabric.runUntil(() => false, 20, 0); // due at 10, delayed to 60
    expect(ran).toBe(0);
    clock.clearTimer(handle);
    await fabric.runUntil(() => false, 100, 0);
    expect(ran).toBe(0);
  });

  it("cancels a paused node's timer cleared while held, and replays the rest by due time on resume", async () => {
    const { fabric, node, clock } = setup();
    const ran: number[] = [];
    node.pausedUntil = 100;
    clock.setTimer(() => ran.push(30), 30);
    const held = clock.setTimer(() => ran.push(20), 20);
    clock.setTimer(() => ran.push(10), 10);
    await fabric.runUntil(() => false, 50, 0);
    clock.clearTimer(held);
    fabric.at(100, () => fabric.resume(node, node.gen));
    await fabric.runUntil(() => false, 100, 0);
    expect(ran).toEqual([10, 30]);
  });
});

describe('SimTransport datagram sends', () => {
  it('return a settled promise that a catch leaves as it is (no reaction queued per datagram)', async () => {
    const { fabric, node, clock } = setup();
    const transport = new SimTransport(fabric.host, node, clock);
    await transport.start({ onDatagram: () => {}, onStream: () => {} });
    const sent = transport.send('127.0.0.2:7946', new Uint8Array([1]));
    expect(sent.catch(() => {})).toBe(sent);
    await expect(sent).resolves.toBeUndefined();
    // Promises derived from it are ordinary: a throw in their chain reaches its catch.
    const caught = await sent.then(() => {
      throw new Error('boom');
    }).catch((e: Error) => e.message);
    expect(caught).toBe('boom');
  });
});
