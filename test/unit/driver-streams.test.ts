/**
 * Stream deadlines in the driver: `tcpTimeoutMs` bounds the whole conversation, writes included.
 * A peer that stops reading must not hold an inbound slot, or a join, open forever.
 */
import { describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.js';
import { seededRandom } from '../../src/core/random.js';
import { ErrorCode, TimeoutError } from '../../src/errors.js';
import { noopLogger, noopMetrics } from '../../src/observability.js';
import { resolveOptions } from '../../src/options.js';
import { systemClock } from '../../src/runtime/clock.js';
import { Driver } from '../../src/runtime/driver.js';
import type { StreamConnection, Transport } from '../../src/transport/transport.js';
import { encodeStreamMessage } from '../../src/wire/stream.js';
import { addr, config } from '../core/helpers.js';
import { waitUntil } from '../../src/testing/wait.js';

/** A connection that delivers `incoming` and then waits; its writes never complete until destroyed. */
class TarpitConnection implements StreamConnection {
  readonly remoteAddress = '10.0.0.9:7946';
  destroyed = false;
  writes = 0;
  private readonly onDestroy: (() => void)[] = [];

  constructor(private readonly incoming: Uint8Array | undefined) {}

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let sent = this.incoming === undefined;
    return {
      next: () => {
        if (!sent) {
          sent = true;
          return Promise.resolve({ done: false, value: this.incoming! });
        }
        if (this.destroyed) return Promise.reject(new Error('destroyed'));
        return new Promise((_, reject) => this.onDestroy.push(() => reject(new Error('destroyed'))));
      },
    };
  }
  write(): Promise<void> {
    this.writes++;
    if (this.destroyed) return Promise.reject(new Error('destroyed'));
    return new Promise((_, reject) => this.onDestroy.push(() => reject(new Error('destroyed'))));
  }
  end(): Promise<void> {
    if (this.destroyed) return Promise.reject(new Error('destroyed'));
    return new Promise((_, reject) => this.onDestroy.push(() => reject(new Error('destroyed'))));
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const f of this.onDestroy.splice(0)) f();
  }
}

function driverWith(dial: () => Promise<StreamConnection>): Driver {
  const options = resolveOptions({ name: 'a', tcpTimeoutMs: 100, pushPullIntervalMs: 0 });
  const transport: Transport = {
    localAddress: addr(1),
    mtu: 1400,
    start: async () => {},
    send: async () => {},
    dial,
    close: async () => {},
  };
  const core = new Core(config('a', 1, { pushPullIntervalMs: 0 }), seededRandom(1));
  const driver = new Driver(core, { options, transport, clock: systemClock, logger: noopLogger, metrics: noopMetrics, onEvent: () => {}, onFatal: () => {} });
  driver.begin();
  return driver;
}

describe('driver stream deadlines', () => {
  it('hangs up on an inbound peer that sends a request and never reads the reply', async () => {
    const driver = driverWith(() => Promise.reject(new Error('unused')));
    try {
      const request = encodeStreamMessage({ type: 'push-pull', join: false, nodes: [], userState: new Uint8Array(0) }, { compress: false, labelPreamble: false });
      const conn = new TarpitConnection(request);
      driver.handleStream(conn);
      await waitUntil(() => conn.writes > 0, 5000, 'the reply to be written');
      await waitUntil(() => conn.destroyed, 5000, 'the inbound stream to be destroyed after tcpTimeoutMs');
    } finally {
      driver.stop();
    }
  });

  it('fails an outbound exchange whose peer never reads, with TimeoutError', async () => {
    const conn = new TarpitConnection(undefined);
    const driver = driverWith(async () => conn);
    try {
      const error = await driver.exchange('10.0.0.9:7946', { type: 'push-pull', join: true, nodes: [], userState: new Uint8Array(0) }, 100).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).code).toBe(ErrorCode.timeout);
      expect(conn.destroyed).toBe(true);
    } finally {
      driver.stop();
    }
  });
});
