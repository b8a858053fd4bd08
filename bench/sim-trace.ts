/**
 * Dumps the event trace of fixed-seed simulator runs, one line per event, so two versions of the
 * code can be diffed: a speed change must not change a single line.
 *
 *   npx tsx bench/sim-trace.ts > after.txt     (then the same in the other tree, and `diff`)
 *
 * Scenarios: N = 200 (plain) joined by a real join storm, then 60 s of virtual time with
 * metadata churn, crashes, a restart under a new address, a leave, a 15 s partition of 10 nodes,
 * one node with 50 % inbound loss and 2 % loss everywhere; and N = 40 with
 * encryption, a label and compression (every packet and stream sealed). After each, every node's
 * view (name, state, incarnation, meta) and the network's traffic counters. Not a test: it prints.
 */
import { Simulator, type SimulatorOptions } from '../src/testing/simulator.js';
import { trafficSample } from '../src/testing/observer.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const replacer = (_k: string, v: unknown): unknown => (v instanceof Uint8Array ? `0x${hex(v)}` : v);

async function run(label: string, n: number, options: SimulatorOptions, churn: boolean): Promise<void> {
  const sim = new Simulator(options);
  const names = Array.from({ length: n }, (_, i) => `n${i}`);
  for (const name of names) await sim.addNode(name, { metadata: { role: name.length % 2 === 0 ? 'a' : 'b' } });
  for (let i = 1; i < n; i++) sim.at((i * 1000) / n, () => sim.join(`n${i}`, 'n0'));
  await sim.runFor(15_000);
  const t0 = sim.now;
  if (churn) {
    for (let k = 0; k < 40; k++) sim.at(t0 + 500 + k * 1_300, () => sim.setMetadata(`n${(k * 7) % n}`, { role: `v${k}` }));
    sim.at(t0 + 10_000, () => sim.crash('n5'));
    sim.at(t0 + 12_000, () => sim.crash('n17'));
    sim.at(t0 + 30_000, () => sim.restart('n17', 'n0', { newAddress: true }));
    sim.at(t0 + 40_000, () => sim.leave('n9'));
    const addr = new Map(sim.nodeInfo().map((i) => [i.name, i.address]));
    const cut = names.slice(20, 30).map((x) => addr.get(x)!);
    sim.at(t0 + 20_000, () => sim.network.partition([cut]));
    sim.at(t0 + 35_000, () => sim.network.heal());
    sim.at(t0 + 5_000, () => sim.network.setInboundLoss(addr.get('n33')!, 0.5));
  }
  await sim.runFor(60_000);
  console.log(`# ${label}: ${sim.log.length} events, now ${sim.now}`);
  for (const e of sim.log) console.log(`${e.time.toFixed(3)} ${e.node} ${JSON.stringify(e.event, replacer)}`);
  for (const name of sim.runningNames()) {
    const view = sim.view(name).map((m) => `${m.name}@${m.address}:${m.state}:${m.incarnation}:${hex(m.metadata)}`);
    console.log(`view ${name} ${view.join(' ')}`);
  }
  console.log(`traffic ${JSON.stringify(trafficSample(sim), replacer)}`);
}

await run('N = 200 plain, churn', 200, { seed: 42, network: { loss: 0.02 } }, true);
await run('N = 40 encrypted, labelled, compressed, churn', 40, { seed: 7, node: { secretKeys: [new Uint8Array(32).fill(3)], label: 'trace', compression: true } }, true);
