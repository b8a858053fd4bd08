/**
 * Whose accusations we take at their word. memberlist's `deadNode` applies a `dead` at the
 * current incarnation whoever sent it, so a node that was cut off — whose suspicions ran out
 * unheard, far from the members they were about — can kill healthy members after the heal.
 * An accuser we hold dead or left, or one that came back from dead or left less than one maximum
 * suspicion timeout ago (so its stale suspicions may still be expiring), is not trusted: its
 * `dead` counts as a suspicion at most, and its `suspect` is never a confirmation
 * (`Membership.suspect` / `dead`; the rule is in docs/architecture.md, "Partitions heal
 * without collateral deaths").
 * @module
 */
import type { CoreConfig } from './config.js';
import type { MemberTable } from './members.js';
import type { FailedMembers } from './reconnect.js';
import { suspicionTimeouts } from './suspicion.js';

/** What the trust rule reads (each owned elsewhere). */
export interface TrustDeps {
  readonly config: CoreConfig;
  readonly members: MemberTable;
  readonly failed: FailedMembers;
}

/** Owns when members came back (dead or left → alive), pruned after one maximum suspicion timeout. */
export class AccuserTrust {
  /** Member name → when it came back, ms; insertion order is time order (re-insertion moves it last). */
  private readonly back = new Map<string, number>();

  constructor(private readonly d: TrustDeps) {}

  /** How long a member that came back stays distrusted, ms: the longest a suspicion it raised before can still run. */
  private get windowMs(): number {
    return suspicionTimeouts(this.d.members.size, this.d.config).maxMs;
  }

  /**
   * `name` became alive at `now`: back from dead or left, or `isNew` in our table — which is a
   * comeback too when we remember it as failed (reaped while dead, then rejoined).
   */
  noteUp(name: string, now: number, isNew: boolean): void {
    if (isNew && this.d.failed.get(name) === undefined) return;
    this.back.delete(name);
    this.back.set(name, now);
    const window = this.windowMs;
    for (const [n, at] of this.back) {
      if (now - at < window) break;
      this.back.delete(n);
    }
  }

  /**
   * True when `accuser`'s word about a third member does not count by itself: we hold it dead or
   * left (in the table, or reaped and remembered as failed), or it came back within the window.
   * Unknown names are trusted (a member that joined before its alive reached us), and so are we.
   */
  distrusts(accuser: string, now: number): boolean {
    if (accuser === this.d.config.name) return false;
    const entry = this.d.members.get(accuser);
    if (entry === undefined) return this.d.failed.get(accuser) !== undefined;
    if (entry.state === 'dead' || entry.state === 'left') return true;
    const at = this.back.get(accuser);
    return at !== undefined && now - at < this.windowMs;
  }
}
