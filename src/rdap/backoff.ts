/** A server that asked us to slow down is left alone at most this long, whatever it says. */
export const MAX_RETRY_AFTER_MS = 3_600_000;
/** First back-off after a 5xx or a time-out; doubled per further failure up to the cap. */
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 900_000;

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date, as milliseconds from `now`,
 * capped; null if absent or unparseable (the caller then uses its own back-off).
 */
export function parseRetryAfter(value: string | null | undefined, now: number, capMs = MAX_RETRY_AFTER_MS): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Math.min(capMs, Number(v) * 1000);
  // Only the IMF-fixdate shape (and its obsolete relatives, which all name a weekday or month).
  if (v.length > 64 || !/^[A-Za-z]{3}/.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.min(capMs, Math.max(0, at - now));
}

/** Exponential back-off after `failures` consecutive failures (1 = the first), capped. */
export function backoffDelay(failures: number, baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

interface ServerState {
  until: number;
  failures: number;
}

/**
 * Back-off per server origin. Origins are the bootstrap's (or the one `--rdap-url`), since
 * referrals may not lead elsewhere, so the map is bounded by that list; `maxServers` is a second
 * bound in case a user bootstrap lists thousands.
 */
export class ServerBackoff {
  private readonly servers = new Map<string, ServerState>();

  constructor(private readonly o: { now: () => number; baseMs?: number; maxMs?: number; retryAfterCapMs?: number; maxServers?: number }) {}

  /** Milliseconds the origin is still backed off for; 0 if it may be asked. */
  remaining(origin: string): number {
    const s = this.servers.get(origin);
    return s ? Math.max(0, s.until - this.o.now()) : 0;
  }

  /** A 429: honour Retry-After (capped), else the exponential delay. Returns the delay used. */
  rateLimited(origin: string, retryAfter: string | null): number {
    const now = this.o.now();
    const failures = (this.servers.get(origin)?.failures ?? 0) + 1;
    const delay = parseRetryAfter(retryAfter, now, this.o.retryAfterCapMs ?? MAX_RETRY_AFTER_MS) ?? this.delay(failures);
    this.put(origin, { until: now + delay, failures });
    return delay;
  }

  /** A 5xx, time-out or connection failure. Returns the delay used. */
  failed(origin: string): number {
    const failures = (this.servers.get(origin)?.failures ?? 0) + 1;
    const delay = this.delay(failures);
    this.put(origin, { until: this.o.now() + delay, failures });
    return delay;
  }

  succeeded(origin: string): void {
    this.servers.delete(origin);
  }

  private delay(failures: number): number {
    return backoffDelay(failures, this.o.baseMs ?? BACKOFF_BASE_MS, this.o.maxMs ?? BACKOFF_MAX_MS);
  }

  private put(origin: string, s: ServerState): void {
    this.servers.delete(origin);
    this.servers.set(origin, s);
    if (this.servers.size > (this.o.maxServers ?? 1000)) this.servers.delete(this.servers.keys().next().value!);
  }
}
