import { LRUCache } from 'lru-cache';
import { bits, prefixOf, type Addr, type Prefix } from './prefix.js';

/** Default bound on cached answers (networks, negative answers included). */
export const RDAP_CACHE_MAX = 10_000;
/**
 * Answers for networks broader than these are cached for the queried address's own /24 (/48)
 * only: an RIR-level block (an IANA /8, an unassigned /12) must not absorb every address in it.
 */
export const BROADEST_CACHED = { 4: 8, 6: 16 } as const;
/**
 * Where there is no network to cache by (a 404, a malformed answer), the answer stands for the
 * smallest block that is routed on its own: a /24 in IPv4, a /48 in IPv6.
 */
export const NEIGHBOURHOOD = { 4: 24, 6: 48 } as const;

interface Entry<T> {
  value: T;
  keys: string[];
}

/**
 * A bounded LRU of answers, each stored once under its network and indexed by every prefix the
 * network consists of, so any address inside it is answered by at most 33 (IPv4) or 129 (IPv6)
 * map look-ups, most specific first. The index is kept in step with the LRU (evictions and
 * expiries remove their index keys), so it is bounded by the same number of entries × MAX_CIDRS.
 */
export class NetworkCache<T extends {}> {
  private readonly lru: LRUCache<string, Entry<T>>;
  private readonly index = new Map<string, string>();

  constructor(o: { max: number; now?: () => number }) {
    this.lru = new LRUCache<string, Entry<T>>({
      max: Math.max(1, o.max),
      ttlAutopurge: false,
      // Read the clock on every check (the default memoises it for 1 ms, hiding an injected clock).
      ttlResolution: 0,
      // Expired entries are dropped lazily on access; their index keys go with them.
      dispose: (entry, id) => this.unindex(entry, id),
      ...(o.now ? { perf: { now: o.now } } : {}),
    });
  }

  get size(): number {
    return this.lru.size;
  }

  /** The most specific cached answer whose network contains `a`. */
  get(a: Addr): T | undefined {
    for (let length = bits(a.family); length >= 0; length--) {
      const id = this.index.get(key(prefixOf(a, length)));
      if (id === undefined) continue;
      const entry = this.lru.get(id);
      if (entry) return entry.value;
    }
    return undefined;
  }

  /** Stores `value` for `prefixes` (or, if they are too broad, for the queried neighbourhood). */
  set(prefixes: readonly Prefix[], queried: Addr, value: T, ttlMs: number): void {
    const narrow = prefixes.filter((p) => p.length >= BROADEST_CACHED[p.family]);
    const scope = narrow.length === prefixes.length && prefixes.length > 0 ? prefixes : [prefixOf(queried, NEIGHBOURHOOD[queried.family])];
    const keys = scope.map(key);
    const id = keys.join(',');
    this.lru.set(id, { value, keys }, { ttl: Math.max(1, ttlMs) });
    for (const k of keys) this.index.set(k, id);
  }

  clear(): void {
    this.lru.clear();
    this.index.clear();
  }

  private unindex(entry: Entry<T>, id: string): void {
    for (const k of entry.keys) if (this.index.get(k) === id) this.index.delete(k);
  }
}

function key(p: Prefix): string {
  return `${p.family}/${p.length}/${p.network.toString(16)}`;
}
