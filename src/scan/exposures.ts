import type { DetectionEvent } from '../detect/detection.js';

/** Exposed paths a scan keeps apart, the first ones seen; exposures of later paths are only counted. */
export const MAX_EXPOSED_PATHS = 100;
/**
 * Distinct addresses counted per exposed path, exactly (a Set): past it the count is a lower
 * bound. 100 paths × 1,000 addresses keeps a scan's worst case near 10 MB, however hostile the log.
 */
export const MAX_ADDRESSES_PER_PATH = 1_000;

/** One path a log shows served with 2xx to a hunt for it (`answer.exposure`). */
export interface ExposedPath {
  /** As the origin resolved it (`answer.path`: sanitised, at most 200 characters). */
  path: string;
  /** The signature of its first exposure. */
  signature: string;
  /** The 2xx statuses it was served with, ascending (at most 100 values by construction). */
  statuses: number[];
  /** Distinct addresses it was served to, counted up to MAX_ADDRESSES_PER_PATH. */
  addresses: number;
  /** True when more addresses got it than were counted: `addresses` is then "at least". */
  addressesCapped: boolean;
  hits: number;
  /** ISO 8601 times of the first and last exposure logged; null if no line had a valid time. */
  firstSeen: string | null;
  lastSeen: string | null;
}

export interface ExposureReport {
  /** Every exposure in the scan, listed or not. */
  hits: number;
  /** Most addresses first; at most MAX_EXPOSED_PATHS. */
  paths: ExposedPath[];
  /** Exposures of paths past MAX_EXPOSED_PATHS (not told apart). */
  unlistedHits: number;
}

interface Entry {
  signature: string;
  statuses: Set<number>;
  addresses: Set<string>;
  addressesCapped: boolean;
  hits: number;
  first: number;
  last: number;
}

/**
 * The exposures a scan found, by path: what a site owner must act on first. Bounded by
 * MAX_EXPOSED_PATHS × MAX_ADDRESSES_PER_PATH. A log has no bodies, so a 2xx may also be a
 * catch-all page; the report says what was logged.
 */
export class ExposureTally {
  private readonly byPath = new Map<string, Entry>();
  private hits = 0;
  private unlistedHits = 0;

  record(event: DetectionEvent): void {
    const answer = event.answer;
    if (answer === undefined || !answer.exposure) return;
    this.hits++;
    const entry = this.entryFor(answer.path, event);
    if (entry === null) {
      this.unlistedHits++;
      return;
    }
    const at = event.at.getTime();
    entry.hits++;
    entry.statuses.add(answer.status);
    // A hostile line can carry a time no Date holds (nginx `msec` of 20 digits): it is left out.
    if (Number.isFinite(at)) {
      entry.first = Math.min(entry.first, at);
      entry.last = Math.max(entry.last, at);
    }
    if (entry.addresses.size < MAX_ADDRESSES_PER_PATH) entry.addresses.add(event.ip);
    else if (!entry.addresses.has(event.ip)) entry.addressesCapped = true;
  }

  report(): ExposureReport {
    const paths = [...this.byPath].map(([path, e]): ExposedPath => ({
      path,
      signature: e.signature,
      statuses: [...e.statuses].sort((a, b) => a - b),
      addresses: e.addresses.size,
      addressesCapped: e.addressesCapped,
      hits: e.hits,
      firstSeen: isoSeconds(e.first),
      lastSeen: isoSeconds(e.last),
    }));
    paths.sort((a, b) => b.addresses - a.addresses || b.hits - a.hits || (a.path < b.path ? -1 : 1));
    return { hits: this.hits, paths, unlistedHits: this.unlistedHits };
  }

  private entryFor(path: string, event: DetectionEvent): Entry | null {
    const known = this.byPath.get(path);
    if (known !== undefined) return known;
    if (this.byPath.size >= MAX_EXPOSED_PATHS) return null;
    const entry: Entry = { signature: event.verdict.signature.id, statuses: new Set(), addresses: new Set(), addressesCapped: false, hits: 0, first: Infinity, last: -Infinity };
    this.byPath.set(path, entry);
    return entry;
  }
}

/** `2024-12-10T00:00:02Z` (logs have whole seconds), or null for no time. */
function isoSeconds(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.000Z$/, 'Z') : null;
}
