import { servedPath } from '../detect/detection.js';
import { sanitiseLine } from '../detect/sanitise.js';
import type { NormalisedRequest } from '../detect/types.js';
import { canonicalBanKey, pathKey } from './key.js';
import type { BanTable } from './table.js';

/**
 * The request path's two questions of a ban table, shared by the primary's table and a worker's
 * copy. Cheap on purpose: an empty table answers at once, an IPv4 client is one `Map.get`, an
 * IPv6 client pays for its prefix only while an IPv6 ban exists, a path only while a path is blocked.
 */

/** Milliseconds left of the ban covering `ip` (canonical text), or 0. */
export function banRemaining(table: BanTable, ip: string, ipv6Prefix: number, now: number): number {
  if (table.size === 0) return 0;
  if (!ip.includes(':')) return table.remaining(ip, now);
  if (!table.hasIpv6) return 0;
  const key = canonicalBanKey(ip, ipv6Prefix);
  return key === null ? 0 : table.remaining(key, now);
}

/** The key a request's served path is blocked under (the same text an exposure's `answer.path` holds). */
export function servedPathKey(n: NormalisedRequest): string {
  return pathKey(sanitiseLine(servedPath(n), 200));
}

/** Whether `n`'s served path is blocked (it served a secret before; `--block-exposures`). */
export function isPathBlocked(table: BanTable, n: NormalisedRequest, now: number): boolean {
  return table.hasPaths && table.remaining(servedPathKey(n), now) > 0;
}
