import { BAN_REASONS, FOREVER, type Ban, type BanChange, type BanReason } from '../bans/index.js';
import type { Logger } from '../log.js';
import type { FleetMetrics } from '../metrics.js';
import type { RedisLink } from './redis-link.js';

/** What the bans of one replica offer fleet mode: their changes, and a way in for the others'. */
export interface FleetBans {
  subscribe(listener: (change: BanChange) => void): void;
  applyRemote(change: { key: string; ban: Ban | null }): void;
}

/** Changes made while Redis was away, kept (the latest per key) to send on its return. */
export const BAN_BUFFER_MAX = 10_000;
/** A change whose write failed while Redis stayed up (a time-out) is tried again this often. */
export const RETRY_MS = 1_000;
/** Keys read per SCAN step of a resync. */
const SCAN_COUNT = 1_000;
/** Longest key accepted from Redis (`path:` plus 200 characters of path). */
const KEY_MAX = 256;

interface BanMessage {
  from: string;
  key: string;
  ban: Ban | null;
}

/** A ban read from Redis (another replica wrote it, or anyone who can reach Redis): checked field by field, or null. Pure. */
export function banOf(value: unknown): Ban | null {
  if (typeof value !== 'object' || value === null) return null;
  const b = value as Record<string, unknown>;
  const ok = typeof b.key === 'string' && b.key.length > 0 && b.key.length <= KEY_MAX
    && Number.isSafeInteger(b.since) && Number.isSafeInteger(b.until) && (b.until as number) >= (b.since as number)
    && Number.isSafeInteger(b.count) && (b.count as number) >= 1
    && BAN_REASONS.includes(b.reason as BanReason)
    && (b.signature === null || (typeof b.signature === 'string' && b.signature.length <= 128));
  return ok ? { key: b.key as string, since: b.since as number, until: b.until as number, count: b.count as number, reason: b.reason as BanReason, signature: b.signature as string | null } : null;
}

/** A published change, or null when it is not one. Pure. */
export function banMessageOf(text: string): BanMessage | null {
  let m: { from?: unknown; key?: unknown; ban?: unknown };
  try {
    m = JSON.parse(text) as typeof m;
  } catch {
    return null;
  }
  if (typeof m?.from !== 'string' || typeof m.key !== 'string' || m.key.length > KEY_MAX) return null;
  if (m.ban === null) return { from: m.from, key: m.key, ban: null };
  const ban = banOf(m.ban);
  return ban !== null && ban.key === m.key ? { from: m.from, key: m.key, ban } : null;
}

/**
 * Bans fleet-wide. Each ban decided here is written to `ban:<key>` with the ban's own expiry and
 * published on `bans`; every replica applies what it hears to its in-memory table (the mirror
 * the request path reads), so the check never waits on the network. Redis away: changes wait in
 * a bounded buffer (the latest per key) and go out on its return, followed by a resync (SCAN of
 * `ban:*`) for what was published meanwhile. Clocks: `until` is epoch ms, so replicas need NTP.
 */
export class BanSync {
  readonly #pending = new Map<string, Ban | null>();
  readonly #channel: string;
  #retry: NodeJS.Timeout | undefined;

  constructor(private readonly link: RedisLink, private readonly bans: FleetBans, private readonly replica: string, private readonly metrics: FleetMetrics, private readonly logger: Logger, private readonly max: number) {
    this.#channel = link.key('bans');
  }

  get buffered(): number {
    return this.#pending.size;
  }

  start(): void {
    this.bans.subscribe((change) => {
      if (change.cause === undefined) this.#send(change.key, change.ban);
    });
    this.link.subscribe(this.#channel, (text) => this.#heard(text));
    this.link.onUp(() => void this.#replayThenResync());
    this.#retry = setInterval(() => this.link.up && this.#pending.size > 0 && this.#replay(), RETRY_MS);
    this.#retry.unref();
  }

  stop(): void {
    clearInterval(this.#retry);
  }

  #replay(): void {
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [key, ban] of pending) this.#send(key, ban);
  }

  #send(key: string, ban: Ban | null): void {
    if (!this.link.up) return this.#keep(key, ban);
    const message = JSON.stringify({ from: this.replica, key, ban });
    const pipe = this.link.redis.multi();
    if (ban === null) pipe.del(this.#keyOf(key));
    else if (ban.until === FOREVER) pipe.set(this.#keyOf(key), JSON.stringify(ban));
    else pipe.set(this.#keyOf(key), JSON.stringify(ban), 'PX', Math.max(1, ban.until - Date.now()));
    pipe.publish(this.#channel, message);
    pipe.exec().then((replies) => {
      if (replies?.some(([err]) => err !== null)) throw new Error('ban write refused');
    }).catch((err: unknown) => {
      this.link.failed('bans', err);
      this.#keep(key, ban);
    });
  }

  #keep(key: string, ban: Ban | null): void {
    this.#pending.delete(key);
    if (this.#pending.size >= BAN_BUFFER_MAX) return void this.metrics.dropped.inc({ reason: 'buffer-full' });
    this.#pending.set(key, ban);
  }

  #heard(text: string): void {
    const m = banMessageOf(text);
    if (m === null) return void this.logger.debug('ignored a malformed ban message');
    if (m.from !== this.replica) this.bans.applyRemote({ key: m.key, ban: m.ban });
  }

  async #replayThenResync(): Promise<void> {
    this.#replay();
    try {
      await this.#resync();
    } catch (err) {
      this.link.failed('bans', err);
    }
  }

  /** Every ban in Redis into the local table, at most `max` (--ban-max) of them. */
  async #resync(): Promise<void> {
    let cursor = '0';
    let seen = 0;
    const now = Date.now();
    do {
      const [next, keys] = await this.link.redis.scan(cursor, 'MATCH', `${this.#keyOf('')}*`, 'COUNT', SCAN_COUNT);
      cursor = next;
      const values = keys.length === 0 ? [] : await this.link.redis.mget(keys);
      for (const value of values) {
        const ban = value === null ? null : banOf(safeJson(value));
        if (ban === null || ban.until <= now || seen >= this.max) continue;
        seen++;
        this.bans.applyRemote({ key: ban.key, ban });
      }
    } while (cursor !== '0' && seen < this.max);
    if (seen > 0) this.logger.info({ bans: seen }, 'fleet bans loaded from redis');
  }

  #keyOf(key: string): string {
    return this.link.key('ban', key);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
