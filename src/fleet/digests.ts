import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FleetMetrics } from '../metrics.js';
import { DIGEST_MAX_HOSTS, LISTED_OPEN_MAX } from '../notify/abuse.js';
import type { DigestGate, DigestVerdict, SharedHost } from '../notify/index.js';
import { recipientDomain } from '../notify/policy.js';
import { MAX_SAMPLES, MAX_SIGNATURES, type SuppressionReason } from '../notify/types.js';
import { FleetCaps } from './caps.js';
import { ADD, addArgs, fleetDigestOf, TAKE } from './digest-scripts.js';
import type { ClaimSettings } from './notice-claims.js';
import type { RedisLink } from './redis-link.js';

/** Mailbox windows whose shares this replica remembers: one per open digest, and each lists a host, so LISTED_OPEN_MAX bounds them. */
export const COVERAGE_MAX = LISTED_OPEN_MAX;
/** The grace after a window's end before it is settled, at most: shares in flight land (each within --redis-timeout), clocks may differ. */
const GRACE_MAX_MS = 5_000;
/** Beyond the window's hash and marker expiring after three intervals: slack for short intervals and slow commands. */
const TTL_SLACK_MS = 10_000;

/** As the claims' settings, with `intervalMs` the `--abuse-digest-interval`: the window, aligned on the wall clock (floor(now / interval)). */
export type DigestSettings = Pick<ClaimSettings, 'replica' | 'intervalMs' | 'maxPerHour' | 'maxPerDomainPerHour'>;

interface Coverage {
  /** Settles when every share of the window sent so far has answered. */
  landed: Promise<void>;
  /** A share failed or missed the window: some host of the local digest may not be in the fleet's. */
  missed: boolean;
}

interface DigestRedis extends Redis {
  wwDigestAdd(keys: number, ...args: Array<string | number>): Promise<string>;
  wwDigestTake(keys: number, ...args: Array<string | number>): Promise<string[] | null>;
}

/**
 * One abuse digest per mailbox per window across the fleet. Windows are aligned on the wall
 * clock, so the replicas' local digests for a mailbox cover the same window; every host a replica
 * lists is merged into the window's hash (Lua: counts add up, first/last seen widen). When the
 * window is over, each replica with a digest for the mailbox tries `SET dgsend NX`: the winner
 * takes the whole hash and sends the one digest, the others suppress their own as covered
 * (`fleet-duplicate`, counted a duplicate). A replica whose shares did not all land (Redis away,
 * a time-out, a share after the window was taken, a restart) sends its own digest as well:
 * at least once, never lost. Why not a stream of entries and a dedicated closer: any replica
 * holding a digest can settle it, so a fleet needs no leader and no extra process.
 */
export class FleetDigests implements DigestGate {
  readonly graceMs: number;
  readonly #coverage = new Map<string, Coverage>();
  readonly #redis: DigestRedis;
  readonly #caps: FleetCaps;
  readonly #ttlMs: number;

  constructor(private readonly link: RedisLink, private readonly settings: DigestSettings, private readonly metrics: FleetMetrics) {
    this.graceMs = Math.min(GRACE_MAX_MS, settings.intervalMs / 4);
    this.#ttlMs = 3 * settings.intervalMs + TTL_SLACK_MS;
    this.#redis = link.redis as DigestRedis;
    if (typeof this.#redis.wwDigestAdd !== 'function') link.redis.defineCommand('wwDigestAdd', { lua: ADD });
    if (typeof this.#redis.wwDigestTake !== 'function') link.redis.defineCommand('wwDigestTake', { lua: TAKE });
    this.#caps = new FleetCaps(link);
  }

  windowEnd(at: number): number {
    return (Math.floor(at / this.settings.intervalMs) + 1) * this.settings.intervalMs;
  }

  /** The window's keys: the mailbox (from an RDAP answer, so hostile: braces, any length) hashed into the hash tag. */
  keys(mailbox: string, windowEnd: number): [hash: string, marker: string] {
    const tag = createHash('sha256').update(mailbox.toLowerCase()).digest('hex').slice(0, 16);
    const w = Math.round(windowEnd / this.settings.intervalMs);
    return [this.link.key(`dg:{${tag}}:${w}`), this.link.key(`dgsend:{${tag}}:${w}`)];
  }

  share(mailbox: string, windowEnd: number, host: SharedHost): void {
    const c = this.#covered(`${windowEnd}\n${mailbox}`);
    if (c.missed) return;
    if (!this.link.up) return void (c.missed = true);
    const sent = this.#redis.wwDigestAdd(2, ...this.keys(mailbox, windowEnd), host.ip, addArgs(host), DIGEST_MAX_HOSTS, this.#ttlMs, MAX_SIGNATURES, MAX_SAMPLES)
      .then((reply) => void (c.missed ||= reply === 'closed'), (err: unknown) => {
        this.link.failed('digests', err);
        c.missed = true;
      });
    c.landed = Promise.all([c.landed, sent]).then(() => undefined);
  }

  async settle(mailbox: string, windowEnd: number): Promise<DigestVerdict> {
    const id = `${windowEnd}\n${mailbox}`;
    const c = this.#coverage.get(id);
    this.#coverage.delete(id);
    await c?.landed;
    if (c === undefined || c.missed || !this.link.up) return { send: 'local', capped: await this.#capped(mailbox) };
    let taken: string[] | null;
    try {
      taken = await this.#redis.wwDigestTake(2, ...this.keys(mailbox, windowEnd), this.settings.replica, this.#ttlMs);
    } catch (err) {
      this.link.failed('digests', err);
      return { send: 'local', capped: null };
    }
    if (taken === null) {
      this.metrics.duplicates.inc();
      return { send: 'none' };
    }
    const { hosts, unlisted } = fleetDigestOf(taken);
    // Nothing in the fleet's copy (it expired): this replica's own digest is what there is.
    if (hosts.length === 0) return { send: 'local', capped: await this.#capped(mailbox) };
    return { send: 'fleet', hosts, unlisted, capped: await this.#capped(mailbox) };
  }

  /** The fleet's hourly and per-domain caps, counted once per digest sent; null when under them or Redis does not answer. */
  async #capped(mailbox: string): Promise<SuppressionReason | null> {
    if (!this.link.up) return null;
    try {
      if (!(await this.#caps.hour(this.settings.maxPerHour))) return 'hourly-cap';
      return (await this.#caps.domains([recipientDomain(mailbox)], this.settings.maxPerDomainPerHour)) ? null : 'domain-cap';
    } catch (err) {
      this.link.failed('caps', err);
      return null;
    }
  }

  #covered(id: string): Coverage {
    let c = this.#coverage.get(id);
    if (c === undefined) {
      if (this.#coverage.size >= COVERAGE_MAX) this.#coverage.delete(this.#coverage.keys().next().value!);
      c = { landed: Promise.resolve(), missed: false };
      this.#coverage.set(id, c);
    }
    return c;
  }
}
