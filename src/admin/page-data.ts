import type { Offender } from '../offenders/store.js';
import type { MinutePoint } from './timeline.js';

/**
 * What the admin page shows, as plain data: the wiring (`src/runtime/admin-page.ts`) fills it
 * from the offender store, the bans, the notifier and the timeline, so that `admin/` renders
 * without importing those concerns.
 */
export interface PageData {
  summary(): PageSummary;
  /** The newest offenders, with their network, country and ban state. */
  offenders(limit: number): PageOffender[];
  /** Address bans in force, newest first. */
  bans(limit: number): PageBan[];
  exposures(): PageExposure[];
  /** Exposed paths refused by --block-exposures. */
  blockedPaths(): string[];
  /** The notice queue, or null when notices are off. */
  notices(): PageNotices | null;
  timeline(): MinutePoint[];
  /** Lifts the ban covering `ip`; false when there was none (or `ip` is no address). */
  unban(ip: string): boolean;
}

export interface PageSummary {
  version: string;
  mode: string;
  upstream: string;
  signatures: number;
  bans: boolean;
  startedAt: Date;
}

export interface PageOffender extends Offender {
  /** `AS63949 Akamai Connected Cloud`, or null when unknown. */
  network: string | null;
  /** Milliseconds left of a ban covering it, or 0. */
  bannedForMs: number;
}

export interface PageBan {
  ip: string;
  until: Date | null;
  reason: string;
  signature: string | null;
  count: number;
}

export interface PageExposure {
  path: string;
  signature: string;
  status: number;
  hits: number;
  sources: string[];
  moreSources: number;
  lastSeen: Date;
}

export interface PageNotices {
  counts: Record<string, number>;
  nextRetryAt: Date | null;
}
