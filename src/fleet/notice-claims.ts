import { canonicalIp } from '../address.js';
import type { DetectionEvent } from '../detect/detection.js';
import type { FleetMetrics, NoticeMetricHandles } from '../metrics.js';
import type { NoticeGate } from '../notify/index.js';
import { RETRY_MS } from './ban-sync.js';
import { FleetCaps } from './caps.js';
import type { RedisLink } from './redis-link.js';

/** Offender addresses whose claim this replica remembers (won, lost or pending); the oldest go first. */
export const CLAIMS_MAX = 10_000;
/** Claims taken while Redis was away, to record on its return. */
export const CLAIM_BUFFER_MAX = 10_000;
/** Hits of one address held while its claim is in flight (one round trip); more are let through uncounted. */
const WAITING_MAX = 20;

interface Claim {
  /** mine: this replica notices through its own hand-off; streamed: its notice is in the fleet's stream (later hits are read from the fleet's offender record). */
  state: 'mine' | 'streamed' | 'theirs' | 'pending';
  /** Epoch ms the claim ends (the key's expiry). */
  until: number;
  /** When it was claimed: a streamed notice's queue time, from which `--abuse-after` counts. */
  since: number;
  waiting: DetectionEvent[];
}

type Admit = (event: DetectionEvent, hostQueuedAt?: number) => void;

export interface ClaimSettings {
  replica: string;
  /** `--notice-interval`: a claim holds this long. */
  intervalMs: number;
  /** `--notice-max-per-hour` and `--notice-max-per-domain-per-hour`, fleet-wide per clock hour. */
  maxPerHour: number;
  maxPerDomainPerHour: number;
  /** Whether the address may get a notice at all (private, --allow): others are not claimed. */
  eligible: (ip: string) => boolean;
  /**
   * Where a won claim's hits go: the fleet's notice stream. Absent, or rejecting (Redis failed
   * between the claim and the write), they go to this replica's own hand-off.
   */
  queue?: (events: DetectionEvent[]) => Promise<void>;
  /** The abuse tier is on: a streamed claim's hits (the first and every later one) still go to this replica's hand-off, for the digests alone. */
  abuseTier?: boolean;
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
  readonly #caps: FleetCaps;
  readonly #retry: NodeJS.Timeout;

  constructor(private readonly link: RedisLink, private readonly settings: ClaimSettings, private readonly metrics: FleetMetrics, private readonly notices: NoticeMetricHandles) {
    this.#caps = new FleetCaps(link);
    link.onUp(() => this.#recordUnrecorded());
    // A claim that failed while Redis stayed up (a time-out) is recorded on the next round.
    this.#retry = setInterval(() => this.link.up && this.#unrecorded.size > 0 && this.#recordUnrecorded(), RETRY_MS);
    this.#retry.unref();
  }

  get buffered(): number {
    return this.#unrecorded.size;
  }

  stop(): void {
    clearInterval(this.#retry);
  }

  offer(event: DetectionEvent, admit: Admit): void {
    const ip = canonicalIp(event.ip) ?? event.ip;
    const now = Date.now();
    const held = this.#claims.get(ip);
    if (held !== undefined && (held.state === 'pending' || held.until > now)) {
      if (held.state === 'mine') admit(event);
      else if (held.state === 'streamed' && this.settings.abuseTier) admit(event, held.since);
      else if (held.state === 'pending' && held.waiting.length < WAITING_MAX) held.waiting.push(event);
      return;
    }
    // Not claimed: the local queue records it as not eligible, once per interval, as without a fleet.
    if (!this.settings.eligible(ip)) return admit(event);
    if (!this.link.up) return this.#alone(ip, event, admit, now);
    const claim: Claim = { state: 'pending', until: now + this.settings.intervalMs, since: now, waiting: [event] };
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
    try {
      return await this.#caps.domains(domains, this.settings.maxPerDomainPerHour);
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
    const underCap = await this.#caps.hour(this.settings.maxPerHour).catch((err: unknown) => {
      this.link.failed('caps', err);
      return true; // the local hourly cap still applies
    });
    return { outcome: underCap ? 'won' : 'capped', until: until > claim.until ? claim.until : until };
  }

  #decided(claim: Claim, result: { outcome: 'won' | 'capped' | 'theirs' | 'mine'; until: number }, admit: Admit): void {
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
    if (this.settings.queue === undefined) {
      claim.state = 'mine';
      return void waiting.forEach(admit);
    }
    claim.state = 'streamed';
    const forDigests = (): void => void (this.settings.abuseTier && waiting.forEach((e) => admit(e, claim.since)));
    // Ours already (this replica, restarted, claimed it before): its notice was queued then.
    if (result.outcome === 'mine') return forDigests();
    this.settings.queue(waiting).then(forDigests, (err: unknown) => {
      this.link.failed('stream', err);
      claim.state = 'mine';
      waiting.forEach((e) => admit(e));
    });
  }

  /** Redis away: this replica notices on its own (its outbox dedupes), and the claim is recorded later. */
  #alone(ip: string, event: DetectionEvent, admit: Admit, now: number): void {
    const claim: Claim = { state: 'mine', until: now + this.settings.intervalMs, since: now, waiting: [] };
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
