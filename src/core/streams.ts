/**
 * The stream exchanges the core asked the driver for (`fx.stream`), by id, until their results
 * come back through `Core.handleStreamResult`.
 * @module
 */

/** Most outstanding core-initiated stream exchanges remembered; the oldest is forgotten beyond this. */
export const MAX_PENDING_STREAMS = 64;

import type { DigestPending } from './digest-push-pull.js';

/** A stream exchange the core asked the driver for. */
export type PendingStream =
  | { readonly kind: 'ping'; readonly seqNo: number }
  /** `comeback`: the member that came back from dead we asked (push-pull.ts, `askComeback`). */
  | { readonly kind: 'push-pull'; readonly comeback?: string }
  /** A push/pull with a member we consider failed; `followUp` = send a second one if it answers (see reconnect.ts). */
  | { readonly kind: 'reconnect'; readonly address: string; readonly followUp: boolean }
  /** A digest push/pull request (digest-push-pull.ts), and its one-way entries leg. */
  | DigestPending
  | { readonly kind: 'digest-entries' };

/** Owns the pending stream exchanges, at most {@link MAX_PENDING_STREAMS}. */
export class Streams {
  private readonly pending = new Map<number, PendingStream>();
  private lastId = 0;

  /** Registers a stream exchange and returns its id, forgetting the oldest beyond the cap. */
  register(stream: PendingStream): number {
    const id = ++this.lastId;
    this.pending.set(id, stream);
    if (this.pending.size > MAX_PENDING_STREAMS) {
      const oldest = this.pending.keys().next().value as number;
      this.pending.delete(oldest);
    }
    return id;
  }

  /** Removes and returns the exchange `id` (`undefined` if unknown or forgotten). */
  take(id: number): PendingStream | undefined {
    const stream = this.pending.get(id);
    if (stream !== undefined) this.pending.delete(id);
    return stream;
  }

  /** Forgets the exchange `id`: its result, if it comes, is ignored. */
  forget(id: number): void {
    this.pending.delete(id);
  }
}
