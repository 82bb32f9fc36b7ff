import type { Redis } from 'ioredis';
import type { FleetMetrics } from '../metrics.js';
import { DIGEST_MAX_HOSTS, LISTED_OPEN_MAX } from '../notify/abuse.js';
import type { DigestGate, DigestVerdict, SharedHost } from '../notify/index.js';
import { recipientDomain } from '../notify/policy.js';
import { MAX_SAMPLES, MAX_SIGNATURES, type SuppressionReason } from '../notify/types.js';
import { FleetCaps } from './caps.js';
import { ADD, addArgs, CONFIRM, fleetDigestOf, TAKE } from './digest-scripts.js';
import type { ClaimSettings } from './notice-claims.js';
import type { RedisLink } from './redis-link.js';

/** Mailbox windows whose shares this replica remembers: one per open digest, and each lists a host, so LISTED_OPEN_MAX bounds them. */
export const COVERAGE_MAX = LISTED_OPEN_MAX;
/** The grace after a window's end before it is settled, at most: shares in flight land (each within --redis-timeout), clocks may differ. */
const GRACE_MAX_MS = 5_000;
/** Beyond the window's hash and marker expiring after three intervals: slack for short intervals and slow commands. */
const TTL_SLACK_MS = 10_000;
/** How long a replica that took a window has to write its digest and confirm (at most: the interval, for short ones). */
export const DIGEST_LEASE_MS = 30_000;

/** As the claims' settings, with `intervalMs` the `--abuse-digest-interval`: the window, aligned on the wall clock (floor(now / interval)). */
export type DigestSettings = Pick<ClaimSettings, 'replica' | 'intervalMs' | 'maxPerHour' | 'maxPerDomainPerHour'> & {
  /** Default DIGEST_LEASE_MS, at most the interval (at least a second). */
  leaseMs?: number;
};

interface Coverage {
  /** Settles when every share of the window sent so far has answered. */
  landed: Promise<void>;
  /** A share failed or missed the window: some host of the local digest may not be in the fleet's. */
  missed: boolean;
}

interface DigestRedis extends Redis {
  wwDigestAdd(keys: number, ...args: Array<string | number>): Promise<string>;
  wwDigestTake(keys: number, ...args: Array<string | number>): Promise<string[] | string>;
  wwDigestConfirm(keys: number, ...args: Array<string | number>): Promise<number>;
}

/**
 * One abuse digest per mailbox per window across the fleet. Windows are aligned on the wall
 * clock, so the replicas' local digests for a mailbox cover the same window; every host a replica
 * lists is merged into the window's hash (Lua: counts add up, first/last seen widen). When the
 * window is over, each replica with a digest for the mailbox tries to take it: the winner gets
 * the whole hash for a lease, writes the one digest and confirms; the others wait for that and
 * then suppress their own as covered (`fleet-duplicate`, counted a duplicate). A winner that dies
 * before confirming loses nothing: its lease runs out and the next replica to settle takes over
 * (the digest may then go twice, never not at all). A replica whose shares did not all land (Redis away,
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
  readonly #leaseMs: number;

  constructor(private readonly link: RedisLink, private readonly settings: DigestSettings, private readonly metrics: FleetMetrics) {
    this.graceMs = Math.min(GRACE_MAX_MS, settings.intervalMs / 4);
    this.#ttlMs = 3 * settings.intervalMs + TTL_SLACK_MS;
    this.#leaseMs = settings.leaseMs ?? Math.max(1000, Math.min(DIGEST_LEASE_MS, settings.intervalMs));
    this.#redis = link.redis as DigestRedis;
    if (typeof this.#redis.wwDigestAdd !== 'function') link.redis.defineCommand('wwDigestAdd', { lua: ADD });
    if (typeof this.#redis.wwDigestTake !== 'function') link.redis.defineCommand('wwDigestTake', { lua: TAKE });
    if (typeof this.#redis.wwDigestConfirm !== 'function') link.redis.defineCommand('wwDigestConfirm', { lua: CONFIRM });
    this.#caps = new FleetCaps(link);
  }

  windowEnd(at: number): number {
    return (Math.floor(at / this.settings.intervalMs) + 1) * this.settings.intervalMs;
  }

  /** The window's keys: the mailbox (from an RDAP answer, so hostile: braces, any length) hashed into the hash tag. */
  keys(mailbox: string, windowEnd: number): [hash: string, marker: string] {
    const tag = this.link.hashTag(mailbox.toLowerCase());
    const w = Math.round(windowEnd / this.settings.intervalMs);
    return [this.link.key(`dg:${tag}:${w}`), this.link.key(`dgsend:${tag}:${w}`)];
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
    await c?.landed;
    if (c === undefined || c.missed || !this.link.up) {
      this.#coverage.delete(id);
      return { send: 'local', capped: await this.#capped(mailbox) };
    }
    let taken: string[] | string;
    try {
      taken = await this.#redis.wwDigestTake(2, ...this.keys(mailbox, windowEnd), this.settings.replica, this.#leaseMs);
    } catch (err) {
      this.link.failed('digests', err);
      this.#coverage.delete(id);
      return { send: 'local', capped: null };
    }
    // Taken by another replica: the coverage is kept while it has not confirmed (settled again later).
    if (typeof taken === 'string' && taken.startsWith('taking:')) return { send: 'wait' };
    this.#coverage.delete(id);
    if (typeof taken === 'string') {
      this.metrics.duplicates.inc();
      return { send: 'none' };
    }
    const { hosts, unlisted } = fleetDigestOf(taken);
    // Nothing in the fleet's copy (it expired): this replica's own digest is what there is.
    if (hosts.length === 0) return { send: 'local', capped: await this.#capped(mailbox) };
    return { send: 'fleet', hosts, unlisted, capped: await this.#capped(mailbox) };
  }

  confirm(mailbox: string, windowEnd: number): void {
    if (!this.link.up) return; // the lease runs out: another replica sends the window again (at least once)
    this.#redis.wwDigestConfirm(2, ...this.keys(mailbox, windowEnd), this.settings.replica, this.#ttlMs)
      .catch((err: unknown) => this.link.failed('digests', err));
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
