/**
 * The user-state hook: the host's own bytes carried in every push/pull state exchange.
 * @module
 */
import { InvalidOptionsError } from '../errors.js';

/**
 * Host state carried in push/pull exchanges — memberlist's `Delegate.LocalState(join)` and
 * `Delegate.MergeRemoteState(buf, join)`, wire-compatible with them: the bytes travel in the
 * push/pull `UserState` field (header `UserStateLen`, then the bytes after the node states), so a
 * Go delegate receives what `local` returns and `merge` receives what a Go delegate's
 * `LocalState` returned.
 *
 * Both run on the node's own event loop, synchronously, between protocol steps; keep them quick.
 *
 * - Joining (`join()`): we send `local(true)`; each seed's reply goes to `merge(…, true)`.
 * - Periodic anti-entropy (every `pushPullIntervalMs`, scaled) and reconnects to failed members:
 *   `local(false)` out, `merge(…, false)` for the reply.
 * - A peer's exchange with us: `local(join)` for our reply, with the peer's `join` flag, then
 *   `merge(theirs, join)` — memberlist's order (reply first, then merge).
 *
 * `merge` is called only when the peer sent at least one byte of user state (memberlist skips its
 * delegate for `UserStateLen = 0`), and only once the exchange's node states were accepted: a
 * push/pull rejected by the protocol-version check merges nothing.
 *
 * A hook that throws, or a `local` that returns something other than a `Uint8Array` or more than
 * `maxStreamBytes` bytes, cannot break the exchange: it is counted
 * (`hearsay_hook_failures_total{hook}`), logged at warn, and the exchange goes on with empty user
 * state.
 */
export interface UserStateHook {
  /**
   * Our state for one exchange (memberlist `LocalState(join)`). `join` is true when the exchange is
   * a join: ours, or a peer's join through us. Return an empty array for "nothing".
   */
  local(join: boolean): Uint8Array;
  /**
   * A peer's state from one exchange (memberlist `MergeRemoteState(buf, join)`), never empty. The
   * array is the host's to keep. `join` as for {@link local}.
   */
  merge(remote: Uint8Array, join: boolean): void;
}

/**
 * Checks the `userState` option's shape.
 * @throws {InvalidOptionsError} naming `userState`, `userState.local` or `userState.merge`.
 */
export function checkUserStateHook(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null) throw new InvalidOptionsError('userState', 'must be an object { local(join), merge(remote, join) }');
  const hook = value as Record<string, unknown>;
  for (const method of ['local', 'merge'] as const) {
    if (typeof hook[method] !== 'function') throw new InvalidOptionsError(`userState.${method}`, 'must be a function');
  }
}
