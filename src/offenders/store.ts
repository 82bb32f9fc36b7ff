import { LRUCache } from 'lru-cache';
import type { DetectionEvent } from '../detect/detection.js';
import { canonicalIp } from '../address.js';
import { sanitiseLine } from '../detect/sanitise.js';

/** What is remembered of one client address. Returned as a copy: callers cannot change the store. */
export interface Offender {
  ip: string;
  firstSeen: Date;
  lastSeen: Date;
  /** Every detection recorded for this address while it stayed in the cache. */
  hits: number;
  /** Hits per signature id, at most `maxSignatures` ids; later new ids count in `otherHits`. */
  signatures: Record<string, number>;
  otherHits: number;
  /** Family of the most recent detection. */
  family: string;
  /** The most recent request lines, newest last, sanitised and truncated. */
  samples: string[];
  /** Reverse-DNS name, filled in later by whoever looks it up (the notifier); null until then. */
  hostname: string | null;
  /** The network the address is announced from, and its country (`--geoip`); null when unknown. */
  asn: number | null;
  asOrg: string | null;
  country: string | null;
}

/** What `enrich` tells of an address (the geoip lookup's shape). */
export interface NetworkOf {
  asn: number | null;
  asOrg: string | null;
  country: string | null;
}

export interface OffenderStoreOptions {
  /** Most addresses remembered; the least recently seen are dropped first. */
  max: number;
  /** An address not seen for this long (ms) is forgotten. */
  ttl: number;
  /** Request lines kept per address. */
  samples: number;
  /** Distinct signature ids counted per address (bounds a scanner that trips every rule). Default 32. */
  maxSignatures?: number;
  /** Longest sample line kept, in characters. Default 200. */
  maxLineLength?: number;
  /** Told the number of remembered addresses whenever it may have changed (the offenders gauge). */
  gauge?: { set(value: number): void };
  /** Monotonic clock in ms, for tests of expiry; default performance.now. */
  now?: () => number;
  /** Network and country of an address, looked up once when it first becomes an offender (synchronous, in-memory). */
  enrich?: (ip: string) => NetworkOf;
}

interface Entry {
  ip: string;
  /** Epoch ms: a number costs less than a Date, times 100 000 offenders. */
  firstSeen: number;
  lastSeen: number;
  hits: number;
  signatures: Map<string, number>;
  otherHits: number;
  family: string;
  samples: string[];
  hostname: string | null;
  asn: number | null;
  asOrg: string | null;
  country: string | null;
}

/**
 * Recent offenders, keyed by client address, in a bounded LRU with a TTL. Recency is "last
 * seen": `record` re-inserts, while reads use `peek` so looking at an offender (admin API,
 * notifier) neither refreshes it nor extends its life. Memory is bounded by
 * max × (samples × maxLineLength + maxSignatures) whatever the traffic.
 */
export class OffenderStore {
  readonly #cache: LRUCache<string, Entry>;
  readonly #samples: number;
  readonly #maxSignatures: number;
  readonly #maxLineLength: number;
  readonly #gauge: { set(value: number): void } | undefined;
  readonly #enrich: ((ip: string) => NetworkOf) | undefined;
  /** The offenders gauge's last value: set only when the count changes. */
  #gaugeSize = -1;
  #lastIp = '';
  #lastIpKey = '';
  #lastLine = '';
  #lastSample = '';

  constructor(options: OffenderStoreOptions) {
    this.#cache = new LRUCache<string, Entry>({
      max: options.max,
      ttl: options.ttl,
      updateAgeOnGet: false,
      // lru-cache caches the clock for ttlResolution ms of real time; an injected clock must be read every time.
      ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
    });
    this.#samples = options.samples;
    this.#maxSignatures = options.maxSignatures ?? 32;
    this.#maxLineLength = options.maxLineLength ?? 200;
    this.#gauge = options.gauge;
    this.#enrich = options.enrich;
    this.#gauge?.set((this.#gaugeSize = 0));
  }

  /** Remembers one detection; returns the offender's country (for the per-country metric). Cheap and synchronous: it runs on the request path. */
  record(event: DetectionEvent): string | null {
    const ip = this.#keyOf(event.ip);
    const entry = this.#cache.peek(ip) ?? this.#newEntry(ip, event.at);
    entry.lastSeen = event.at.getTime();
    entry.hits += 1;
    entry.family = event.verdict.signature.family;
    this.#countSignature(entry, event.verdict.signature.id);
    if (this.#samples > 0) {
      entry.samples.push(this.#sampleOf(event.requestLine));
      if (entry.samples.length > this.#samples) entry.samples.shift();
    }
    this.#cache.set(ip, entry);
    if (this.#cache.size !== this.#gaugeSize) this.#gauge?.set((this.#gaugeSize = this.#cache.size));
    return entry.country;
  }

  /**
   * The address as a key, the last one remembered: a flood from one offender (the case that must
   * stay cheap) gives the same text every time, and its parse and check are done once.
   */
  #keyOf(text: string): string {
    if (text !== this.#lastIp) {
      this.#lastIpKey = canonicalIp(text) ?? sanitiseLine(text, 64);
      this.#lastIp = text;
    }
    return this.#lastIpKey;
  }

  /** A request line sanitised for keeping; the last one remembered, as for `#keyOf` (a worm repeats its line). */
  #sampleOf(line: string): string {
    if (line !== this.#lastLine) {
      this.#lastSample = sanitiseLine(line, this.#maxLineLength);
      this.#lastLine = line;
    }
    return this.#lastSample;
  }

  /** The offender at this address (any notation of it), or undefined if unknown or expired. */
  get(ip: string): Offender | undefined {
    const entry = this.#cache.peek(canonicalIp(ip) ?? ip);
    return entry ? snapshot(entry) : undefined;
  }

  /** Up to `limit` offenders, the most recently seen first. */
  list(limit = 100): Offender[] {
    const out: Offender[] = [];
    if (limit <= 0) return out;
    for (const entry of this.#cache.values()) {
      out.push(snapshot(entry));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Records the reverse-DNS name of a known address; ignored if the address is not (or no longer) known. */
  setHostname(ip: string, name: string | null): void {
    const entry = this.#cache.peek(canonicalIp(ip) ?? ip);
    if (entry) entry.hostname = name === null ? null : sanitiseLine(name, 253);
  }

  /** Addresses held, including any expired ones not yet purged (see `purgeStale`). */
  get size(): number {
    return this.#cache.size;
  }

  /** Drops expired entries now (expiry is otherwise lazy); the app calls this periodically. */
  purgeStale(): void {
    this.#cache.purgeStale();
    this.#gauge?.set((this.#gaugeSize = this.#cache.size));
  }

  clear(): void {
    this.#cache.clear();
    this.#gauge?.set((this.#gaugeSize = 0));
  }

  #newEntry(ip: string, at: Date): Entry {
    // Looked up once per address, not per hit: a flood of one offender costs one lookup.
    const net = this.#enrich?.(ip) ?? NO_NETWORK;
    return { ip, firstSeen: at.getTime(), lastSeen: at.getTime(), hits: 0, signatures: new Map(), otherHits: 0, family: '', samples: [], hostname: null, asn: net.asn, asOrg: net.asOrg, country: net.country };
  }

  #countSignature(entry: Entry, id: string): void {
    const count = entry.signatures.get(id);
    if (count !== undefined) entry.signatures.set(id, count + 1);
    else if (entry.signatures.size < this.#maxSignatures) entry.signatures.set(id, 1);
    else entry.otherHits += 1;
  }
}

function snapshot(e: Entry): Offender {
  return {
    ip: e.ip,
    firstSeen: new Date(e.firstSeen),
    lastSeen: new Date(e.lastSeen),
    hits: e.hits,
    signatures: Object.fromEntries(e.signatures),
    otherHits: e.otherHits,
    family: e.family,
    samples: [...e.samples],
    hostname: e.hostname,
    asn: e.asn,
    asOrg: e.asOrg,
    country: e.country,
  };
}

const NO_NETWORK: NetworkOf = Object.freeze({ asn: null, asOrg: null, country: null });
