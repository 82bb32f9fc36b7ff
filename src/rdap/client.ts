import { formatAddr, parseAddr, prefixOf, type Addr, type Prefix } from './prefix.js';
import { ServerBackoff } from './backoff.js';
import { baseUrlsFor, bootstrapOrigins, SHIPPED_BOOTSTRAP, type Bootstrap } from './bootstrap.js';
import { NetworkCache, NEIGHBOURHOOD, RDAP_CACHE_MAX } from './cache.js';
import { findAbuseContact } from './contact.js';
import { boundedGet, DEFAULT_MAX_BODY_BYTES } from './http.js';
import { parseNetwork, type RdapNetwork } from './network.js';
import { nextHop, referralOf, registryOf } from './referral.js';

/** Labels of `wormwatch_rdap_lookups_total{result}`: a small fixed set. */
export type RdapLookupResult = 'found' | 'none' | 'cached' | 'error' | 'timeout' | 'rate-limited' | 'invalid';
export const RDAP_RESULTS: readonly RdapLookupResult[] = ['found', 'none', 'cached', 'error', 'timeout', 'rate-limited', 'invalid'];

export interface RdapAnswer {
  /** The abuse mailbox, or null with `reason` saying why there is none. */
  contact: string | null;
  network: RdapNetwork | null;
  /** Base URL of the registry that gave the final answer (after referrals), or null. */
  registry: string | null;
  reason: string;
  result: RdapLookupResult;
}

export interface RdapClientOptions {
  /** IANA bootstrap (default: the shipped copy); ignored when `baseUrl` is set. */
  bootstrap?: Bootstrap;
  /** One base URL for every lookup (`--rdap-url`: a private mirror, the tests). */
  baseUrl?: string;
  /** Per request: connect, headers and body. Default 10 s. */
  timeoutMs?: number;
  /** Body cap; larger answers are aborted mid-stream. Default 512 KiB. */
  maxBodyBytes?: number;
  /** Lookups talking to servers at once (default 4) and waiting for a turn (default 1000). */
  maxInFlight?: number;
  maxQueued?: number;
  /** Redirects and referrals followed per lookup (default 3). */
  maxHops?: number;
  /** Cached answers (default 10,000) and their lifetimes. */
  cacheMax?: number;
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  /** Malformed or unusable answers are cached this briefly (default 60 s). */
  transientTtlMs?: number;
  backoff?: { baseMs?: number; maxMs?: number; retryAfterCapMs?: number };
  userAgent?: string;
  count?: (result: RdapLookupResult) => void;
  /** Clock for the cache and back-off (tests). */
  now?: () => number;
}

export interface RdapClient {
  /** Never throws: every failure is an answer with `contact: null` and a reason. */
  lookup(ip: string): Promise<RdapAnswer>;
  /** Cached answers now (for the cache-size gauge). */
  cacheSize(): number;
  /** Abandons requests in flight and queued; later lookups answer from the cache or `error`. */
  close(): void;
}

type Outcome = { answer: RdapAnswer; cache?: { prefixes: Prefix[]; ttl: number } };

const DAY = 86_400_000;

export function createRdapClient(options: RdapClientOptions = {}): RdapClient {
  const o = {
    timeoutMs: options.timeoutMs ?? 10_000,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxInFlight: Math.max(1, options.maxInFlight ?? 4),
    maxQueued: Math.max(0, options.maxQueued ?? 1000),
    maxHops: Math.max(0, options.maxHops ?? 3),
    positiveTtlMs: options.positiveTtlMs ?? DAY,
    negativeTtlMs: options.negativeTtlMs ?? DAY / 4,
    transientTtlMs: options.transientTtlMs ?? 60_000,
    userAgent: options.userAgent ?? 'wormwatch (RDAP abuse-contact lookup)',
  };
  const now = options.now ?? Date.now;
  const count = options.count ?? (() => {});
  const bootstrap = options.bootstrap ?? SHIPPED_BOOTSTRAP;
  const baseUrl = options.baseUrl ? withSlash(options.baseUrl) : null;
  // A redirect or referral may only lead to a registry we would have asked anyway (no SSRF).
  const allowedOrigins = baseUrl ? new Set([new URL(baseUrl).origin]) : bootstrapOrigins(bootstrap);
  const cache = new NetworkCache<RdapAnswer>({ max: options.cacheMax ?? RDAP_CACHE_MAX, now });
  const backoff = new ServerBackoff({ now, ...options.backoff });
  const pending = new Map<string, Promise<RdapAnswer>>();
  const waiters: { go: () => void; stop: () => void }[] = [];
  const shutdown = new AbortController();
  let inFlight = 0;

  const finish = (answer: RdapAnswer): RdapAnswer => {
    count(answer.result);
    return answer;
  };
  const fromCache = (a: Addr): RdapAnswer | null => {
    const hit = cache.get(a);
    return hit ? { ...hit, result: 'cached' } : null;
  };

  async function withSlot(fn: () => Promise<Outcome>): Promise<Outcome> {
    if (inFlight >= o.maxInFlight) {
      if (waiters.length >= o.maxQueued) return { answer: miss('rate-limited', `more than ${o.maxQueued} RDAP lookups are waiting`) };
      const go = await new Promise<boolean>((resolve) => waiters.push({ go: () => resolve(true), stop: () => resolve(false) }));
      if (!go) return { answer: miss('error', 'the RDAP client was closed') };
    } else inFlight++;
    try {
      return await fn();
    } finally {
      const next = waiters.shift();
      if (next) next.go();
      else inFlight--;
    }
  }

  async function resolve(a: Addr): Promise<RdapAnswer> {
    const outcome = await withSlot(() => query(a));
    if (outcome.cache) cache.set(outcome.cache.prefixes, a, outcome.answer, outcome.cache.ttl);
    return outcome.answer;
  }

  async function query(a: Addr): Promise<Outcome> {
    if (shutdown.signal.aborted) return { answer: miss('error', 'the RDAP client was closed') };
    const ip = formatAddr(a);
    const near = [prefixOf(a, NEIGHBOURHOOD[a.family])];
    const base = baseUrl ?? baseUrlsFor(ip, bootstrap)[0];
    if (!base) return { answer: miss('none', 'no RDAP registry is listed for the address in the bootstrap registry'), cache: { prefixes: near, ttl: o.negativeTtlMs } };
    const transient = { prefixes: near, ttl: o.transientTtlMs };
    let url = `${base}ip/${ip}`;
    for (let hop = 0; ; hop++) {
      const registry = registryOf(url);
      const origin = new URL(url).origin;
      const wait = backoff.remaining(origin);
      if (wait > 0) return { answer: miss('rate-limited', `the RDAP server ${origin} is backed off for ${Math.ceil(wait / 1000)} s`, registry) };
      const res = await boundedGet(url, { timeoutMs: o.timeoutMs, maxBytes: o.maxBodyBytes, userAgent: o.userAgent, signal: shutdown.signal });
      if (res.kind === 'timeout') {
        backoff.failed(origin);
        return { answer: miss('timeout', `the RDAP server ${origin} did not answer within ${o.timeoutMs} ms`, registry) };
      }
      if (res.kind === 'network') {
        backoff.failed(origin);
        return { answer: miss('error', `the RDAP request to ${origin} failed (${res.message})`, registry) };
      }
      if (res.kind === 'too-large') return { answer: miss('invalid', `the RDAP answer from ${origin} exceeds ${o.maxBodyBytes} bytes`, registry), cache: transient };
      if (res.status === 429) {
        const delay = backoff.rateLimited(origin, res.retryAfter);
        return { answer: miss('rate-limited', `the RDAP server ${origin} rate-limited us (HTTP 429); backing off ${Math.ceil(delay / 1000)} s`, registry) };
      }
      if (res.status >= 500) {
        backoff.failed(origin);
        return { answer: miss('error', `the RDAP server ${origin} answered HTTP ${res.status}`, registry) };
      }
      backoff.succeeded(origin);
      if (res.status === 404) return { answer: miss('none', 'the registry has no record for the address (HTTP 404)', registry), cache: { prefixes: near, ttl: o.negativeTtlMs } };
      if ([301, 302, 303, 307, 308].includes(res.status)) {
        const next = nextHop(url, res.location, allowedOrigins);
        if (typeof next !== 'string') return { answer: miss('invalid', `refused the RDAP redirect from ${origin}: ${next.refused}`, registry), cache: transient };
        if (hop >= o.maxHops) return { answer: miss('error', `more than ${o.maxHops} RDAP redirects or referrals`, registry), cache: transient };
        url = next;
        continue;
      }
      if (res.status !== 200) return { answer: miss('error', `the RDAP server ${origin} answered HTTP ${res.status}`, registry), cache: transient };
      const answer = interpret(res.body, a, registry);
      if ('answer' in answer) return answer;
      // No abuse contact here, but the registry points at the one that holds the record.
      if (hop >= o.maxHops) return { answer: miss('error', `more than ${o.maxHops} RDAP redirects or referrals`, registry), cache: transient };
      url = answer.referral;
    }

    function interpret(body: string, addr: Addr, registry: string): Outcome | { referral: string } {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return { answer: miss('invalid', 'the RDAP answer is not valid JSON', registry), cache: transient };
      }
      const parsed = parseNetwork(json, addr);
      if ('error' in parsed) return { answer: miss('invalid', parsed.error, registry), cache: transient };
      const contact = findAbuseContact(json);
      const { network, prefixes } = parsed.ok;
      if (contact.kind === 'found') {
        return { answer: { contact: contact.email, network, registry, reason: `abuse contact of ${network.handle ?? network.cidrs[0]}`, result: 'found' }, cache: { prefixes, ttl: o.positiveTtlMs } };
      }
      const referral = referralOf(json, url, allowedOrigins);
      if (referral) return { referral };
      return { answer: { contact: null, network, registry, reason: contact.reason, result: contact.kind }, cache: { prefixes, ttl: o.negativeTtlMs } };
    }
  }

  return {
    async lookup(ip) {
      const a = parseAddr(ip);
      if (!a || ip.includes('/')) return finish(miss('invalid', 'not an IP address'));
      const hit = fromCache(a);
      if (hit) return finish(hit);
      // One lookup in flight per neighbourhood (/24, /48): concurrent callers share it, then
      // take the cached network if it covers them and run their own lookup if it does not.
      const key = `${a.family}/${prefixOf(a, NEIGHBOURHOOD[a.family]).network.toString(16)}`;
      const shared = pending.get(key);
      if (shared) {
        await shared;
        const after = fromCache(a);
        if (after) return finish(after);
        return finish(await resolve(a));
      }
      const mine = resolve(a).finally(() => pending.delete(key));
      pending.set(key, mine);
      return finish(await mine);
    },
    cacheSize: () => cache.size,
    close() {
      shutdown.abort();
      for (const w of waiters.splice(0)) w.stop();
    },
  };
}

function miss(result: RdapLookupResult, reason: string, registry: string | null = null): RdapAnswer {
  return { contact: null, network: null, registry, reason, result };
}

/** `--rdap-url`, checked: a configuration error is thrown here, at start-up, never at lookup time. */
function withSlash(u: string): string {
  let url: URL | null = null;
  try {
    url = new URL(u);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new Error(`--rdap-url must be an http(s) base URL without credentials or query, e.g. https://rdap.example.net/ (got ${JSON.stringify(u.slice(0, 100))})`);
  }
  return url.toString().endsWith('/') ? url.toString() : `${url.toString()}/`;
}
