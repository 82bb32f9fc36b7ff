import type { DetectionEvent } from '../detect/detection.js';
import type { Outbox } from './outbox.js';
import { combineFacts, KeyedHandoff, mergeIntoRow, snapshotOf } from './handoff.js';
import { mergeHit } from './render.js';
import type { NoticeFacts } from './types.js';

/**
 * Operator mail: when the origin served what a hunt looked for (an exposure), one mail to
 * `--operator-email`, at once. Its own rules, none of the offender notices': no reverse DNS, no
 * hourly or per-domain cap, no per-address interval, no `--allow`/private-address exclusion (the
 * operator wants to know whoever fetched the secret). De-duplicated per exposed path per UTC day.
 */

/** Exposed paths (per UTC day) waiting in memory for the outbox; exposures of more paths are dropped, counted. */
export const OPERATOR_HANDOFF_MAX = 1_000;
/** Operator mails per UTC day at most: an origin serving a secret under any path (a catch-all) must not bury its operator. */
export const OPERATOR_MAILS_PER_DAY = 20;
export const DAY_MS = 86_400_000;

/** One exposed path on one UTC day: `ip` is its first source, `samples` the request lines that fetched it. */
export interface ExposureFacts extends NoticeFacts {
  path: string;
  status: number;
}

/** Start of the UTC day holding `ms`. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

const exposureKey = (f: Pick<ExposureFacts, 'path' | 'firstSeen'>): string => `${utcDay(f.firstSeen)} ${f.path}`;

/** The exposures waiting for the outbox: one entry per path per UTC day, at most OPERATOR_HANDOFF_MAX. */
export class OperatorHandoff extends KeyedHandoff<ExposureFacts> {
  constructor(max = OPERATOR_HANDOFF_MAX) {
    super(exposureKey, combineFacts, max);
  }

  /** Keeps an exposure (anything else is ignored, true); false when the buffer is full. */
  add(event: DetectionEvent): boolean {
    const answer = event.answer;
    if (answer === undefined || !answer.exposure) return true;
    const at = event.at.getTime();
    return this.put(exposureKey({ path: answer.path, firstSeen: at }), (cur) => void Object.assign(cur, mergeHit(cur, at, event.requestLine)), () => ({
      ip: event.ip, signature: snapshotOf(event), firstSeen: at, lastSeen: at, hits: 1, samples: [event.requestLine],
      path: answer.path, status: answer.status,
    }));
  }
}

/** queued: a new mail; merged: added to the day's mail not sent yet; done: the day's mail went (or failed); over-daily-cap: not mailed. */
export type OperatorOutcome = 'queued' | 'merged' | 'done' | 'over-daily-cap';

export interface OperatorAdmission {
  recipient: string;
  maxAgeMs: number;
  messageId: () => string;
}

/**
 * Decides one exposure inside the caller's transaction. A later exposure of the path that day
 * joins the mail while it waits or is being sent (the mail counts every request it knows of when it goes); once
 * that mail went it is not mailed again: `notices show` must print what was sent, and the
 * running count is in `GET /exposures` and `wormwatch_exposures_total`.
 */
export function admitExposure(box: Outbox, facts: ExposureFacts, now: number, a: OperatorAdmission): OperatorOutcome {
  const day = utcDay(facts.firstSeen);
  const mail = box.operatorMailFor(facts.path, day, day + DAY_MS);
  if (mail !== undefined) {
    // While an attempt is in flight too: if it fails, the retry counts this one; if it succeeds,
    // markSent puts back the facts the mail was written from.
    if (mail.state !== 'queued' && mail.state !== 'retrying' && mail.state !== 'sending') return 'done';
    mergeIntoRow(box, mail, facts, now, true);
    return 'merged';
  }
  if (box.operatorMailsIn(day, day + DAY_MS) >= OPERATOR_MAILS_PER_DAY) return 'over-daily-cap';
  box.insert({
    facts, state: 'queued', reason: null, now, messageId: a.messageId(), deadline: now + a.maxAgeMs,
    operator: { path: facts.path, status: facts.status, recipient: a.recipient },
  });
  return 'queued';
}
