/** fast-check arbitraries for canonical hearsay wire messages (what the decoders return). */
import fc from 'fast-check';
import type {
  AckMessage,
  AliveMessage,
  DeadMessage,
  IndirectPingMessage,
  NackMessage,
  PacketMessage,
  PingMessage,
  PushNodeState,
  PushPullMessage,
  StreamMessage,
  SuspectMessage,
  UserMessage,
} from '../../src/wire/messages.js';

export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
/** Names: mostly short ASCII, sometimes full Unicode, sometimes ≥ 32 bytes (str16). */
export const name = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 30, maxLength: 300 }) },
);
export const bytes = (maxLength = 80): fc.Arbitrary<Uint8Array> =>
  fc.oneof({ weight: 5, arbitrary: fc.uint8Array({ maxLength: 40 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 30, maxLength }) });
export const addr = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }));
export const vsn = fc.oneof({ weight: 5, arbitrary: fc.uint8Array({ minLength: 6, maxLength: 6 }) }, { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) });
const maybeBytes = (max = 80): fc.Arbitrary<Uint8Array | null> => fc.option(bytes(max), { nil: null });

/** Optional Source* fields, present only when non-zero (the canonical decoded form). */
const source = fc
  .record({ sourceAddr: addr, sourcePort: u16, sourceNode: name })
  .map(({ sourceAddr, sourcePort, sourceNode }) => ({
    ...(sourceAddr.length > 0 ? { sourceAddr } : {}),
    ...(sourcePort !== 0 ? { sourcePort } : {}),
    ...(sourceNode !== '' ? { sourceNode } : {}),
  }));

export const ping: fc.Arbitrary<PingMessage> = fc
  .tuple(u32, name, source)
  .map(([seqNo, node, s]) => ({ type: 'ping', seqNo, node, ...s }));
export const indirectPing: fc.Arbitrary<IndirectPingMessage> = fc
  .tuple(u32, addr, u16, name, fc.boolean(), source)
  .map(([seqNo, target, port, node, nack, s]) => ({ type: 'indirect-ping', seqNo, target, port, node, nack, ...s }));
export const ack: fc.Arbitrary<AckMessage> = fc.record({ type: fc.constant('ack'), seqNo: u32, payload: maybeBytes(200) });
export const nack: fc.Arbitrary<NackMessage> = fc.record({ type: fc.constant('nack'), seqNo: u32 });
export const suspect: fc.Arbitrary<SuspectMessage> = fc.record({ type: fc.constant('suspect'), incarnation: u32, node: name, from: name });
export const dead: fc.Arbitrary<DeadMessage> = fc.record({ type: fc.constant('dead'), incarnation: u32, node: name, from: name });
export const alive: fc.Arbitrary<AliveMessage> = fc.record({
  type: fc.constant('alive'),
  incarnation: u32,
  node: name,
  addr,
  port: u16,
  meta: maybeBytes(512),
  vsn,
});
export const user: fc.Arbitrary<UserMessage> = fc.record({ type: fc.constant('user'), payload: bytes(300) });

export const packetMessage: fc.Arbitrary<PacketMessage> = fc.oneof(ping, indirectPing, ack, nack, suspect, dead, alive, user);

export const pushNode: fc.Arbitrary<PushNodeState> = fc.record({
  name,
  addr,
  port: u16,
  meta: maybeBytes(512),
  incarnation: u32,
  state: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
  vsn,
});
export const pushPull: fc.Arbitrary<PushPullMessage> = fc.record({
  type: fc.constant('push-pull'),
  join: fc.boolean(),
  nodes: fc.array(pushNode, { maxLength: 20 }),
  userState: bytes(2000),
});
export const streamMessage: fc.Arbitrary<StreamMessage> = fc.oneof(
  { weight: 4, arbitrary: pushPull },
  { weight: 1, arbitrary: user },
  { weight: 1, arbitrary: ping },
  { weight: 1, arbitrary: ack },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('error'), error: name }) },
);

export const key = fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
export const label = fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: undefined });
