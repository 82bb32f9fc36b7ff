import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The metrics every part of wormwatch reports to, on one private Registry (never the global
 * one, so two instances in one process, as in tests, do not collide). Names and labels are an
 * interface that dashboards and alerts depend on: add, never rename. No label takes an
 * unbounded value (no addresses, no paths).
 */
export function createMetrics(version: string, registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  // These default gauges end in `_total`, which `promtool check metrics` rejects for a gauge
  // (prom-client issue 283); the gauges without the suffix (nodejs_active_handles, ...) remain.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  const pool = { source: () => ({ active: 0, idle: 0, queued: 0 }) };
  const metrics = {
    registry,
    requests: new Counter({
      name: 'wormwatch_requests_total',
      help: 'Requests handled by the proxy, by outcome (forwarded, blocked, observed in --intake/--mirror mode, error, aborted: the client left before the origin answered).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    detections: new Counter({
      name: 'wormwatch_detections_total',
      help: 'Worm and scanner detections, by signature, family, stage and action taken.',
      labelNames: ['signature', 'family', 'stage', 'action'] as const,
      registers: [registry],
    }),
    upstreamResponseSeconds: new Histogram({
      name: 'wormwatch_upstream_response_seconds',
      help: 'Time from forwarding a request to receiving the response headers from the origin.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: 'wormwatch_upstream_errors_total',
      help: 'Failed forwards, by error code (ERR_UPSTREAM_REFUSED, ERR_UPSTREAM_TIMEOUT, ...).',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    upstreamRetries: new Counter({
      name: 'wormwatch_upstream_retries_total',
      help: 'Idempotent requests without a body sent once more on a fresh connection after a stale pooled socket failed before any response byte.',
      registers: [registry],
    }),
    upstreamSockets: new Gauge({
      name: 'wormwatch_upstream_sockets',
      help: 'Connections to the origin, by state (active: carrying a request; idle: pooled for reuse).',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const stats = pool.source();
        this.set({ state: 'active' }, stats.active);
        this.set({ state: 'idle' }, stats.idle);
      },
    }),
    upstreamQueued: new Gauge({
      name: 'wormwatch_upstream_queued_requests',
      help: 'Requests waiting for a free connection to the origin (all --upstream-max-sockets busy); each waits at most --connect-timeout.',
      registers: [registry],
      collect() {
        this.set(pool.source().queued);
      },
    }),
    /** Tells the pool gauges where to read (the proxy's forwarder, once it exists). */
    watchUpstreamPool(source: () => { active: number; idle: number; queued: number }) {
      pool.source = source;
    },
    offenders: new Gauge({
      name: 'wormwatch_offenders',
      help: 'Offenders currently remembered in the bounded offender cache.',
      registers: [registry],
    }),
    buildInfo: new Gauge({
      name: 'wormwatch_build_info',
      help: 'Always 1; the version label says which wormwatch is running.',
      labelNames: ['version', 'node'] as const,
      registers: [registry],
    }),
  };
  metrics.buildInfo.set({ version, node: process.version }, 1);
  for (const outcome of ['forwarded', 'blocked', 'observed', 'error', 'aborted']) metrics.requests.inc({ outcome }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
