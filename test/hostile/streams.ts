/**
 * Hostile TCP streams: malformed requests, stalled and trickling ones, noise, and the raw
 * connection that sends them. Shared by the hostile-traffic tests and the fuzzer.
 *
 * A stream exchange is the costly half of memberlist's wire: each one holds a socket and a read
 * buffer until it completes or the node's `tcpTimeoutMs` runs out. A node must answer a malformed
 * request with an errResp at once and reap whatever stalls on its deadline.
 * @module
 */
import net from 'node:net';
import { DEFAULT_WIRE_LIMITS } from '../../src/options.js';
import { writePushNodeState, writePushPullHeader, writeUserMsgHeader } from '../../src/wire/bodies.js';
import { StreamDecoder, type PacketSecurity } from '../../src/wire/index.js';
import { Writer } from '../../src/wire/writer.js';
import { ascii, concat, randomBytes, type Rng } from './bytes.js';
import { compressionBomb, VSN } from './generators.js';

/** The bytes `write` puts into a fresh {@link Writer}, as a new array. */
export function frame(write: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  write(w);
  return w.finish().slice();
}

/** A valid `pushNodeState` map for a ghost that never exists (the push/pull it rides in never completes). */
export function ghostNodeState(i: number): Uint8Array {
  return frame((w) =>
    writePushNodeState(w, { name: `ghost-${i}`, addr: Uint8Array.of(127, 0, 0, 1), port: 1, meta: null, incarnation: 1, state: 0, vsn: VSN }),
  );
}

/** A stream request that is malformed as soon as it arrives, and the drop reason it must be counted under. */
export interface MalformedStream {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly reason: string;
}

/**
 * Requests a node without a label or keyring must refuse at once (memberlist's errResp, then
 * hang up), one per decoder check: unknown type, label or encryption it does not use, counts and
 * lengths over the caps, a compression bomb, invalid msgpack.
 */
export function malformedStreams(rng: Rng): MalformedStream[] {
  return [
    { label: 'unknown type byte', bytes: concat([0xee], randomBytes(rng, 32)), reason: 'unknown-type' },
    { label: 'label preamble, but the node has no label', bytes: concat([0xf4, 3], ascii('abc'), [6]), reason: 'unknown-type' },
    { label: 'encrypted, but the node has no keyring', bytes: concat([10, 0, 0, 0, 40], randomBytes(rng, 40)), reason: 'decrypt-failed' },
    { label: 'push/pull of 2^21 nodes', bytes: frame((w) => writePushPullHeader(w, { join: true, nodes: 2 ** 21, userStateLen: 0 })), reason: 'too-large' },
    { label: 'push/pull with 2 GiB of user state', bytes: frame((w) => writePushPullHeader(w, { join: false, nodes: 0, userStateLen: 2 ** 31 })), reason: 'too-large' },
    { label: 'user message of 2 GiB', bytes: frame((w) => writeUserMsgHeader(w, 2 ** 31)), reason: 'too-large' },
    { label: 'stream compression bomb', bytes: compressionBomb(DEFAULT_WIRE_LIMITS.maxDecompressedBytes + 1024 * 1024), reason: 'too-large' },
    { label: 'invalid msgpack byte', bytes: Uint8Array.of(6, 0xc1), reason: 'malformed' },
  ];
}

/** One raw TCP connection to a node that we never end or destroy ourselves (until cleanup). */
export class TcpAttacker {
  readonly socket: net.Socket;
  readonly received: Buffer[] = [];
  private receivedBytes = 0;
  connected = false;
  /** The node closed the connection (or reset it): we never close it before cleanup. */
  closed = false;
  /** When the node hung up, `Date.now()`. */
  closedAt: number | undefined;

  private constructor(port: number, host: string, onCleanup: ((fn: () => void) => void) | undefined) {
    this.socket = net.connect({ host, port, allowHalfOpen: true });
    this.socket.on('error', () => {}); // EPIPE / ECONNRESET once the node hangs up on us: expected
    this.socket.on('data', (chunk: Buffer) => {
      if (this.receivedBytes < 1 << 20) {
        this.received.push(chunk);
        this.receivedBytes += chunk.length;
      }
    });
    // The node hung up: its FIN ('end'; we allow half-open, so no automatic 'close') or a reset ('close').
    const hungUp = (): void => {
      if (this.closed) return;
      this.closed = true;
      this.closedAt = Date.now();
    };
    this.socket.on('end', hungUp).on('close', hungUp);
    onCleanup?.(() => this.socket.destroy());
  }

  /**
   * Connects to `host:port` (default host 127.0.0.1). `onCleanup` receives a function that
   * destroys the socket, for the caller's teardown list.
   */
  static open(port: number, options: { host?: string; onCleanup?: (fn: () => void) => void } = {}): Promise<TcpAttacker> {
    const a = new TcpAttacker(port, options.host ?? '127.0.0.1', options.onCleanup);
    return new Promise((resolve, reject) => {
      a.socket.once('connect', () => {
        a.connected = true;
        resolve(a);
      });
      a.socket.once('close', () => reject(new Error('attacker connection closed before connecting')));
    });
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Writes `total` bytes of `rng` noise as fast as the node takes them, until done or it hangs up. */
  async pump(rng: Rng, total: number): Promise<void> {
    const chunk = randomBytes(rng, 64 * 1024);
    for (let sent = 0; sent < total && !this.closed && !this.socket.destroyed; sent += chunk.length) {
      if (!this.socket.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.socket.off('drain', done).off('close', done).off('end', done);
            resolve();
          };
          this.socket.on('drain', done).on('close', done).on('end', done);
        });
      }
    }
  }

  /**
   * The first stream message the node wrote back (its type), `undecodable: <code>`, or undefined
   * if none arrived complete. `security` is the node's keyring and label, if it has them.
   */
  reply(security: PacketSecurity = {}): string | undefined {
    const decoder = new StreamDecoder({ ...security, expectLabelPreamble: false, limits: DEFAULT_WIRE_LIMITS });
    for (const b of this.received) decoder.push(b);
    const step = decoder.next();
    return step.kind === 'message' ? step.message.type : step.kind === 'error' ? `undecodable: ${step.error.code}` : undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
