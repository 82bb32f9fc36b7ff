import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric family wormwatch exports, declared here and nowhere else, on one private Registry
 * (never prom-client's global one, so two instances in one process, as in tests, do not collide).
 * Components receive only the handles they use. Names and labels are an interface that
 * dashboards and alerts depend on: add, never rename. No label takes an unbounded value (no
 * addresses, no paths): outcomes, codes, states and reasons come from the fixed lists below.
 */

export const REQUEST_OUTCOMES = ['forwarded', 'blocked', 'banned', 'observed', 'error', 'aborted'] as const;
export const BAN_REASON_LABELS = ['request', '404', 'storm', 'manual', 'exposure'] as const;
export const BAN_SKIP_REASONS = ['allow', 'loopback', 'trusted-proxy'] as const;
export const NOTICE_RESULTS = ['queued', 'sent', 'retried', 'failed', 'suppressed'] as const;
export const SUPPRESSION_REASONS = ['not-eligible', 'hourly-cap', 'domain-cap', 'outbox-full'] as const;
export const DROP_REASONS = ['handoff-full', 'unwritten-at-exit', 'operator-daily-cap', 'no-abuse-contact', 'abuse-lookup-failed', 'digest-full'] as const;
/** Results of abuse-contact lookups (the same list as src/rdap's RDAP_RESULTS; a test keeps them equal). */
export const RDAP_LOOKUP_RESULTS = ['found', 'none', 'cached', 'error', 'timeout', 'rate-limited', 'invalid'] as const;
export const NOTICE_STATES = ['queued', 'sending', 'sent', 'retrying', 'failed', 'suppressed'] as const;

/** A gauge read at scrape time from whatever `watch` last pointed it at (null: leave it unset). */
export interface Watched<T> {
  watch(read: () => T | null): void;
}

function watched<T>(registry: Registry, name: string, help: string, labelNames: readonly string[], set: (g: Gauge<string>, value: T) => void): Watched<T> {
  let read: () => T | null = () => null;
  new Gauge({
    name, help, labelNames, registers: [registry],
    collect() {
      const value = read();
      if (value !== null) set(this, value);
    },
  });
  return { watch: (r) => void (read = r) };
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[] = [], zero: Record<L, readonly string[]> | null = null): Counter<L> {
  const c = new Counter({ name, help, labelNames, registers: [registry] });
  // Each known label value starts at 0, so a rate over a first event is not a missing series.
  if (zero) for (const [label, values] of Object.entries(zero) as [L, readonly string[]][]) for (const v of values) c.inc({ [label]: v } as Partial<Record<L, string>>, 0);
  return c;
}

export function createMetrics(version: string, registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  // These default gauges end in `_total`, which `promtool check metrics` rejects for a gauge
  // (prom-client issue 283); the gauges without the suffix (nodejs_active_handles, ...) remain.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const r = registry;
  const metrics = {
    registry,
    proxy: {
      requests: counter(r, 'wormwatch_requests_total', 'Requests handled by the proxy, by outcome (forwarded, blocked, banned: refused for a ban or a blocked exposed path, observed in --intake/--mirror mode, error, aborted: the client left before the origin answered).', ['outcome'], { outcome: REQUEST_OUTCOMES }),
      upstreamResponseSeconds: new Histogram({
        name: 'wormwatch_upstream_response_seconds', help: 'Time from forwarding a request to receiving the response headers from the origin.',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [r],
      }),
      upstreamErrors: counter(r, 'wormwatch_upstream_errors_total', 'Failed forwards, by error code (ERR_UPSTREAM_REFUSED, ERR_UPSTREAM_TIMEOUT, ...).', ['code']),
      upstreamRetries: counter(r, 'wormwatch_upstream_retries_total', 'Idempotent requests without a body sent once more on a fresh connection after a stale pooled socket failed before any response byte.'),
      upstreamSockets: watched<{ active: number; idle: number }>(r, 'wormwatch_upstream_sockets', 'Connections to the origin, by state (active: carrying a request; idle: pooled for reuse).', ['state'], (g, v) => {
        g.set({ state: 'active' }, v.active);
        g.set({ state: 'idle' }, v.idle);
      }),
      upstreamQueued: watched<number>(r, 'wormwatch_upstream_queued_requests', 'Requests waiting for a free connection to the origin (all --upstream-max-sockets busy); each waits at most --connect-timeout.', [], (g, v) => g.set(v)),
    },
    detections: counter(r, 'wormwatch_detections_total', 'Worm and scanner detections, by signature, family, stage and action taken.', ['signature', 'family', 'stage', 'action']),
    detectionsByCountry: counter(r, 'wormwatch_detections_by_country_total', 'Detections by the offender\'s country (ISO 3166 code from the geoip data, or unknown).', ['country']),
    logLinesSuppressed: counter(r, 'wormwatch_log_lines_suppressed_total', 'Detection log lines not written by the per-offender limit (the first 10 lines of an offender per minute are written, then one in 1,000 with the count folded since).'),
    exposures: counter(r, 'wormwatch_exposures_total', 'Secrets or internal surfaces the origin served to a hunt (a 2xx answer to an exposure signature), by signature.', ['signature']),
    bans: {
      active: watched<{ addresses: number; paths: number }>(r, 'wormwatch_bans', 'Bans in force, by kind (address: an address or IPv6 prefix; path: an exposed path blocked by --block-exposures).', ['kind'], (g, v) => {
        g.set({ kind: 'address' }, v.addresses);
        g.set({ kind: 'path' }, v.paths);
      }),
      total: counter(r, 'wormwatch_bans_total', 'Bans imposed, by reason (request, 404, storm: the detection that earned it; manual: POST /bans; exposure: a blocked exposed path).', ['reason'], { reason: BAN_REASON_LABELS }),
      evicted: counter(r, 'wormwatch_bans_evicted_total', 'Bans (or ended bans remembered for repeat offenders) dropped, the oldest first, to stay within --ban-max.'),
      skipped: counter(r, 'wormwatch_bans_skipped_total', 'Offenders never banned automatically, by why: allow (--allow), loopback, trusted-proxy (a --trust-proxy peer: banning it would ban everyone behind it).', ['why'], { why: BAN_SKIP_REASONS }),
      fileUp: watched<boolean>(r, 'wormwatch_ban_file_up', '1 while bans.sqlite can be written, 0 while its disk refuses (bans stay in force from memory).', [], (g, up) => g.set(up ? 1 : 0)),
    },
    offenders: new Gauge({ name: 'wormwatch_offenders', help: 'Offenders currently remembered in the bounded offender cache.', registers: [r] }),
    buildInfo: new Gauge({ name: 'wormwatch_build_info', help: 'Always 1; the version label says which wormwatch is running.', labelNames: ['version', 'node'] as const, registers: [r] }),
    notices: {
      total: counter(r, 'wormwatch_notices_total', 'Notices (operator mail included) by result, each notice counted once per result: queued (ready to send), sent, retried (a temporary failure), failed, suppressed (policy or cap).', ['result'], { result: NOTICE_RESULTS }),
      suppressed: counter(r, 'wormwatch_notices_suppressed_total', 'Suppressed notices by reason: not-eligible (private or --allow address), hourly-cap, domain-cap, outbox-full.', ['reason'], { reason: SUPPRESSION_REASONS }),
      dropped: counter(r, 'wormwatch_notices_dropped_total', 'Detections that could not become a notice: handoff-full (the in-memory hand-off held its maximum of addresses or exposed paths), unwritten-at-exit (the outbox could not be written before exit), operator-daily-cap (an exposure after the day\'s 20 operator mails); of the abuse tier: no-abuse-contact (RDAP names none), abuse-lookup-failed (no answer within --notice-max-age), digest-full (a bound of the abuse tier was reached).', ['reason'], { reason: DROP_REASONS }),
      queue: watched<Record<string, number>>(r, 'wormwatch_notice_queue', 'Notices in the outbox, by state.', ['state'], (g, counts) => {
        for (const state of NOTICE_STATES) g.set({ state }, counts[state] ?? 0);
      }),
      outboxUp: watched<boolean>(r, 'wormwatch_outbox_up', '1 while the notice outbox can be written, 0 while its disk refuses (full, read-only); hits wait in the bounded hand-off meanwhile.', [], (g, up) => g.set(up ? 1 : 0)),
      sendSeconds: new Histogram({ name: 'wormwatch_notice_send_seconds', help: 'Time to hand one notice to the SMTP server (success or failure).', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [r] }),
      dnsLookups: counter(r, 'wormwatch_dns_lookups_total', 'Reverse DNS lookups for notices, by result (confirmed, unconfirmed, invalid, none, timeout, error, cached).', ['result']),
      rdapLookups: counter(r, 'wormwatch_rdap_lookups_total', 'RDAP abuse-contact lookups for the abuse tier, by result (found, none, cached, error, timeout, rate-limited, invalid).', ['result'], { result: RDAP_LOOKUP_RESULTS }),
      rdapCache: watched<number>(r, 'wormwatch_rdap_cache_entries', 'Answers (networks, negative ones included) in the bounded RDAP cache.', [], (g, v) => g.set(v)),
    },
    rules: {
      reloads: counter(r, 'wormwatch_rules_reload_total', 'Rule reloads (SIGHUP or POST /reload), by result (success, failure).', ['result'], { result: ['success', 'failure'] }),
      loaded: new Gauge({ name: 'wormwatch_rules_loaded', help: 'Signatures in the running engine (built-in and user rules).', registers: [r] }),
      lastReloadOk: new Gauge({ name: 'wormwatch_rules_last_reload_success', help: '1 if the last rule reload succeeded (or none was tried), 0 if it failed and older rules are running.', registers: [r] }),
    },
    cluster: {
      workers: watched<number>(r, 'wormwatch_workers', 'Proxy worker processes running (--workers; 1 for a single process).', [], (g, v) => g.set(v)),
      reportsDropped: counter(r, 'wormwatch_worker_reports_dropped_total', 'Detections and 404s a proxy worker could not pass to the primary (more than 10,000 queued, or the primary gone).'),
    },
  };
  metrics.buildInfo.set({ version, node: process.version }, 1);
  metrics.rules.lastReloadOk.set(1);
  metrics.cluster.workers.watch(() => 1);
  return metrics;
}

/** What a Redis operation of fleet mode was doing when it failed (the `op` label). */
export const REDIS_OPS = ['connect', 'bans', 'offenders', 'claims', 'caps', 'digests', 'read', 'stream'] as const;
export const FLEET_DROP_REASONS = ['buffer-full'] as const;

/**
 * Fleet mode's metrics (`--redis-url`), registered only when it is on: a replica without Redis
 * exports exactly what it did before.
 */
export function createFleetMetrics(registry: Registry) {
  const r = registry;
  return {
    up: new Gauge({ name: 'wormwatch_redis_up', help: '1 while the fleet\'s Redis answers, 0 while it does not (the replica serves on, alone; detections and claims wait in a bounded buffer).', registers: [r] }),
    errors: counter(r, 'wormwatch_redis_errors_total', 'Redis commands that failed or timed out, by what they were for (connect, bans, offenders, claims, caps, digests, read, stream).', ['op'], { op: REDIS_OPS }),
    duplicates: counter(r, 'wormwatch_notices_duplicate_total', 'Notices not queued here because another replica claimed that offender for this --notice-interval, abuse digests not sent here because another replica sends the fleet\'s for that mailbox and window, and operator mails not sent here because another replica\'s about that path went that day (fleet mode).'),
    reclaimed: counter(r, 'wormwatch_notices_reclaimed_total', 'Notices of the fleet\'s stream taken over from a consumer that held them past --notice-lease (crashed, or stuck mid-send): each may reach its recipients twice.'),
    buffered: watched<number>(r, 'wormwatch_fleet_buffered', 'Detections, bans and claims waiting in the bounded local buffer for Redis to come back.', [], (g, v) => g.set(v)),
    dropped: counter(r, 'wormwatch_fleet_dropped_total', 'What fleet mode could not keep for Redis: buffer-full (the local buffer held its maximum while Redis was away).', ['reason'], { reason: FLEET_DROP_REASONS }),
  };
}

export type FleetMetrics = ReturnType<typeof createFleetMetrics>;
export type Metrics = ReturnType<typeof createMetrics>;
export type ProxyMetrics = Metrics['proxy'];
export type NoticeMetricHandles = Metrics['notices'];
export type RuleMetrics = Metrics['rules'];
export type BanMetricHandles = Metrics['bans'];

/** Metrics only the primary reports: summing them over `--workers` processes would count them N times. */
export const PRIMARY_ONLY = ['wormwatch_build_info', 'wormwatch_offenders', 'wormwatch_workers', 'wormwatch_rules_loaded', 'wormwatch_rules_last_reload_success', 'wormwatch_notice_queue', 'wormwatch_outbox_up', 'wormwatch_bans', 'wormwatch_ban_file_up'];
