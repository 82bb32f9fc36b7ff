import type { Redis } from 'ioredis';
import { canonicalIp } from '../address.js';
import type { DetectionEvent } from '../detect/detection.js';
import type { FleetMetrics, NoticeMetricHandles } from '../metrics.js';
import type { NoticeGate } from '../notify/index.js';
import type { RedisLink } from './redis-link.js';

/** Offender addresses whose claim this replica remembers (won, lost or pending); the oldest go first. */
export const CLAIMS_MAX = 10_000;
/** Claims taken while Redis was away, to record on its return. */
export const CLAIM_BUFFER_MAX = 10_000;
/** Hits of one address held while its claim is in flight (one round trip); more are let through uncounted. */
const WAITING_MAX = 20;
const HOUR = 3_600_000;

/** INCR with an expiry as one step (a crash between them would leave a counter that never ends), for several keys under one limit. */
const CAP = `
for _, k in ipairs(KEYS) do if tonumber(redis.call('GET', k) or '0') >= tonumber(ARGV[1]) then return 0 end end
for _, k in ipairs(KEYS) do if redis.call('INCR', k) == 1 then redis.call('PEXPIRE', k, ARGV[2]) end end
return 1
`;

interface CappedRedis extends Redis {
  wwCap(keys: number, ...args: Array<string | number>): Promise<number>;
}

interface Claim {
  state: 'mine' | 'theirs' | 'pending';
  /** Epoch ms the claim ends (the key's expiry). */
  until: number;
  waiting: DetectionEvent[];
}

export interface ClaimSettings {
  replica: string;
  /** `--notice-interval`: a claim holds this long. */
  intervalMs: number;
  /** `--notice-max-per-hour` and `--notice-max-per-domain-per-hour`, fleet-wide per clock hour. */
  maxPerHour: number;
  maxPerDomainPerHour: number;
}

/**
 * One notice per offender per interval, fleet-wide: before a detection reaches the notifier's
 * hand-off, the replica claims the address with `SET claim:{ip} <replica> NX PX <interval>`.
 * The winner queues the notice (and counts it against the shared hourly cap); the others count
 * a duplicate and drop that interval's hits. The caps are counters per clock hour with expiry,
 * raised by a Lua script (check and increment in one step). Redis away or slow: the local
 * outbox's own dedupe and caps decide, and the claims taken meanwhile are recorded on its return.
 */
export class NoticeClaims implements NoticeGate {
  readonly #claims = new Map<string, Claim>();
  readonly #unrecorded = new Map<string, number>();
  readonly #redis: CappedRedis;

  constructor(private readonly link: RedisLink, private readonly settings: ClaimSettings, private readonly metrics: FleetMetrics, private readonly notices: NoticeMetricHandles) {
    this.#redis = link.redis as CappedRedis;
    if (typeof this.#redis.wwCap !== 'function') link.redis.defineCommand('wwCap', { lua: CAP });
    link.onUp(() => this.#recordUnrecorded());
  }

  get buffered(): number {
    return this.#unrecorded.size;
  }

  offer(event: DetectionEvent, admit: (event: DetectionEvent) => void): void {
    const ip = canonicalIp(event.ip) ?? event.ip;
    const now = Date.now();
    const held = this.#claims.get(ip);
    if (held !== undefined && (held.state === 'pending' || held.until > now)) {
      if (held.state === 'mine') admit(event);
      else if (held.state === 'pending' && held.waiting.length < WAITING_MAX) held.waiting.push(event);
      return;
    }
    if (!this.link.up) return this.#alone(ip, event, admit, now);
    const claim: Claim = { state: 'pending', until: now + this.settings.intervalMs, waiting: [event] };
    this.#remember(ip, claim);
    this.#claim(ip, claim).then((outcome) => this.#decided(claim, outcome, admit), (err: unknown) => {
      this.link.failed('claims', err);
      claim.state = 'mine';
      this.#buffer(ip, claim.until);
      for (const e of claim.waiting.splice(0)) admit(e);
    });
  }

  async domainsAllowed(domains: readonly string[]): Promise<boolean | null> {
    if (!this.link.up || domains.length === 0) return null;
    const hour = Math.floor(Date.now() / HOUR);
    // One hash tag for every cap counter: the script's keys share a Cluster slot (caps are few and cold).
    const keys = domains.map((d) => this.link.key(`cap:{caps}:domain:${hour}:${d.slice(0, 253)}`));
    try {
      return (await this.#redis.wwCap(keys.length, ...keys, this.settings.maxPerDomainPerHour, 2 * HOUR)) === 1;
    } catch (err) {
      this.link.failed('caps', err);
      return null;
    }
  }

  /** `won`, `capped` (won, but the fleet's hourly cap is reached), `theirs`, with the claim's end. */
  async #claim(ip: string, claim: Claim): Promise<{ outcome: 'won' | 'capped' | 'theirs' | 'mine'; until: number }> {
    const key = this.link.key(`claim:{${ip}}`);
    const replies = await this.link.redis.multi().set(key, this.settings.replica, 'PX', this.settings.intervalMs, 'NX').get(key).pttl(key).exec();
    const [set, holder, ttl] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const until = Date.now() + Math.max(0, Number(ttl ?? 0));
    if (set !== 'OK') return { outcome: holder === this.settings.replica ? 'mine' : 'theirs', until };
    const hourKey = this.link.key(`cap:{caps}:hour:${Math.floor(Date.now() / HOUR)}`);
    const underCap = await this.#redis.wwCap(1, hourKey, this.settings.maxPerHour, 2 * HOUR).catch((err: unknown) => {
      this.link.failed('caps', err);
      return 1; // the local hourly cap still applies
    });
    return { outcome: underCap === 1 ? 'won' : 'capped', until: until > claim.until ? claim.until : until };
  }

  #decided(claim: Claim, result: { outcome: 'won' | 'capped' | 'theirs' | 'mine'; until: number }, admit: (event: DetectionEvent) => void): void {
    claim.until = result.until;
    const waiting = claim.waiting.splice(0);
    if (result.outcome === 'theirs' || result.outcome === 'capped') {
      claim.state = 'theirs';
      if (result.outcome === 'theirs') this.metrics.duplicates.inc();
      else {
        this.notices.total.inc({ result: 'suppressed' });
        this.notices.suppressed.inc({ reason: 'hourly-cap' });
      }
      return;
    }
    claim.state = 'mine';
    for (const e of waiting) admit(e);
  }

  /** Redis away: this replica notices on its own (its outbox dedupes), and the claim is recorded later. */
  #alone(ip: string, event: DetectionEvent, admit: (event: DetectionEvent) => void, now: number): void {
    const claim: Claim = { state: 'mine', until: now + this.settings.intervalMs, waiting: [] };
    this.#remember(ip, claim);
    this.#buffer(ip, claim.until);
    admit(event);
  }

  #buffer(ip: string, until: number): void {
    if (this.#unrecorded.size >= CLAIM_BUFFER_MAX && !this.#unrecorded.has(ip)) return void this.metrics.dropped.inc({ reason: 'buffer-full' });
    this.#unrecorded.set(ip, until);
  }

  #remember(ip: string, claim: Claim): void {
    this.#claims.delete(ip);
    if (this.#claims.size >= CLAIMS_MAX) this.#claims.delete(this.#claims.keys().next().value!);
    this.#claims.set(ip, claim);
  }

  /** The claims taken alone, written now (NX: a claim another replica took meanwhile stands). */
  #recordUnrecorded(): void {
    const now = Date.now();
    const claims = [...this.#unrecorded].filter(([, until]) => until > now);
    this.#unrecorded.clear();
    if (claims.length === 0) return;
    const pipe = this.link.redis.pipeline();
    for (const [ip, until] of claims) pipe.set(this.link.key(`claim:{${ip}}`), this.settings.replica, 'PX', until - now, 'NX');
    pipe.exec().catch((err: unknown) => this.link.failed('claims', err));
  }
}
