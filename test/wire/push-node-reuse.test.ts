import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodedPushNodeState, decodePushNodeState, pushNodeName, writePushNodeState } from '../../src/wire/bodies.js';
import type { PushNodeState, PushPullMessage } from '../../src/wire/messages.js';
import { Reader } from '../../src/wire/msgpack.js';
import { encodeStreamMessage, StreamDecoder } from '../../src/wire/stream.js';
import { Writer } from '../../src/wire/writer.js';
import { pushNode } from './arbitraries.js';
import { LIMITS } from './helpers.js';

const encode = (s: PushNodeState): Uint8Array => {
  const w = new Writer();
  w.reset();
  writePushNodeState(w, s);
  return w.finish();
};
const encoded = (s: PushNodeState): EncodedPushNodeState => new EncodedPushNodeState(s.name, s.addr, s.port, s.meta, s.incarnation, s.state, s.vsn);

function decodeAll(bytes: Uint8Array, knownNode?: ConstructorParameters<typeof StreamDecoder>[0]['knownNode']): PushPullMessage {
  const d = new StreamDecoder({ expectLabelPreamble: false, limits: LIMITS, ...(knownNode ? { knownNode } : {}) });
  d.push(bytes);
  const step = d.next();
  if (step.kind !== 'message' || step.message.type !== 'push-pull') throw new Error(`no push/pull: ${JSON.stringify(step)}`);
  return step.message;
}

describe('push/pull entries reused by the sender and the receiver', () => {
  it('an EncodedPushNodeState writes exactly the bytes of the plain object, every time', () => {
    fc.assert(
      fc.property(pushNode, (s) => {
        const e = encoded(s);
        expect(encode(e)).toEqual(encode(s));
        expect(encode(e)).toEqual(encode(s));
        expect(e).toEqual(s);
      }),
    );
  });

  it('pushNodeName reads the name of every map we write (names under 32 bytes), and decodes like the full decoder', () => {
    fc.assert(
      fc.property(pushNode, (s) => {
        const b = encode(s);
        const name = pushNodeName(b, 0, b.length);
        if (new TextEncoder().encode(s.name).length < 32) expect(name).toBe(decodePushNodeState(new Reader(b, 0, b.length)).name);
        else expect(name).toBeUndefined();
        // Cut short: never reads past the end.
        for (let cut = 0; cut < b.length; cut++) expect(() => pushNodeName(b, 0, cut)).not.toThrow();
      }),
    );
  });

  it('knownNode: entries it recognises are used as they are, the rest decoded; the message equals a plain decode', () => {
    fc.assert(
      fc.property(fc.array(pushNode, { maxLength: 12 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (nodes, mineFlags) => {
        const msg: PushPullMessage = { type: 'push-pull', join: false, nodes, userState: new Uint8Array(0) };
        const bytes = encodeStreamMessage(msg, { compress: false, labelPreamble: false });
        const mine = new Map<string, EncodedPushNodeState>();
        nodes.forEach((n, i) => mineFlags[i] && mine.set(n.name, encoded(n)));
        const seen: string[] = [];
        const reused = decodeAll(bytes, (name, buf, start, end) => {
          seen.push(name);
          const m = mine.get(name);
          return m !== undefined && Buffer.compare(m.bytes, buf.subarray(start, end)) === 0 ? m : undefined;
        });
        const plain = decodeAll(bytes);
        expect(reused).toEqual(plain);
        reused.nodes.forEach((n, i) => {
          const m = mine.get(n.name);
          // Names of 32 bytes or more (str16) are always decoded.
          const short = new TextEncoder().encode(n.name).length < 32;
          expect(n === m).toBe(m !== undefined && short && Buffer.compare(m.bytes, encode(nodes[i]!)) === 0);
        });
      }),
    );
  });
});
