import type { DetectionEvent } from '../detect/detection.js';
import { STORM_SIGNATURE } from '../detect/storm.js';
import type { Ban, BanReason } from './table.js';

/** How long bans last; from `--ban-ttl`, `--ban-ttl-factor`, `--ban-ttl-max`. Pure. */
export interface BanLengths {
  /** The first ban, ms. */
  ttl: number;
  /** Each ban of a repeat offender lasts this many times the one before (fail2ban's bantime.increment). */
  factor: number;
  /** The longest ban, ms; also how long an ended ban is remembered for the next one's length. */
  max: number;
}

/** The detections that may ban, by `--ban-on` name. */
export type BanTrigger = 'request' | '404' | 'storm';

/** Which `--ban-on` name a detection answers to: the 404 storm, the request stage, or a 404-stage one (probe or exposure). */
export function triggerOf(event: DetectionEvent): BanTrigger {
  if (event.verdict.signature.id === STORM_SIGNATURE.id) return 'storm';
  return event.verdict.stage === 'request' ? 'request' : '404';
}

/** The length of the `count`th ban in a row: ttl × factor^(count − 1), at most `max`. */
export function banLength(count: number, lengths: BanLengths): number {
  const ms = lengths.ttl * lengths.factor ** Math.max(0, count - 1);
  return Number.isFinite(ms) ? Math.min(lengths.max, Math.round(ms)) : lengths.max;
}

/**
 * The ban a new offence of `key` earns at `now`, given what the table holds for it: none while
 * a ban is in force (an offence during a ban neither extends it nor counts as a repeat); the
 * next in a row when the last one ended less than `max` ago; else a first ban.
 */
export function nextBan(previous: Ban | undefined, key: string, now: number, lengths: BanLengths, reason: BanReason, signature: string | null): Ban | null {
  if (previous !== undefined && previous.until > now) return null;
  const repeat = previous !== undefined && previous.until + lengths.max >= now;
  const count = repeat ? previous.count + 1 : 1;
  return { key, since: now, until: now + banLength(count, lengths), count, reason, signature };
}
