import type { DetectionEvent } from '../detect/detection.js';
import type { SharedHost } from './abuse-store.js';
import type { NoticeFacts, SuppressionReason } from './types.js';

export type { SharedHost } from './abuse-store.js';

/**
 * A say, from outside, in which detections become notices here (fleet mode's fleet-wide claim
 * and caps, see src/fleet/). Without one, every detection goes to the hand-off as before.
 */
export interface NoticeGate {
  /**
   * On the request path, instead of the hand-off: calls `admit(event)` at once or later (this
   * replica notices that offender), or never (another replica does). Never blocks, never throws.
   * `hostQueuedAt`: the offender's host-tier notice is already queued elsewhere (the fleet's
   * stream, at that time), so the hit is for the abuse tier alone.
   */
  offer(event: DetectionEvent, admit: (event: DetectionEvent, hostQueuedAt?: number) => void): void;
  /**
   * After the reverse lookup, before the local per-domain cap: true when the recipients' domains
   * are under the shared cap (and counts them), false when one is over, null when it cannot tell
   * (the local cap alone decides).
   */
  domainsAllowed?(domains: readonly string[]): Promise<boolean | null>;
}


/**
 * What becomes of a digest due here (fleet mode): `fleet`, this replica sends the fleet's one
 * digest for that mailbox and window (`hosts`); `local`, it sends its own (Redis away, or some of
 * its hosts never reached the fleet's copy); `none`, another replica wrote the fleet's, which
 * lists every host of this one; `wait`, another replica took the window and has not said yet
 * that it wrote the digest (settle again later: if it died, its lease runs out). `capped`: the fleet's hourly or per-domain cap refused it
 * (null: under them, or unknown; the local caps decide as well).
 */
export type DigestVerdict =
  | { send: 'fleet'; hosts: SharedHost[]; unlisted: number; capped: SuppressionReason | null }
  | { send: 'local'; capped: SuppressionReason | null }
  | { send: 'none' }
  | { send: 'wait' };

/**
 * A say, from outside, in how abuse digests are shared (fleet mode, see src/fleet/digests.ts):
 * digest windows aligned on the wall clock, every listed host shared, one sender per window.
 */
export interface DigestGate {
  /** When the digest window holding `at` ends (the same instant on every replica). */
  windowEnd(at: number): number;
  /** How long after its window ends a digest is settled: shares in flight land, clocks may differ a little. */
  readonly graceMs: number;
  /** After the commit: `host` joined (or, with new hits only, grew in) the open digest of `mailbox`. Never blocks, never throws. */
  share(mailbox: string, windowEnd: number, host: SharedHost): void;
  /** Once per due digest (again after `wait`): who sends it. Never rejects. */
  settle(mailbox: string, windowEnd: number): Promise<DigestVerdict>;
  /** After the commit that wrote (or capped) the fleet's digest: the others may suppress theirs. Never throws. */
  confirm(mailbox: string, windowEnd: number): void;
}

/** send: this replica sends it now; duplicate: another replica's went today; later: another replica is sending it. */
export type OperatorMailTurn = 'send' | 'duplicate' | 'later';

/**
 * Fleet mode: one operator mail per exposed path per UTC day across the fleet (see
 * src/fleet/operator-mail.ts), decided when a mail is about to be sent.
 */
export interface OperatorMailGate {
  /** Before an attempt. Never rejects: `send` when it cannot tell (at least once). */
  take(path: string, day: number): Promise<OperatorMailTurn>;
  /** After the attempt: `sent`, the day's mail went; otherwise the turn is handed back. Never throws. */
  done(path: string, day: number, sent: boolean): void;
}

/**
 * Fleet mode, a replica without `--smtp-url`: its offender notices (those queued here while Redis
 * was away) are handed to the fleet's stream for `wormwatch mailer` to send, with their Message-ID.
 * Rejects while Redis is away (the notice is kept and tried again).
 */
export interface NoticeRelay {
  relay(facts: NoticeFacts, messageId: string): Promise<void>;
}
