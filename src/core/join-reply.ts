/**
 * What a joiner checks in a seed's push/pull reply before merging it: whether the join can make
 * this node a member at all. A reply that says no is not merged, and `join()` reports why.
 * @module
 */
import type { PushPullMessage } from '../wire/messages.js';
import type { Admission } from './admission.js';
import { nameHeldElsewhere } from './conflicts.js';
import type { Effects } from './effects.js';
import type { MemberEntry } from './members.js';

/** The outcome of merging a seed's reply to our join (`Core.mergeJoinReply`). */
export type JoinReplyOutcome =
  | { readonly kind: 'merged' }
  /** memberlist `verifyProtocol` refused the exchange; nothing was merged. */
  | { readonly kind: 'incompatible'; readonly error: Error }
  /**
   * The seed lists our name alive or suspect at `holder`: it ignores us as a conflict. Nothing was
   * merged. The runtime then asks `holder` whether it answers to our name: a real conflict if it
   * does, else a stale entry of our own earlier run (merged with `staleHolder`).
   */
  | { readonly kind: 'name-held'; readonly holder: string }
  /** Our admission hook vetoed `member` (at `address`), so the whole reply is refused (memberlist `MergeDelegate`). Nothing was merged. */
  | { readonly kind: 'refused'; readonly member: string; readonly address: string; readonly reason: string };

/**
 * Why the reply must not be merged, if it must not: our name is held by a live member elsewhere
 * (unless `staleHolder`: the caller found that holder gone)
 * (merging anyway would fill our table with a cluster that ignores us; memberlist does, and its
 * claimant stays invisible with a successful join), or our admission hook vetoes a member the
 * merge would add or change (the whole exchange, as memberlist's `MergeDelegate` on the joiner's
 * side). After a merge that was let through, call `admission.endScreen()`.
 */
export function screenJoinReply(now: number, fx: Effects, reply: PushPullMessage, self: MemberEntry, admission: Admission, staleHolder: boolean): JoinReplyOutcome | undefined {
  const held = staleHolder ? undefined : nameHeldElsewhere(reply.nodes, self);
  if (held !== undefined) return { kind: 'name-held', holder: held.holder };
  const refusal = admission.screen(now, fx, reply.nodes);
  return refusal === undefined ? undefined : { kind: 'refused', ...refusal };
}
