/**
 * The fuzz attacker: a child process that sends the target cluster random and structure-aware
 * datagrams (paced with the driver, see `protocol.ts`) and, at the same time, malformed, stalled
 * and trickling TCP streams, then reports what it sent and how each stream ended.
 *
 * Run by `run-fuzz.ts` as `node --import tsx test/fuzz/attacker.ts '<AttackConfig JSON>'`, with an
 * IPC channel. Every input it sends first goes through the wire decoder with the cluster's own
 * settings; inputs that would decode to something able to change a member table (a phantom's
 * alive, a live accusation) are replaced, so a changed table afterwards is hearsay's fault.
 * @module
 */
import dgram from 'node:dgram';
import { DEFAULT_WIRE_LIMITS } from '../../src/options.js';
import { mulberry32, randInt, randomBytes, type Rng } from '../hostile/bytes.js';
import { encodeMessage, Keyring, sealPacket } from '../../src/wire/index.js';
import { craftedDatagrams, harmless, mutate, pipeline, validDatagram, VSN } from '../hostile/generators.js';
import { malformedStreams, TcpAttacker } from '../hostile/streams.js';
import { harmlessStream, MAX_DATAGRAM, planBytes, securityOf, streamPlan, structuredDatagram, withLabelPreamble, type FuzzContext, type StreamPlan } from '../hostile/structured.js';
import { REAP_SLACK_MS, type AttackConfig, type AttackerMessage, type AttackReport, type DriverMessage, type StreamKindReport } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '') as AttackConfig;
const send = (m: AttackerMessage): void => {
  process.send!(m);
};
const started = Date.now();
const label = new TextEncoder().encode(config.label);
const hostPort = (a: string): { host: string; port: number } => ({ host: a.slice(0, a.lastIndexOf(':')), port: Number(a.slice(a.lastIndexOf(':') + 1)) });
const targets = config.targets.map(hostPort);

const report: AttackReport = {
  datagrams: { sent: 0, bytes: 0, byKind: {}, rejectedAsHarmful: 0, expectedDrops: {}, lost: 0 },
  streams: { total: 0, rejectedAsHarmful: 0, byKind: {} },
  elapsedMs: 0,
};
const bump = (rec: Record<string, number>, key: string, by = 1): void => {
  rec[key] = (rec[key] ?? 0) + by;
};

// ---- datagrams --------------------------------------------------------------------------------

const socket = dgram.createSocket('udp4');
socket.on('message', () => {}); // acks, nacks and relayed pings to our address: ignored
socket.on('error', () => {});
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
const udpPort = socket.address().port;
const ctx: FuzzContext = {
  real: new Set(config.real),
  attacker: { addr: Uint8Array.of(127, 0, 0, 1), port: udpPort },
  keys: [Buffer.from(config.key, 'base64')],
  label,
};
const security = securityOf(ctx, config.allowUnencrypted);

/** Replies to `sent`, in order. */
const readReplies: ((perTarget: readonly number[]) => void)[] = [];
process.on('message', (m: DriverMessage) => {
  if (m.type === 'read') readReplies.shift()?.(m.perTarget);
});

/** One datagram from the mix: 80 % structure-aware, 10 % noise, 10 % mutated plain packets (half labelled). */
function nextDatagram(rng: Rng): { bytes: Uint8Array; kind: string } {
  const roll = rng();
  if (roll < 0.1) return { bytes: randomBytes(rng, rng() < 0.98 ? randInt(rng, 1501) : randInt(rng, MAX_DATAGRAM + 1)), kind: 'noise' };
  if (roll < 0.2) {
    const plain = mutate(rng, validDatagram(rng));
    return { bytes: rng() < 0.5 ? withLabelPreamble(label, plain) : plain, kind: 'hostile' };
  }
  const d = structuredDatagram(rng, ctx);
  return { bytes: d.bytes, kind: `structured/${d.layer}` };
}

/** What the wire decoder makes of `bytes`, at a target: `undefined` if it must not be sent (see the module comment), else the drops it causes. */
function verdict(bytes: Uint8Array): Map<string, number> | undefined {
  const { drops, messages } = pipeline(bytes, DEFAULT_WIRE_LIMITS, security);
  return harmless(messages, ctx) ? drops : undefined;
}

/** A datagram ready to go, judged by {@link verdict}. */
interface Candidate {
  readonly bytes: Uint8Array;
  readonly kind: string;
  readonly drops: Map<string, number> | undefined;
}

/** Records a datagram about to be sent, or counts it as replaced. */
function admit(drops: Map<string, number> | undefined): boolean {
  if (drops === undefined) {
    report.datagrams.rejectedAsHarmful++;
    return false;
  }
  for (const [reason, n] of drops) bump(report.datagrams.expectedDrops, reason, n);
  return true;
}

async function sendDatagrams(rng: Rng): Promise<void> {
  const perTarget = targets.map(() => 0);
  // Built and judged once: decoding the bombs costs ~0.4 s each, which would stall this
  // process's streams (and their timing) if it were redone every round.
  const crafted = craftedDatagrams(rng)
    .flatMap(({ bytes }) => [bytes, withLabelPreamble(label, bytes)])
    .filter((b) => b.length <= MAX_DATAGRAM)
    .map((bytes) => ({ bytes, kind: 'crafted', drops: verdict(bytes) }));
  const fresh = (): Candidate => {
    const d = nextDatagram(rng);
    return { ...d, drops: verdict(d.bytes) };
  };
  const pending: Candidate[] = [];
  let sent = 0;
  let craftedAt = 0;
  while (sent < config.datagrams) {
    // A batch holds at most ~96 KiB of kernel buffer per target (~1 KiB of overhead per datagram on loopback).
    const budget = targets.map(() => 96 * 1024);
    const batch: { bytes: Uint8Array; target: number }[] = [];
    while (sent + batch.length < config.datagrams && batch.length < 512) {
      if (sent + batch.length >= craftedAt) {
        pending.push(...crafted);
        craftedAt += config.craftedEvery;
      }
      const d = pending.shift() ?? fresh();
      const target = randInt(rng, targets.length);
      if (budget[target]! < d.bytes.length + 1024 && batch.length > 0) {
        pending.unshift(d);
        break;
      }
      if (!admit(d.drops)) continue;
      budget[target]! -= d.bytes.length + 1024;
      batch.push({ bytes: d.bytes, target });
      bump(report.datagrams.byKind, d.kind);
    }
    await Promise.all(
      batch.map(
        ({ bytes, target }) =>
          new Promise<void>((resolve) => {
            const t = targets[target]!;
            socket.send(bytes, t.port, t.host, () => resolve());
          }),
      ),
    );
    for (const { bytes, target } of batch) {
      perTarget[target]!++;
      report.datagrams.bytes += bytes.length;
    }
    sent += batch.length;
    report.datagrams.sent = sent;
    const read = await new Promise<readonly number[]>((resolve) => {
      readReplies.push(resolve);
      send({ type: 'sent', perTarget: [...perTarget] });
    });
    report.datagrams.lost = perTarget.reduce((n, s, i) => n + Math.max(0, s - (read[i] ?? 0)), 0);
  }
}

// ---- streams ----------------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Hang-up times per stream kind, for the percentiles in the report. */
const closeTimes = new Map<string, number[]>();

function kindReport(kind: string): StreamKindReport {
  return (report.streams.byKind[kind] ??= { count: 0, closedByNode: 0, notClosed: 0, connectFailed: 0, replies: {}, closeMs: { p50: 0, p99: 0, max: 0 } });
}

function summariseCloseTimes(): void {
  for (const [kind, times] of closeTimes) {
    times.sort((a, b) => a - b);
    const q = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0;
    kindReport(kind).closeMs = { p50: q(0.5), p99: q(0.99), max: times.at(-1) ?? 0 };
  }
}

/** Waits until the node hangs up on `t`, or `ms` pass. */
function hangUp(t: TcpAttacker, ms: number): Promise<void> {
  if (t.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      t.socket.off('end', done).off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    t.socket.on('end', done).on('close', done);
  });
}

async function runStream(plan: StreamPlan, target: { host: string; port: number }): Promise<void> {
  const r = kindReport(plan.kind);
  r.count++;
  const opened = Date.now();
  const t = await TcpAttacker.open(target.port, { host: target.host }).catch(() => undefined);
  if (t === undefined) {
    r.connectFailed++;
    return;
  }
  try {
    // Never reading lets the reply pile up in the kernel; the node must still give up on its deadline.
    if (plan.unread) t.socket.pause();
    const bytes = planBytes(plan);
    if (plan.delivery.mode === 'trickle') {
      for (let at = 0; at < bytes.length && !t.closed; at += plan.delivery.chunk) {
        t.write(bytes.subarray(at, at + plan.delivery.chunk));
        await sleep(plan.delivery.everyMs);
      }
    } else if (bytes.length > 0) {
      t.write(bytes);
    }
    // The node bounds the whole conversation by tcpTimeoutMs.
    await hangUp(t, config.tcpTimeoutMs + REAP_SLACK_MS);
    if (plan.unread) {
      // A paused socket sees no FIN until it reads; whether the node released the stream is checked on its side.
      bump(r.replies, 'unread');
      return;
    }
    if (t.closed) {
      r.closedByNode++;
      const times = closeTimes.get(plan.kind) ?? [];
      times.push((t.closedAt ?? Date.now()) - opened);
      closeTimes.set(plan.kind, times);
    } else {
      r.notClosed++;
    }
    bump(r.replies, t.reply(security) ?? 'none');
  } finally {
    t.destroy();
  }
}

async function sendStreams(rng: Rng): Promise<void> {
  const malformed = malformedStreams(rng).flatMap((m) => [m.bytes, withLabelPreamble(label, m.bytes)]);
  // Judged once, for the same reason as the crafted datagrams (one is a 41 MiB bomb).
  const safe = new Set(malformed.filter((b) => harmlessStream(b, ctx, security)));
  const harmlessPlan = (plan: StreamPlan): boolean => (plan.kind === 'malformed' ? safe.has(plan.bytes) : harmlessStream(planBytes(plan), ctx, security));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < config.streams) {
      next++;
      let plan = streamPlan(rng, ctx, malformed);
      while (!harmlessPlan(plan)) {
        report.streams.rejectedAsHarmful++;
        plan = streamPlan(rng, ctx, malformed);
      }
      await runStream(plan, targets[randInt(rng, targets.length)]!);
      report.streams.total++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.streamConcurrency, config.streams) }, worker));
}

/** The canary (see {@link AttackConfig.canary}): a phantom at our own silent address, admitted by protocol. */
async function sendCanary(): Promise<void> {
  const alive = encodeMessage({ type: 'alive', incarnation: 1, node: 'fuzz-canary-phantom', addr: ctx.attacker.addr, port: udpPort, meta: null, vsn: VSN }).slice();
  const bytes = sealPacket(alive, { compress: false, crc: false, keyring: new Keyring(ctx.keys), label }).slice();
  const t = targets[0]!;
  await new Promise<void>((resolve) => socket.send(bytes, t.port, t.host, () => resolve()));
}

send({ type: 'ready', udp: `127.0.0.1:${udpPort}` });
// Separate generators, so the stream mix does not depend on how the datagram batches interleave.
await Promise.all([
  sendDatagrams(mulberry32(config.seed)).then(async () => {
    if (config.canary) await sendCanary();
  }),
  sendStreams(mulberry32(config.seed ^ 0x5eed)),
]);
summariseCloseTimes();
report.elapsedMs = Date.now() - started;
socket.close();
send({ type: 'done', report });
process.disconnect();
