import type { NoticeMetricHandles } from '../metrics.js';
import type { RdapLookupResult } from '../rdap/index.js';
import type { LookupResult } from './dns.js';
import type { SuppressionReason } from './types.js';

export type NoticeResult = 'queued' | 'sent' | 'retried' | 'failed' | 'suppressed';
/**
 * Why hits never became a notice: the hand-off was full, it could not be written before exit, or
 * (an exposure) the day's operator mails had reached their bound; of the abuse tier, why a host
 * was not listed: RDAP names no contact, its lookups never succeeded, or a bound was reached.
 */
export type DropReason = 'handoff-full' | 'unwritten-at-exit' | 'operator-daily-cap' | 'no-abuse-contact' | 'abuse-lookup-failed' | 'digest-full';

/** What the notifier counts, over the families declared in `src/metrics.ts`. */
export function noticeMetrics(m: NoticeMetricHandles) {
  return {
    count: (result: NoticeResult, n = 1) => m.total.inc({ result }, n),
    /** A notice suppressed for `reason`: counted once as a result, once by its reason. */
    suppressed: (reason: SuppressionReason) => {
      m.total.inc({ result: 'suppressed' });
      m.suppressed.inc({ reason });
    },
    dropped: (reason: DropReason, n = 1) => m.dropped.inc({ reason }, n),
    sendSeconds: m.sendSeconds,
    dns: (result: LookupResult) => m.dnsLookups.inc({ result }),
    rdap: (result: RdapLookupResult) => m.rdapLookups.inc({ result }),
  };
}

export type NoticeMetrics = ReturnType<typeof noticeMetrics>;
