/**
 * The admission hook: the host's veto over who becomes a member (memberlist `AliveDelegate`
 * and `MergeDelegate`).
 * @module
 */
import type { MemberSnapshot } from '../events.js';

/**
 * How the would-be member reached this node:
 * - `gossip`: an `alive` message piggybacked on probes and gossip;
 * - `push-pull`: a periodic anti-entropy exchange between members;
 * - `join`: a join exchange, as the seed serving a joiner or as the joiner merging a seed's reply.
 */
export type AdmissionVia = 'gossip' | 'push-pull' | 'join';

/** What {@link AdmissionHook.admit} is told besides the member. */
export interface AdmissionContext {
  readonly via: AdmissionVia;
}

/**
 * The `admission` option: a synchronous veto over members (memberlist's `AliveDelegate.NotifyAlive`
 * per member, and `MergeDelegate.NotifyMerge` for joins). Filter by name, address or metadata,
 * e.g. keep out nodes of another cluster or environment.
 *
 * `admit` is asked when an `alive` would add a member, bring one back from dead or left, or change
 * a member's address or metadata: not for refreshes of a member already admitted (a higher
 * incarnation with the same address and metadata), not for suspect or dead messages, never for
 * this node. A member vetoed at one incarnation is not asked about again until it announces a
 * higher one. Members admitted earlier stay when a policy changes.
 *
 * - Gossip and periodic push/pull: per member. A vetoed alive is ignored (no event), the rest of
 *   the message or exchange applies. Blocking a whole anti-entropy exchange for one member would
 *   stop it repairing all the others.
 * - Joins: the whole exchange, as memberlist's `MergeDelegate`. A join is where two views meet;
 *   one member this node would never admit means the other side is not its cluster (Consul's use
 *   of `MergeDelegate`: a datacenter mismatch). A seed that vetoes any member of a joiner's state
 *   merges nothing and answers with an error reply instead of its state (memberlist sends its
 *   state first and merges after), so the joiner's `join()` fails for that seed with a
 *   `JoinRefusedError` cause; a Go joiner gets the error from its `Join`. A joiner that vetoes a
 *   member of a seed's reply merges nothing and fails that seed the same way. A Go seed's
 *   `MergeDelegate` veto cannot be seen by the joiner: memberlist replies before it merges.
 *
 * Return `true` to admit; `false` or a string to veto (the string is the reason: logged at debug,
 * and on a join sent to the refused joiner in the seed's error reply, so keep secrets out of it). It runs inside a protocol step: it must be synchronous, quick,
 * and must not call the node's methods. A hook that throws, or returns anything else, vetoes the
 * member (fail closed: a broken policy must not let members in), and is counted in
 * `hearsay_admission_hook_errors_total` and logged at error. Vetoes are counted in
 * `hearsay_admission_vetoes_total{via}` and logged at debug.
 */
export interface AdmissionHook {
  /**
   * @param member the would-be member as its `alive` describes it (`state` is `alive`).
   * @returns `true` to admit, `false` or a reason string to veto.
   */
  admit(member: MemberSnapshot, context: AdmissionContext): boolean | string;
}
