/** Decoder leniency (everything Go accepts, reference §1.2/§8.4), rejections, and encoder forms. */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/wire/codec.js';
import type { AliveMessage } from '../../src/wire/messages.js';
import { LOCALHOST, VSN, ascii, b, hex } from './helpers.js';

const ALIVE_FIELDS = `a4"Addr" a4 7f000001 ab"Incarnation" 01 a4"Meta" a6"meta-B" a4"Node" a1"B" a4"Port" cd1ede a3"Vsn" a6 010502000000`;
const aliveB: AliveMessage = { type: 'alive', incarnation: 1, node: 'B', addr: LOCALHOST, port: 7902, meta: ascii('meta-B'), vsn: VSN };

function code(bytes: Uint8Array): string {
  const r = decodeMessage(bytes);
  return r.ok ? 'ok' : r.error.code;
}

describe('decodeMessage accepts what Go accepts', () => {
  it('the canonical Go alive', () => {
    expect(decodeMessage(b(`04 86 ${ALIVE_FIELDS}`))).toEqual({ ok: true, value: aliveB });
  });

  it('§8.4: name as str8 d9, Addr and Vsn as bin8', () => {
    const bytes = b(`04 86 a4"Addr" c4 04 7f000001 ab"Incarnation" 01 a4"Meta" a6"meta-B" a4"Node" d9 01"B"
      a4"Port" cd1ede a3"Vsn" c4 06 010502000000`);
    expect(decodeMessage(bytes)).toEqual({ ok: true, value: aliveB });
  });

  it('§8.4: Vsn as a fixarray of small ints, and ints in wider forms than needed', () => {
    const bytes = b(`04 86 a4"Addr" a4 7f000001 ab"Incarnation" ce 00000001 a4"Meta" a6"meta-B" a4"Node" a1"B"
      a4"Port" cf 0000000000001ede a3"Vsn" 96 01 05 02 00 cc00 d000`);
    expect(decodeMessage(bytes)).toEqual({ ok: true, value: aliveB });
  });

  it('16-byte IPv4-mapped Addr is kept as 16 raw bytes', () => {
    const mapped = b('00000000000000000000ffff7f000001');
    const r = decodeMessage(b(`04 82 a4"Addr" b0 ${hex(mapped)} a3"Vsn" a6 010502000000`));
    expect(r.ok && r.value.type === 'alive' && hex(r.value.addr)).toBe(hex(mapped));
  });

  it('keys in any order, unknown keys of every type skipped, missing keys are zero values', () => {
    const bytes = b(`04 8b a3"Vsn" a6 010502000000 a5"Extra" 82 a1"x" 93 01 ca3f800000 d6 01 00000000 a1"y" c0
      a4"Node" a1"B" a3"Big" db 00000003 "abc" a3"Ext" c7 02 05 ffff a4"Port" cd1ede a3"Neg" d3 ffffffffffffffff
      a3"Flt" cb 0000000000000000 a4"Addr" a4 7f000001 a4"Meta" a6"meta-B" a3"Arr" dc 0002 c3 c2`);
    expect(decodeMessage(bytes)).toEqual({ ok: true, value: { ...aliveB, incarnation: 0 } });
  });

  it('an empty map is a zero alive: no Addr, no Vsn, nil Meta', () => {
    expect(decodeMessage(b('04 80'))).toEqual({
      ok: true,
      value: { type: 'alive', incarnation: 0, node: '', addr: new Uint8Array(0), port: 0, meta: null, vsn: new Uint8Array(0) },
    });
  });

  it('empty vs nil byte fields: a0 is empty, c0 is null', () => {
    const r = decodeMessage(b(`02 82 a7"Payload" a0 a5"SeqNo" 01`));
    expect(r.ok && r.value.type === 'ack' && r.value.payload).toEqual(new Uint8Array(0));
  });

  it('strings may be bin (go-msgpack v2 leniency); byte fields are never UTF-8 decoded', () => {
    const r = decodeMessage(b(`03 83 a4"From" c4 01"B" ab"Incarnation" 01 a4"Node" a1"C"`));
    expect(r).toEqual({ ok: true, value: { type: 'suspect', incarnation: 1, node: 'C', from: 'B' } });
    const meta = b('ff 80 c3 28 ed a0 80'); // invalid UTF-8 must survive untouched
    const alive = decodeMessage(b(`04 81 a4"Meta" a7 ${hex(meta)}`));
    expect(alive.ok && alive.value.type === 'alive' && hex(alive.value.meta!)).toBe(hex(meta));
  });

  it('non-ASCII names round-trip as UTF-8', () => {
    const msg = { type: 'dead', incarnation: 7, node: 'nœud-ü-😀', from: 'x' } as const;
    expect(decodeMessage(encodeMessage(msg))).toEqual({ ok: true, value: msg });
  });

  it('user messages are the raw bytes after 08; trailing bytes after a map are ignored', () => {
    expect(decodeMessage(b('08 01 02 03'))).toEqual({ ok: true, value: { type: 'user', payload: b('010203') } });
    expect(decodeMessage(b('08'))).toEqual({ ok: true, value: { type: 'user', payload: new Uint8Array(0) } });
    expect(code(b(`0b 81 a5"SeqNo" 01 ff ff`))).toBe('ok');
  });

  it('decoded byte fields are copies, not views of the input', () => {
    const input = b(`04 86 ${ALIVE_FIELDS}`);
    const r = decodeMessage(input);
    input.fill(0);
    expect(r.ok && r.value).toEqual(aliveB);
  });
});

describe('decodeMessage rejects', () => {
  it.each([
    ['SeqNo above u32', `0b 81 a5"SeqNo" cf 0000000100000000`, 'bad-field'],
    ['negative SeqNo', `0b 81 a5"SeqNo" ff`, 'bad-field'],
    ['negative SeqNo as int64', `0b 81 a5"SeqNo" d3 ffffffffffffffff`, 'bad-field'],
    ['Port above u16', `04 81 a4"Port" ce 00010000`, 'bad-field'],
    ['SeqNo as a string', `0b 81 a5"SeqNo" a1"1"`, 'bad-field'],
    ['Nack as an int', `01 81 a4"Nack" 01`, 'bad-field'],
    ['Node as an int', `00 81 a4"Node" 01`, 'bad-field'],
    ['Vsn of 5 bytes', `04 81 a3"Vsn" a5 0105020000`, 'bad-field'],
    ['Vsn of 7 bytes', `04 81 a3"Vsn" a7 01050200000000`, 'bad-field'],
    ['Addr of 5 bytes', `04 81 a4"Addr" a5 7f00000101`, 'bad-field'],
    ['Vsn array element over 255', `04 81 a3"Vsn" 96 01 05 02 00 00 cd0100`, 'bad-field'],
    ['body not a map', `04 93 01 02 03`, 'malformed'],
    ['non-string key', `04 81 01 02`, 'malformed'],
    ['map count past the end', `04 8f a4"Node"`, 'truncated'],
    ['map32 count 2^32-1', `04 df ffffffff`, 'truncated'],
    ['string past the end', `00 81 a4"Node" db 7fffffff 41`, 'truncated'],
    ['unknown value past the end', `00 82 a1"x" dd ffffffff 01`, 'truncated'],
    ['deeply nested unknown value', `00 81 a1"x" ${'91'.repeat(5000)}`, 'truncated'],
    ['reserved byte c1', `00 81 a1"x" c1`, 'malformed'],
    ['missing type byte', ``, 'truncated'],
    ['compound (not a single message)', `07 00`, 'unknown-type'],
    ['type 13 in a packet', `0d 81 a5"Error" a1"x"`, 'unknown-type'],
    ['label byte', `f4 01 41`, 'unknown-type'],
  ])('%s', (_name, spec, expected) => {
    expect(code(b(spec))).toBe(expected);
  });

  it('never throws on deep nesting (iterative skip)', () => {
    const deep = b(`00 82 a1"x" ${'91'.repeat(200_000)} 01 a4"Node" a1"B"`);
    expect(decodeMessage(deep)).toMatchObject({ ok: true, value: { type: 'ping', node: 'B' } });
  });
});

describe('encodeMessage writes what Go writes', () => {
  it('ints in the smallest form', () => {
    const forms: [number, string][] = [[0, '00'], [127, '7f'], [128, 'cc80'], [255, 'ccff'], [256, 'cd0100'], [65535, 'cdffff'], [65536, 'ce00010000'], [0xffffffff, 'ceffffffff']];
    for (const [n, form] of forms) expect(hex(encodeMessage({ type: 'nack', seqNo: n }))).toBe(hex(b(`0b 81 a5"SeqNo"`)) + form);
  });

  it('strings: fixstr below 32 bytes, then str16 da (never d9), str32 db from 64 KiB', () => {
    const at = (n: number): string => hex(encodeMessage({ type: 'error', error: 'x'.repeat(n) })).slice(16, 22);
    expect(at(31).slice(0, 2)).toBe('bf');
    expect(at(32)).toBe('da0020');
    expect(at(255)).toBe('da00ff');
    expect(at(65535)).toBe('daffff');
    expect(at(65536).slice(0, 2)).toBe('db');
  });

  it('byte fields as raw str; nil as c0; Source* omitted when empty', () => {
    expect(hex(encodeMessage({ type: 'ack', seqNo: 1, payload: new Uint8Array(40) }))).toContain('da0028');
    expect(hex(encodeMessage({ type: 'ping', seqNo: 1, node: '', sourceAddr: new Uint8Array(0), sourceNode: '', sourcePort: 0 }))).toBe(
      hex(b(`00 82 a4"Node" a0 a5"SeqNo" 01`)),
    );
  });

  it('throws RangeError on host bugs', () => {
    expect(() => encodeMessage({ type: 'nack', seqNo: -1 })).toThrow(RangeError);
    expect(() => encodeMessage({ type: 'nack', seqNo: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeMessage({ type: 'nack', seqNo: 1.5 })).toThrow(RangeError);
    expect(() => encodeMessage({ ...{ type: 'alive', incarnation: 1, node: 'B', addr: LOCALHOST, port: 70000, meta: null, vsn: VSN } })).toThrow(RangeError);
    expect(() => encodeMessage({ type: 'alive', incarnation: 1, node: 'B', addr: LOCALHOST, port: 1, meta: null, vsn: VSN.subarray(0, 3) })).toThrow(RangeError);
    expect(() => encodeMessage({ type: 'alive', incarnation: 1, node: 'B', addr: b('0102'), port: 1, meta: null, vsn: VSN })).toThrow(RangeError);
  });
});
