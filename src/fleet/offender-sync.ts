import { canonicalIp } from '../address.js';
import type { DetectionEvent } from '../detect/detection.js';
import type { FleetMetrics } from '../metrics.js';
import type { Offender } from '../offenders/store.js';
import { withOffenderScripts, type ScriptedRedis } from './offender-scripts.js';
import type { RedisLink } from './redis-link.js';

/** Addresses whose hits wait in memory for the next write (or for Redis to return); more are dropped, counted. */
export const OFFENDER_BUFFER_MAX = 10_000;
/** Addresses written per round trip. */
const FLUSH_BATCH = 1_000;
/** Hits wait at most this long before they are written (what a fleet-wide read may lag by). */
export const FLUSH_MS = 200;
/** Distinct signature ids counted per address in Redis, as in the local store. */
export const SIGNATURES_MAX = 32;
/** Replicas counted by name per address; hits of further ones count under `~other`. */
export const REPLICAS_MAX = 64;

/** One request line as the fleet keeps it: which replica (`r`) saw it (`l`), and when (`t`, epoch ms). Short names: Redis holds one per sample per offender. */
export interface FleetSample {
  r: string;
  t: number;
  l: string;
}

/** One address's hits since the last write. */
interface Delta {
  ip: string;
  hits: number;
  firstSeen: number;
  lastSeen: number;
  family: string;
  signatures: Map<string, number>;
  samples: FleetSample[];
  network: Pick<Offender, 'asn' | 'asOrg' | 'country'> | undefined;
}

export interface OffenderSyncSettings {
  replica: string;
  /** Addresses the fleet remembers (`--offender-max`): the sorted set is trimmed to it. */
  max: number;
  /** An address not seen for this long is forgotten (`--offender-ttl`): hash expiry and index trim. */
  ttlMs: number;
  /** Request lines kept per address fleet-wide (`--offender-samples`). */
  samples: number;
}

/** The arguments of RECORD (see offender-scripts.ts) for one delta. Pure. */
export function recordArgs(d: Delta, s: OffenderSyncSettings): Array<string | number> {
  const sigs = [...d.signatures].flatMap(([id, n]) => [id, n]);
  const net = d.network;
  return [s.ttlMs, d.hits, d.firstSeen, d.lastSeen, d.family, s.replica, SIGNATURES_MAX, s.samples, JSON.stringify(d.samples),
    net?.asn ?? '', net?.asOrg ?? '', net?.country ?? '', REPLICAS_MAX, ...sigs];
}

/**
 * Publishes this replica's detections: hits are merged per address in a bounded buffer (on the
 * request path: a map update, no I/O) and written every FLUSH_MS, one script call per address
 * and one per batch for the index. While Redis is away the buffer keeps merging, and is written
 * when it returns: counts arrive late, not lost, for up to OFFENDER_BUFFER_MAX addresses.
 */
export class OffenderSync {
  #buffer = new Map<string, Delta>();
  #timer: NodeJS.Timeout | undefined;
  #writing = false;
  /** Addresses of the batch being written: still this replica's to keep until Redis has them. */
  #inFlight = 0;
  readonly #redis: ScriptedRedis;

  constructor(private readonly link: RedisLink, private readonly settings: OffenderSyncSettings, private readonly metrics: FleetMetrics, private readonly networkOf: (ip: string) => Delta['network']) {
    this.#redis = withOffenderScripts(link.redis);
  }

  get buffered(): number {
    return this.#buffer.size + this.#inFlight;
  }

  record(event: DetectionEvent): void {
    const ip = canonicalIp(event.ip);
    if (ip === null) return;
    const at = event.at.getTime();
    let d = this.#buffer.get(ip);
    if (d === undefined) {
      if (this.#buffer.size >= OFFENDER_BUFFER_MAX) return void this.metrics.dropped.inc({ reason: 'buffer-full' });
      d = { ip, hits: 0, firstSeen: at, lastSeen: at, family: '', signatures: new Map(), samples: [], network: this.networkOf(ip) };
      this.#buffer.set(ip, d);
    }
    d.hits++;
    d.firstSeen = Math.min(d.firstSeen, at);
    if (at >= d.lastSeen) {
      d.lastSeen = at;
      d.family = event.verdict.signature.family;
    }
    const id = event.verdict.signature.id;
    if (d.signatures.has(id) || d.signatures.size < SIGNATURES_MAX) d.signatures.set(id, (d.signatures.get(id) ?? 0) + 1);
    if (this.settings.samples > 0) {
      d.samples.push({ r: this.settings.replica, t: at, l: event.requestLine });
      if (d.samples.length > this.settings.samples) d.samples.shift();
    }
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.#timer.unref();
    this.link.onUp(() => void this.flush());
  }

  /** Writes what is buffered now (also on stop); resolves when the round trips end. */
  async flush(): Promise<void> {
    if (this.#writing || !this.link.up || this.#buffer.size === 0) return;
    this.#writing = true;
    try {
      while (this.#buffer.size > 0 && this.link.up) if (!(await this.#writeBatch())) break;
    } finally {
      this.#writing = false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #writeBatch(): Promise<boolean> {
    const batch: Delta[] = [];
    for (const [ip, d] of this.#buffer) {
      if (batch.length >= FLUSH_BATCH) break;
      batch.push(d);
      this.#buffer.delete(ip);
    }
    const now = Date.now();
    const pipe = this.#redis.pipeline() as unknown as ScriptedRedis & { exec(): Promise<Array<[Error | null, unknown]> | null> };
    for (const d of batch) pipe.wwRecord(this.link.key(`o:{${d.ip}}`), this.link.key(`o:{${d.ip}}:s`), ...recordArgs(d, this.settings));
    pipe.wwIndex(this.link.key('offenders'), this.settings.max, now - this.settings.ttlMs, ...batch.flatMap((d) => [d.lastSeen, d.ip]));
    this.#inFlight = batch.length;
    try {
      const replies = (await pipe.exec()) ?? [];
      const failed = replies.find(([err]) => err !== null);
      if (failed) throw failed[0];
      const gone = (replies.at(-1)?.[1] as string[] | undefined) ?? [];
      if (gone.length > 0) await this.link.redis.unlink(...gone.flatMap((ip) => [this.link.key(`o:{${ip}}`), this.link.key(`o:{${ip}}:s`)]));
      return true;
    } catch (err) {
      this.link.failed('offenders', err);
      this.#putBack(batch);
      return false;
    } finally {
      this.#inFlight = 0;
    }
  }

  /** A batch that could not be written, merged back with what came meanwhile (a script may have run twice: counts err high, never low). */
  #putBack(batch: Delta[]): void {
    for (const d of batch) {
      const cur = this.#buffer.get(d.ip);
      if (cur === undefined) {
        if (this.#buffer.size < OFFENDER_BUFFER_MAX) this.#buffer.set(d.ip, d);
        else this.metrics.dropped.inc({ reason: 'buffer-full' });
        continue;
      }
      cur.hits += d.hits;
      cur.firstSeen = Math.min(cur.firstSeen, d.firstSeen);
      for (const [id, n] of d.signatures) if (cur.signatures.has(id) || cur.signatures.size < SIGNATURES_MAX) cur.signatures.set(id, (cur.signatures.get(id) ?? 0) + n);
      cur.samples = [...d.samples, ...cur.samples].slice(-this.settings.samples);
    }
  }
}
