import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { NoticeState, SuppressionReason } from './types.js';
import { NOTICE_STATES } from './types.js';
import type { LookupResult } from './dns.js';

export type NoticeResult = 'queued' | 'sent' | 'retried' | 'failed' | 'suppressed';
/** Why hits never became a notice: the hand-off was full, or it could not be written before exit. */
export type DropReason = 'handoff-full' | 'unwritten-at-exit';

const SUPPRESSION_REASONS: readonly SuppressionReason[] = ['not-eligible', 'hourly-cap', 'domain-cap', 'outbox-full'];

/** Notice metrics on the shared registry. Labels are fixed small sets (results, states, reasons). */
export function createNoticeMetrics(registry: Registry, queueCounts: () => Record<NoticeState, number> | null, outboxUp: () => boolean) {
  const notices = reuse<Counter<'result'>>(registry, 'wormwatch_notices_total') ?? new Counter({
    name: 'wormwatch_notices_total',
    help: 'Notices by result, each notice counted once per result: queued (ready to send), sent, retried (a temporary failure), failed, suppressed (policy or cap).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  for (const result of ['queued', 'sent', 'retried', 'failed', 'suppressed']) notices.inc({ result }, 0);
  const suppressed = reuse<Counter<'reason'>>(registry, 'wormwatch_notices_suppressed_total') ?? new Counter({
    name: 'wormwatch_notices_suppressed_total',
    help: 'Suppressed notices by reason: not-eligible (private or --allow address), hourly-cap, domain-cap, outbox-full.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of SUPPRESSION_REASONS) suppressed.inc({ reason }, 0);
  const dropped = reuse<Counter<'reason'>>(registry, 'wormwatch_notices_dropped_total') ?? new Counter({
    name: 'wormwatch_notices_dropped_total',
    help: 'Detections that could not become a notice: handoff-full (the in-memory hand-off held its maximum of addresses), unwritten-at-exit (the outbox could not be written before exit).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of ['handoff-full', 'unwritten-at-exit']) dropped.inc({ reason }, 0);
  registry.removeSingleMetric('wormwatch_notice_queue'); // its collect() must read this notifier's outbox
  new Gauge({
    name: 'wormwatch_notice_queue',
    help: 'Notices in the outbox, by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const counts = queueCounts();
      if (counts) for (const state of NOTICE_STATES) this.set({ state }, counts[state]);
    },
  });
  registry.removeSingleMetric('wormwatch_outbox_up');
  new Gauge({
    name: 'wormwatch_outbox_up',
    help: '1 while the notice outbox can be written, 0 while its disk refuses (full, read-only); hits wait in the bounded hand-off meanwhile.',
    registers: [registry],
    collect() {
      this.set(outboxUp() ? 1 : 0);
    },
  });
  const sendSeconds = reuse<Histogram>(registry, 'wormwatch_notice_send_seconds') ?? new Histogram({
    name: 'wormwatch_notice_send_seconds',
    help: 'Time to hand one notice to the SMTP server (success or failure).',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const dnsLookups = reuse<Counter<'result'>>(registry, 'wormwatch_dns_lookups_total') ?? new Counter({
    name: 'wormwatch_dns_lookups_total',
    help: 'Reverse DNS lookups for notices, by result (confirmed, unconfirmed, invalid, none, timeout, error, cached).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  return {
    count: (result: NoticeResult, n = 1) => notices.inc({ result }, n),
    suppressed: (reason: SuppressionReason) => {
      notices.inc({ result: 'suppressed' });
      suppressed.inc({ reason });
    },
    dropped: (reason: DropReason, n = 1) => dropped.inc({ reason }, n),
    sendSeconds,
    dns: (result: LookupResult) => dnsLookups.inc({ result }),
  };
}

export type NoticeMetrics = ReturnType<typeof createNoticeMetrics>;

/** A notifier re-created on the same registry (tests, restarts in-process) keeps its counters. */
function reuse<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}
