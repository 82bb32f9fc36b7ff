import type { DetectionEvent } from '../detect/detection.js';

/**
 * A say, from outside, in which detections become notices here (fleet mode's fleet-wide claim
 * and caps, see src/fleet/). Without one, every detection goes to the hand-off as before.
 */
export interface NoticeGate {
  /**
   * On the request path, instead of the hand-off: calls `admit(event)` at once or later (this
   * replica notices that offender), or never (another replica does). Never blocks, never throws.
   */
  offer(event: DetectionEvent, admit: (event: DetectionEvent) => void): void;
  /**
   * After the reverse lookup, before the local per-domain cap: true when the recipients' domains
   * are under the shared cap (and counts them), false when one is over, null when it cannot tell
   * (the local cap alone decides).
   */
  domainsAllowed?(domains: readonly string[]): Promise<boolean | null>;
}
