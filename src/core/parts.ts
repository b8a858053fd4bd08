/**
 * The core's state, split among owners, and how they are wired. Each owner keeps its fields
 * private behind narrow methods, and each family of protocol logic is a method of the owner whose
 * state it changes; an owner receives only the others it needs (its `…Deps`).
 *
 * | owner | file | holds |
 * |---|---|---|
 * | `SelfState` | self.ts | identity, started / leaving, our entry, refutation |
 * | `MemberTable`, `FailedMembers`, `ReconnectTicker` | members.ts, reconnect.ts | every member in probe order; reaped failed ones; the reconnect ticker |
 * | `Membership` | state-merge.ts | the alive / suspect / dead rules and the running suspicions |
 * | `ConflictLog` | conflicts.ts | name conflicts already reported |
 * | `Admission` | admission.ts | the host's vetoes already given (the hook is asked through `CoreConfig.admit`) |
 * | `AccuserTrust`, `Isolation` | trust.ts, isolation.ts | when members came back; whether we are cut off |
 * | `ProbeCycle` | probe.ts | the probe ticker, the probe in flight and its watchdog |
 * | `Responder` | responder.ts | acks to pings; relay handlers for indirect pings |
 * | `GossipQueues`, `GossipTicker` | queues.ts, gossip.ts | both transmit-limited queues; the gossip ticker (parking) |
 * | `Outbox` | outbox.ts | piggybacking, compounds, the CRC decision |
 * | `PushPull`, `Streams` | push-pull.ts, streams.ts | anti-entropy ticker, merge, comeback exchanges; pending stream exchanges |
 * | `Health`, `StallGuard` | health.ts, stall.ts | the Lifeguard score; the stall rule |
 *
 * Each timer type belongs to the owner that schedules it, which alone answers whether it is stale.
 * @module
 */
import { Admission } from './admission.js';
import { piggybackBudget, type CoreConfig } from './config.js';
import { ConflictLog } from './conflicts.js';
import type { Effects } from './effects.js';
import { GossipTicker } from './gossip.js';
import { Health } from './health.js';
import { SeqNumbers, TimerTokens } from './ids.js';
import { Isolation } from './isolation.js';
import { MemberTable, type MemberEntry } from './members.js';
import { Outbox } from './outbox.js';
import { ProbeCycle } from './probe.js';
import { PushPull } from './push-pull.js';
import { GossipQueues } from './queues.js';
import type { Random } from './random.js';
import { FailedMembers, ReconnectTicker } from './reconnect.js';
import { Responder } from './responder.js';
import { SelfState } from './self.js';
import { StallGuard } from './stall.js';
import { Membership } from './state-merge.js';
import { Streams } from './streams.js';
import { AccuserTrust } from './trust.js';

/** Every owner of one core's state. */
export interface CoreParts {
  readonly config: CoreConfig;
  /** The only source of randomness. */
  readonly random: Random;
  readonly self: SelfState;
  readonly table: MemberTable;
  readonly health: Health;
  readonly stall: StallGuard;
  readonly queues: GossipQueues;
  readonly outbox: Outbox;
  readonly membership: Membership;
  readonly isolation: Isolation;
  readonly probe: ProbeCycle;
  readonly responder: Responder;
  readonly gossip: GossipTicker;
  readonly pushPull: PushPull;
  readonly reconnect: ReconnectTicker;
  readonly streams: Streams;
  readonly admission: Admission;
}

/** Builds the owners of a fresh core (no effects). */
export function createParts(config: CoreConfig, random: Random): CoreParts {
  const tokens = new TimerTokens();
  const seq = new SeqNumbers();
  const members = new MemberTable();
  const failed = new FailedMembers();
  const streams = new Streams();
  const health = new Health(config.awarenessMaxMultiplier);
  const stall = new StallGuard(config, health);
  const queues = new GossipQueues(config.retransmitMult, piggybackBudget(config));
  const self = new SelfState(config, health, queues);
  const outbox = new Outbox(config, members, queues);
  const trust = new AccuserTrust({ config, members, failed });
  const admission = new Admission(config, members);
  // A comeback (dead → alive) is seen by the membership rules and answered by push/pull, which
  // depends on them: the hook resolves `pushPull` when it is called, after construction.
  let pushPull: PushPull | undefined;
  const comebacks = { ask: (now: number, fx: Effects, member: MemberEntry) => pushPull?.askComeback(now, fx, member) };
  const membership = new Membership({ config, random, tokens, self, members, queues, stall, outbox, trust, conflicts: new ConflictLog(), admission, comebacks });
  const isolation = new Isolation(membership);
  return {
    config,
    random,
    self,
    table: members,
    health,
    stall,
    queues,
    outbox,
    membership,
    isolation,
    probe: new ProbeCycle({ config, random, tokens, seq, self, members, failed, membership, isolation, outbox, health, stall, streams }),
    responder: new Responder({ config, tokens, seq, self, members, failed, outbox, stall }),
    gossip: new GossipTicker({ config, random, tokens, members, queues, outbox }),
    pushPull: (pushPull = new PushPull({ config, random, tokens, self, members, failed, membership, streams, admission, outbox })),
    reconnect: new ReconnectTicker({ config, random, tokens, self, members, failed, exchange: (fx, address) => pushPull?.reconnect(fx, address, true) }),
    streams,
    admission,
  };
}
