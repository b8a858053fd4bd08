/** The byte sequences captured from Go memberlist v0.2.2 in reference §8. */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/wire/codec.js';
import { crc32 } from '../../src/wire/crc32.js';
import type { AliveMessage, PushPullMessage, StreamMessage } from '../../src/wire/messages.js';
import { decodePayload, encodeCompound, openPacket, sealPacket } from '../../src/wire/packet.js';
import { encodeStreamMessage, StreamDecoder } from '../../src/wire/stream.js';
import { LIMITS, LOCALHOST, VSN, ascii, b, hex } from './helpers.js';

const PING = b(`00 85 a4"Node" a1"B" a5"SeqNo" 01 aa"SourceAddr" a4 7f000001 aa"SourceNode" a1"A" aa"SourcePort" cd1edd`);
const ACK = b(`02 82 a7"Payload" c0 a5"SeqNo" 01`);
const NACK = b(`0b 81 a5"SeqNo" 01`);
const INDIRECT = b(`01 88 a4"Nack" c3 a4"Node" a1"C" a4"Port" cd1ef3 a5"SeqNo" 01 aa"SourceAddr" a47f000001
  aa"SourceNode" a1"A" aa"SourcePort" cd1ef1 a6"Target" a47f000001`);
const GOSSIP_PREFIX = b(`0c 6d ef 25 17 07 02 00  3f 00 39 04 86 a4 41 64
  64 72 a4 7f 00 00 01 ab  49 6e 63 61 72 6e 61 74  69 6f 6e 01 a4 4d 65 74  61 a6 6d 65 74 61 2d 42
  a4 4e 6f 64 65 a1 42 a4  50 6f 72 74 cd 1e de a3  56 73 6e a6 01 05 02 00  00 00 04 86 a4 41 64 64`);
const LEAVE = b(`05 83 a4"From" a1"B" ab"Incarnation" 01 a4"Node" a1"B"`);
const SUSPECT = b(`03 83 a4"From" a1"B" ab"Incarnation" 01 a4"Node" a1"C"`);
const PUSH_PULL = b(`06
  83 a4"Join" c3 a5"Nodes" 01 ac"UserStateLen" 09
  87 a4"Addr" a4 7f000001 ab"Incarnation" 01 a4"Meta" a6"meta-B" a4"Name" a1"B"
     a4"Port" cd1ede a5"State" 00 a3"Vsn" a6 010502000000
  55 53 45 52 53 54 41 54 45`);
const USER_RELIABLE = b(`08 81 aa"UserMsgLen" 0e "hello-reliable"`);
const COMPRESSED_PREFIX = b(`09 82 a4"Algo" 00 a3"Buf" da 0072 | 00 0d 0c 22 a5 e4`);

const aliveB: AliveMessage = { type: 'alive', incarnation: 1, node: 'B', addr: LOCALHOST, port: 7902, meta: ascii('meta-B'), vsn: VSN };
const aliveA: AliveMessage = { type: 'alive', incarnation: 1, node: 'A', addr: LOCALHOST, port: 7901, meta: null, vsn: VSN };
const pushPull: PushPullMessage = {
  type: 'push-pull',
  join: true,
  nodes: [{ name: 'B', addr: LOCALHOST, port: 7902, meta: ascii('meta-B'), incarnation: 1, state: 0, vsn: VSN }],
  userState: ascii('USERSTATE'),
};

function decodeStream(bytes: Uint8Array): StreamMessage {
  const d = new StreamDecoder({ expectLabelPreamble: false, limits: LIMITS });
  d.push(bytes);
  const step = d.next();
  if (step.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(step)}`);
  return step.message;
}

describe('reference §8.1: UDP probe messages', () => {
  const table = [
    ['ping (59 bytes)', PING, 59, { type: 'ping', seqNo: 1, node: 'B', sourceAddr: LOCALHOST, sourceNode: 'A', sourcePort: 7901 }],
    ['ack (18 bytes)', ACK, 18, { type: 'ack', seqNo: 1, payload: null }],
    ['nack (9 bytes)', NACK, 9, { type: 'nack', seqNo: 1 }],
    [
      'indirect ping (85 bytes)',
      INDIRECT,
      85,
      { type: 'indirect-ping', seqNo: 1, target: LOCALHOST, port: 7923, node: 'C', nack: true, sourceAddr: LOCALHOST, sourceNode: 'A', sourcePort: 7921 },
    ],
  ] as const;

  it.each(table)('%s: encodes to the captured bytes and decodes back', (_name, bytes, length, msg) => {
    expect(bytes.length).toBe(length);
    expect(hex(encodeMessage(msg))).toBe(hex(bytes));
    expect(decodeMessage(bytes)).toEqual({ ok: true, value: msg });
  });
});

describe('reference §8.2: gossip', () => {
  it('alive compound with CRC: 131 bytes, captured prefix and CRC 6def2517', () => {
    const [compound, ...rest] = encodeCompound([encodeMessage(aliveB), encodeMessage(aliveA)]);
    expect(rest).toEqual([]);
    const packet = sealPacket(compound!, { compress: false, crc: true });
    expect(packet.length).toBe(131);
    expect(hex(packet.subarray(0, GOSSIP_PREFIX.length))).toBe(hex(GOSSIP_PREFIX));
    expect(crc32(packet.subarray(5))).toBe(0x6def2517);
    const opened = openPacket(packet, {});
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(decodePayload(opened.value, LIMITS)).toEqual({ messages: [aliveB, aliveA], errors: [] });
  });

  it('alive parts: 63 and 57 bytes, Vsn as fixstr a6, nil Meta as c0', () => {
    const partB = encodeMessage(aliveB);
    const partA = encodeMessage(aliveA);
    expect([partB.length, partA.length]).toEqual([63, 57]);
    expect(hex(partB)).toContain(hex(b(`a3"Vsn" a6 010502000000`)));
    expect(hex(partA)).toContain(hex(b(`a4"Meta" c0`)));
  });

  it('leave (dead with From == Node) with CRC', () => {
    const dead = { type: 'dead', incarnation: 1, node: 'B', from: 'B' } as const;
    expect(hex(encodeMessage(dead))).toBe(hex(LEAVE));
    const packet = sealPacket(LEAVE, { compress: false, crc: true });
    expect(packet[0]).toBe(0x0c);
    expect(decodePayload(LEAVE, LIMITS).messages).toEqual([dead]);
  });

  it('buddy-system compound: ping before the suspect riding with it', () => {
    const ping = { type: 'ping', seqNo: 1, node: 'C', sourceAddr: LOCALHOST, sourceNode: 'B', sourcePort: 7902 } as const;
    const suspect = { type: 'suspect', incarnation: 1, node: 'C', from: 'B' } as const;
    expect(hex(encodeMessage(suspect))).toBe(hex(SUSPECT));
    const [compound] = encodeCompound([encodeMessage(ping), SUSPECT]);
    expect(hex(compound!.subarray(0, 6))).toBe('070200' + '3b001d');
    expect(decodePayload(compound!, LIMITS).messages).toEqual([ping, suspect]);
  });
});

describe('reference §8.3: TCP streams', () => {
  it('push/pull: 107 bytes', () => {
    expect(PUSH_PULL.length).toBe(107);
    expect(hex(encodeStreamMessage(pushPull, { compress: false, labelPreamble: false }))).toBe(hex(PUSH_PULL));
    expect(decodeStream(PUSH_PULL)).toEqual(pushPull);
  });

  it('reliable user message', () => {
    const msg = { type: 'user', payload: ascii('hello-reliable') } as const;
    expect(hex(encodeStreamMessage(msg, { compress: false, labelPreamble: false }))).toBe(hex(USER_RELIABLE));
    expect(decodeStream(USER_RELIABLE)).toEqual(msg);
  });

  it('TCP fallback ping and its ack', () => {
    const ack = { type: 'ack', seqNo: 1, payload: null } as const;
    expect(hex(encodeStreamMessage(ack, { compress: false, labelPreamble: false }))).toBe(hex(ACK));
    expect(decodeStream(PING)).toMatchObject({ type: 'ping', seqNo: 1, node: 'B' });
  });

  it('compressed push/pull: 129 bytes starting 09 82 … da 0072 | 00 0d 0c 22 a5 e4', () => {
    const bytes = encodeStreamMessage(pushPull, { compress: true, labelPreamble: false });
    expect(bytes.length).toBe(129);
    expect(hex(bytes.subarray(0, COMPRESSED_PREFIX.length))).toBe(hex(COMPRESSED_PREFIX));
    expect(decodeStream(bytes)).toEqual(pushPull);
  });
});
