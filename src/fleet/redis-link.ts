import { createHash } from 'node:crypto';
// The one Redis connection of a replica (plus a subscriber for pub/sub): ioredis with command
// time-outs, no offline queue, reconnect back-off, and an up/down state logged once per change.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';
import type { FleetMetrics } from '../metrics.js';
import type { REDIS_OPS } from '../metrics.js';

export type RedisOp = (typeof REDIS_OPS)[number];

export interface LinkSettings {
  url: URL;
  /** Longest a command may take (`--redis-timeout`); then it fails and the caller falls back. */
  commandTimeoutMs: number;
  /** Key and channel prefix (`--redis-prefix`). */
  prefix: string;
  /** False for a second link of the same process (a replica's mailer): the first one reports up/down. */
  reports?: boolean;
}

/** Reconnect delays double from this… */
const BACKOFF_BASE_MS = 50;
/** …up to this, plus up to 20 % jitter so a fleet does not reconnect in step. */
const BACKOFF_MAX_MS = 5_000;
/** A connection attempt that has not answered in this long is abandoned (and retried). */
const CONNECT_TIMEOUT_MS = 2_000;

/** The reconnect delay before attempt `times` (1, 2, …): exponential, capped, jittered. Pure. */
export function reconnectDelay(times: number, random = Math.random()): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(times - 1, 20));
  return Math.round(base * (1 + 0.2 * random));
}

/** ioredis options from `--redis-url`: TCP, TLS (`rediss:`) or a unix socket. Pure. */
export function redisOptions(settings: LinkSettings): RedisOptions {
  const { url } = settings;
  const common: RedisOptions = {
    lazyConnect: true,
    // No offline queue: a command while disconnected fails at once, so nothing piles up in memory
    // and callers fall back to their own bounded buffers.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times: number) => reconnectDelay(times),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
  if (url.protocol === 'unix:') return { ...common, path: decodeURIComponent(url.pathname) };
  const db = Number(url.pathname.slice(1) || '0');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    ...common, host, db,
    port: url.port ? Number(url.port) : 6379,
    ...(url.protocol === 'rediss:' ? { tls: { servername: host } } : {}),
  };
}

/**
 * A replica's Redis: `redis` for commands, `subscribe` for channels, `up` and listeners told
 * when it comes back (to replay what was buffered). Failures are counted by `op`; the log says
 * "redis up" or "redis down" once per change, never once per failure.
 */
export class RedisLink {
  readonly redis: Redis;
  readonly #subscriber: Redis;
  readonly #onUp: Array<() => void> = [];
  readonly #channels = new Map<string, (message: string) => void>();
  #state: 'unknown' | 'up' | 'down' = 'unknown';

  constructor(readonly settings: LinkSettings, private readonly metrics: FleetMetrics, private readonly logger: Logger) {
    const options = redisOptions(settings);
    this.redis = new Redis(options);
    // The subscriber queues only its SUBSCRIBE while connecting (one per channel: bounded).
    this.#subscriber = new Redis({ ...options, enableOfflineQueue: true, commandTimeout: undefined });
    if (settings.reports !== false) metrics.up.set(0);
    this.redis.on('ready', () => this.#change('up'));
    this.redis.on('close', () => this.#change('down'));
    this.redis.on('error', (err: Error) => this.#connectError(err));
    this.#subscriber.on('error', (err: Error) => this.#connectError(err));
    this.#subscriber.on('message', (channel: string, message: string) => this.#channels.get(channel)?.(message));
    // Messages published while the subscriber was away are lost: a resync follows each reconnect.
    this.#subscriber.on('ready', () => this.#state === 'up' && this.#onUp.forEach((f) => f()));
  }

  get up(): boolean {
    return this.#state === 'up';
  }

  /** `ww:ban:…`: every key and channel of this fleet. */
  key(...parts: string[]): string {
    return [this.settings.prefix, ...parts].join(':');
  }

  /**
   * A hash tag for text from outside (an exposed path, an RDAP mailbox: any bytes, braces, any
   * length): 16 hex digits of its SHA-256, so the key stays short and one Cluster slot holds it.
   */
  hashTag(text: string): string {
    return `{${createHash('sha256').update(text).digest('hex').slice(0, 16)}}`;
  }

  /** Runs `listener` each time Redis comes (back) up. */
  onUp(listener: () => void): void {
    this.#onUp.push(listener);
  }

  /** Hears every message on `channel` (re-subscribed after a reconnect). */
  subscribe(channel: string, onMessage: (message: string) => void): void {
    this.#channels.set(channel, onMessage);
    this.#subscriber.subscribe(channel).catch((err: unknown) => this.failed('connect', err));
  }

  /** Counts a failed command (the caller has fallen back already); logged at debug only. */
  failed(op: RedisOp, err: unknown): void {
    this.metrics.errors.inc({ op });
    this.logger.debug({ op, err: (err as Error)?.message }, 'redis command failed');
  }

  /** Connects in the background: a replica starts and serves whether Redis answers or not. */
  start(): void {
    this.redis.connect().catch(() => this.#change('down'));
    this.#subscriber.connect().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.#onUp.length = 0;
    this.redis.disconnect();
    this.#subscriber.disconnect();
  }

  #connectError(err: Error): void {
    this.metrics.errors.inc({ op: 'connect' });
    this.logger.debug({ err: err.message }, 'redis connection error');
  }

  #change(next: 'up' | 'down'): void {
    if (this.#state === next) return;
    const was = this.#state;
    this.#state = next;
    if (next === 'up') for (const listener of this.#onUp) listener();
    if (this.settings.reports === false) return;
    this.metrics.up.set(next === 'up' ? 1 : 0);
    const where = this.settings.url.protocol === 'unix:' ? this.settings.url.pathname : this.settings.url.host;
    if (next === 'up') this.logger.info({ event: 'redis-up', redis: where }, 'redis up: fleet mode shares bans, offenders and notices');
    else this.logger.warn({ event: 'redis-down', redis: where, was }, 'redis down: serving on alone, buffering for its return');
  }
}
