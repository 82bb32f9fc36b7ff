import { Resolver } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { LRUCache } from 'lru-cache';
import ipaddr from 'ipaddr.js';
import type { HostLookup } from './types.js';
import { forwardConfirms, hostnameProblem, normaliseHostname } from './recipients.js';

export interface ReverseDnsOptions {
  /** `IP`, `IP:PORT`, `[IPV6]:PORT`; empty = the system's resolvers. */
  servers: readonly string[];
  timeoutMs: number;
  maxInFlight: number;
  cacheTtlMs: number;
  cacheMax?: number;
}

/** Result labels of `wormwatch_dns_lookups_total`: a small fixed set. */
export type LookupResult = 'confirmed' | 'unconfirmed' | 'invalid' | 'none' | 'timeout' | 'error' | 'cached';

/** Cache bound (answers, negative ones included); stated in the README. */
export const DNS_CACHE_MAX = 10_000;
/** Time-outs and server failures are cached this long at most. */
const TRANSIENT_TTL_MS = 60_000;

/** A lookup outcome and whether it is transient (a time-out or a server failure). */
interface Answer {
  host: HostLookup;
  transient: boolean;
}

/**
 * Forward-confirmed reverse DNS (FCrDNS) with a bounded LRU cache of answers (negative answers
 * too, so a host without PTR costs one lookup per TTL), a bound on lookups in flight and a hard
 * time-out per query. Never throws: every failure is a `{ hostname: null, reason }`.
 */
export class ReverseDns {
  private readonly resolver: Resolver;
  private readonly cache: LRUCache<string, HostLookup>;
  private readonly pending = new Map<string, Promise<HostLookup>>();
  private readonly waiters: (() => void)[] = [];
  private inFlight = 0;

  constructor(private readonly o: ReverseDnsOptions, private readonly count: (r: LookupResult) => void = () => {}) {
    this.resolver = new Resolver({ timeout: Math.max(1, o.timeoutMs), tries: 1 });
    if (o.servers.length > 0) this.resolver.setServers([...o.servers]);
    this.cache = new LRUCache({ max: o.cacheMax ?? DNS_CACHE_MAX, ttl: Math.max(1, o.cacheTtlMs) });
  }

  lookup(ip: string): Promise<HostLookup> {
    const cached = this.cache.get(ip);
    if (cached) {
      this.count('cached');
      return Promise.resolve(cached);
    }
    let p = this.pending.get(ip);
    if (!p) {
      p = this.withSlot(() => this.resolve(ip)).then(({ host, transient }) => {
        // A time-out or server failure says little about the name: cached briefly only.
        this.cache.set(ip, host, transient ? { ttl: Math.min(TRANSIENT_TTL_MS, this.o.cacheTtlMs) } : undefined);
        this.pending.delete(ip);
        return host;
      });
      this.pending.set(ip, p);
    }
    return p;
  }

  /** Abandons outstanding queries (on stop). */
  cancel(): void {
    this.resolver.cancel();
  }

  private async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.o.maxInFlight) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.waiters.shift()?.();
    }
  }

  private async resolve(ip: string): Promise<Answer> {
    let names: string[];
    try {
      names = await this.timed(this.resolver.reverse(ipaddr.process(ip).toString()));
    } catch (err) {
      return this.failed(err, 'reverse');
    }
    if (names.length === 0) return this.miss('none', 'the address has no reverse DNS (PTR) name');
    const valid = names.map((n) => ({ n, norm: normaliseHostname(n) }));
    const candidates = valid.filter((v) => v.norm !== null);
    if (candidates.length === 0) {
      return this.miss('invalid', `the reverse DNS name is not a valid host name (${hostnameProblem(names[0]!)})`);
    }
    for (const { norm } of candidates.slice(0, 3)) {
      try {
        const fwd = await this.timed(isIPv4(ipaddr.process(ip).toString()) ? this.resolver.resolve4(`${norm}.`) : this.resolver.resolve6(`${norm}.`));
        if (forwardConfirms(ip, fwd)) {
          this.count('confirmed');
          return { host: { hostname: norm! }, transient: false };
        }
      } catch (err) {
        if (isTimeout(err)) return this.failed(err, 'forward');
      }
    }
    return this.miss('unconfirmed', `the reverse DNS name ${candidates[0]!.norm} does not resolve back to the address`);
  }

  private timed<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('DNS time-out'), { code: 'ETIMEOUT' })), this.o.timeoutMs + 50);
    });
    return Promise.race([p, guard]).finally(() => clearTimeout(timer));
  }

  private failed(err: unknown, which: string): Answer {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
    if (isTimeout(err)) return this.miss('timeout', `the ${which} DNS lookup timed out`);
    if (code === 'ENOTFOUND' || code === 'ENODATA') return this.miss('none', 'the address has no reverse DNS (PTR) name');
    if (code === 'EBADRESP' || code === 'EBADNAME') return this.miss('invalid', `the ${which} DNS answer was malformed or not a valid name`);
    return this.miss('error', `the ${which} DNS lookup failed (${code})`);
  }

  private miss(result: LookupResult, reason: string): Answer {
    this.count(result);
    return { host: { hostname: null, reason }, transient: result === 'timeout' || result === 'error' };
  }
}

function isTimeout(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ETIMEOUT' || code === 'ECANCELLED';
}
