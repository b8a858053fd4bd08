/**
 * What a joiner checks in a seed's push/pull reply before merging it: whether the join can make
 * this node a member at all. A reply that says no is not merged, and `join()` reports why.
 * @module
 */
import type { PushPullMessage } from '../wire/messages.js';
import { nameHeldElsewhere } from './conflicts.js';
import type { MemberEntry } from './members.js';

/** The outcome of merging a seed's reply to our join (`Core.mergeJoinReply`). */
export type JoinReplyOutcome =
  | { readonly kind: 'merged' }
  /** memberlist `verifyProtocol` refused the exchange; nothing was merged. */
  | { readonly kind: 'incompatible'; readonly error: Error }
  /** The seed lists our name alive or suspect at `holder`: it ignores us as a conflict. Nothing was merged. */
  | { readonly kind: 'name-held'; readonly holder: string };

/**
 * Why the reply must not be merged, if it must not: our name is held by a live member elsewhere.
 * Merging anyway would fill our table with a cluster that ignores us (memberlist does, and its
 * claimant stays invisible with a successful join).
 */
export function screenJoinReply(reply: PushPullMessage, self: MemberEntry): JoinReplyOutcome | undefined {
  const held = nameHeldElsewhere(reply.nodes, self);
  return held === undefined ? undefined : { kind: 'name-held', holder: held.holder };
}
