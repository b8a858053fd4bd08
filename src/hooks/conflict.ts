/**
 * Name conflicts: two addresses claiming one live member name (memberlist `ConflictDelegate`).
 * @module
 */
import type { MemberSnapshot } from '../events.js';

/**
 * The other side of a name conflict: a node that announced itself alive under a name this node
 * holds alive or suspect at another address. It is not
 * a member, so this is what its `alive` message said, not a {@link MemberSnapshot}.
 */
export interface ConflictClaimant {
  /** The contested name. */
  readonly name: string;
  /** `host:port` the claimant announced. */
  readonly address: string;
  /** IP text of `address`. */
  readonly host: string;
  readonly port: number;
  /** The incarnation its alive message carried. */
  readonly incarnation: number;
  /** Its metadata as announced (empty when none). */
  readonly metadata: Uint8Array;
  /** `metadata` decoded as serf tags, when it is in that form. */
  readonly tags: Readonly<Record<string, string>> | undefined;
}

/**
 * `conflict` (memberlist `ConflictDelegate.NotifyConflict(existing, other)`): a node announced
 * itself under the name of a live (alive or suspect) member this node holds at another address,
 * and was ignored — two processes were configured with one name. The `existing` member keeps the
 * name; the claimant is invisible to this node until the name is free (the member left, or was
 * dead longer than `deadNodeReclaimMs` when that is set). memberlist also notifies for a member
 * it holds dead; hearsay does not, since that one clears by itself once the dead member is reaped
 * (a restart at a new address), and `warn` is for what the host must act on (the drop is still
 * counted, `hearsay_packets_dropped_total{reason="conflict"}`). When the name is this node's own, `existing` is
 * `localMember`. Emitted once per claimant address and incarnation (gossip retransmits do not
 * repeat it), and logged at warn: one of the two processes needs another name. A member that
 * restarts at a new address before the cluster noticed its old one fail is reported too (nothing
 * tells the two apart until probes of the old address fail); that one clears by itself. A claimant that
 * learns of the conflict while joining gets `join()` rejected with a `NameConflictError` cause.
 */
export interface ConflictEvent {
  /** The member that holds the name, as this node knows it. */
  readonly existing: MemberSnapshot;
  /** The node that claimed it from another address. */
  readonly claimant: ConflictClaimant;
}
