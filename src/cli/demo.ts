/**
 * `hearsay demo`: five nodes on 127.0.0.1 in this process, walked through join, a tag change,
 * a crash (suspect, then failed), a restart and a graceful leave, in well under 20 s. A live
 * member table on a terminal, one line per event otherwise.
 * @module
 */
import type { MemberSnapshot } from '../events.js';
import { Hearsay } from '../hearsay.js';
import type { ProtocolOptions } from '../options.js';
import { local } from '../options.js';
import { jsonReplacer } from './agent-log.js';
import { DemoScreen } from './demo-screen.js';
import { CliError, EXIT, type ExitCode } from './exit.js';
import { parseFlags } from './flags.js';
import { memberStatus } from './members-view.js';

/**
 * The demo's timing: memberlist's local preset, probing twice as often and with a short
 * suspicion, so a crash is declared in about two seconds instead of ten. Gossip is sent as often
 * as on a LAN (the local preset's 2 sends per update can miss a node in a cluster this small) and
 * push/pull runs every 2 s, so whatever gossip misses is repaired within the demo's waits.
 */
export const DEMO_TIMING: Partial<ProtocolOptions> = {
  ...local(),
  probeIntervalMs: 500,
  probeTimeoutMs: 200,
  suspicionMult: 2,
  suspicionMaxTimeoutMult: 3,
  gossipIntervalMs: 100,
  retransmitMult: 4,
  pushPullIntervalMs: 2000,
};

const NAMES = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
const EVENTS = ['join', 'update', 'suspect', 'alive', 'fail', 'leave'] as const;
type DemoEvent = (typeof EVENTS)[number];

/** One event as one observer saw it. */
export interface Seen {
  readonly at: number;
  readonly observer: string;
  readonly event: DemoEvent;
  readonly member: MemberSnapshot;
}

/** The suspicion window for `n` members: suspicionMult × max(1, log10 n) × probe interval, up to × suspicionMaxTimeoutMult (Lifeguard). */
export function timingSummary(n: number): string {
  const t = DEMO_TIMING as ProtocolOptions;
  const min = t.suspicionMult * Math.max(1, Math.log10(n)) * t.probeIntervalMs;
  return `timing: probe every ${t.probeIntervalMs} ms (ack timeout ${t.probeTimeoutMs} ms) · suspicion ${(min / 1000).toFixed(1)}–${((min * t.suspicionMaxTimeoutMult) / 1000).toFixed(1)} s · gossip every ${t.gossipIntervalMs} ms to ${t.gossipNodes}, ${t.retransmitMult} sends per update · push/pull every ${t.pushPullIntervalMs / 1000} s`;
}

class Cluster {
  readonly nodes = new Map<string, Hearsay>();
  readonly ports = new Map<string, number>();
  readonly seen: Seen[] = [];
  private readonly waiters = new Set<() => void>();
  readonly started = Date.now();

  constructor(private readonly onSeen: (s: Seen) => void) {}

  async start(name: string, tags: Record<string, string>): Promise<Hearsay> {
    const port = this.ports.get(name) ?? 0;
    const node = await Hearsay.start({ name, bind: `127.0.0.1:${port}`, preset: 'local', ...DEMO_TIMING, metadata: tags });
    this.ports.set(name, node.localMember.port);
    this.nodes.set(name, node);
    for (const event of EVENTS) {
      node.on(event, ({ member }) => {
        const s = { at: Date.now() - this.started, observer: name, event, member };
        this.seen.push(s);
        this.onSeen(s);
        for (const w of this.waiters) w();
      });
    }
    return node;
  }

  async kill(name: string): Promise<void> {
    const node = this.nodes.get(name);
    this.nodes.delete(name);
    await node?.shutdown();
  }

  /** Resolves once every live node other than `member` has seen `event` about it since `since`; rejects after `ms`. */
  waitAll(event: DemoEvent, member: string, since: number, ms: number): Promise<void> {
    const done = (): boolean =>
      [...this.nodes.keys()].filter((o) => o !== member).every((o) => this.seen.some((s) => s.at >= since && s.observer === o && s.event === event && s.member.name === member));
    return this.waitUntil(done, ms, `every node to see ${member} ${event}`);
  }

  /** Resolves once some node has seen `event` about `member` since `since`. */
  waitAny(event: DemoEvent, member: string, since: number, ms: number): Promise<void> {
    return this.waitUntil(() => this.seen.some((s) => s.at >= since && s.event === event && s.member.name === member), ms, `a node to see ${member} ${event}`);
  }

  /** Resolves once every live node sees all of them alive. */
  waitConverged(ms: number): Promise<void> {
    const done = (): boolean => [...this.nodes.values()].every((n) => n.members().filter((m) => m.state === 'alive').length === this.nodes.size);
    return this.waitUntil(done, ms, 'every node to see every other alive');
  }

  now(): number {
    return Date.now() - this.started;
  }

  private waitUntil(done: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        if (done()) finish();
      };
      const timer = setTimeout(() => finish(new CliError(`demo: timed out after ${ms} ms waiting for ${what}`, EXIT.failed)), ms);
      this.waiters.add(check);
      check();
    });
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.shutdown()));
    this.nodes.clear();
  }
}

function tagsOf(i: number): Record<string, string> {
  return { role: i < 3 ? 'web' : 'worker', version: '1' };
}

/** Runs the demo and resolves with the exit code. */
export async function runDemo(argv: readonly string[], help: () => string): Promise<ExitCode> {
  const { values } = parseFlags(argv, { json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${help()}\n`);
    return EXIT.ok;
  }
  const json = values.json ?? false;
  const live = !json && process.stdout.isTTY === true;
  let screen: DemoScreen | undefined;
  // On a terminal, hold each step for a moment so a person can read the table; piped, run flat out.
  const hold = (): Promise<void> => (live ? new Promise((resolve) => setTimeout(resolve, 1200)) : Promise.resolve());
  const say = (phase: string): void => {
    if (screen) screen.phase(phase, cluster.now());
    else if (json) process.stdout.write(`${JSON.stringify({ at: cluster.now(), phase })}\n`);
    else process.stdout.write(`${(cluster.now() / 1000).toFixed(2).padStart(6)}s  == ${phase}\n`);
  };
  const cluster: Cluster = new Cluster((s) => {
    if (screen) return screen.event(s);
    const m = s.member;
    if (json) process.stdout.write(`${JSON.stringify({ at: s.at, observer: s.observer, event: s.event, member: { name: m.name, address: m.address, status: memberStatus(m.state), incarnation: m.incarnation, tags: m.tags } }, jsonReplacer)}\n`);
    else process.stdout.write(`${(s.at / 1000).toFixed(2).padStart(6)}s  ${s.observer} sees ${m.name.padEnd(3)} ${s.event.padEnd(7)} ${eventDetail(s)}\n`);
  });
  if (live) screen = new DemoScreen(() => cluster.nodes, NAMES, timingSummary(NAMES.length));
  else if (!json) process.stdout.write(`hearsay demo: 5 nodes on 127.0.0.1\n${timingSummary(NAMES.length)}\n`);
  else process.stdout.write(`${JSON.stringify({ timing: DEMO_TIMING })}\n`);

  try {
    say('starting 5 nodes; n2–n5 join through n1');
    for (const [i, name] of NAMES.entries()) await cluster.start(name, tagsOf(i));
    const seed = cluster.nodes.get('n1')!.localMember.address;
    await Promise.all(NAMES.slice(1).map((n) => cluster.nodes.get(n)!.join(seed)));
    await cluster.waitConverged(8000);

    await hold();
    let t = cluster.now();
    say('n2 changes a tag: version=2');
    await cluster.nodes.get('n2')!.setMetadata({ ...tagsOf(1), version: '2' });
    await cluster.waitAll('update', 'n2', t, 5000);

    await hold();
    t = cluster.now();
    say('killing n5 (no leave): the others suspect it, then declare it failed');
    await cluster.kill('n5');
    await cluster.waitAny('suspect', 'n5', t, 8000);
    await cluster.waitAll('fail', 'n5', t, 8000);

    await hold();
    t = cluster.now();
    say('restarting n5 on its old port; it refutes its death and rejoins');
    await cluster.start('n5', tagsOf(4));
    await cluster.nodes.get('n5')!.join(seed);
    await cluster.waitAll('join', 'n5', t, 8000);

    await hold();
    t = cluster.now();
    say('n4 leaves gracefully: the others record a leave, not a failure');
    const n4 = cluster.nodes.get('n4')!;
    await n4.leave({ timeoutMs: 3000 });
    await cluster.waitAll('leave', 'n4', t, 5000);
    await cluster.kill('n4');

    await hold();
    const counts = EVENTS.map((e) => `${e} ×${cluster.seen.filter((x) => x.event === e).length}`).join(', ');
    say(`done in ${(cluster.now() / 1000).toFixed(1)} s; events seen: ${counts}`);
    return EXIT.ok;
  } finally {
    screen?.stop();
    await cluster.shutdown();
  }
}

function eventDetail(s: Seen): string {
  const m = s.member;
  const tags = m.tags ? Object.entries(m.tags).map(([k, v]) => `${k}=${v}`).join(',') : '';
  return `(${m.address}, inc ${m.incarnation}${tags ? `, ${tags}` : ''})`;
}
