/** Why a key is banned: the stage of the detection, the 404 storm, an operator, a served secret. */
export type BanReason = 'request' | '404' | 'storm' | 'manual' | 'exposure';

export const BAN_REASONS: readonly BanReason[] = ['request', '404', 'storm', 'manual', 'exposure'];

/** A ban that holds until it is lifted (a blocked exposed path): the largest exact epoch ms. */
export const FOREVER = Number.MAX_SAFE_INTEGER;

export interface Ban {
  /** `198.51.100.7`, `2001:db8:1:2::/64`, `path:/.env` (see `key.ts`). */
  key: string;
  /** Epoch ms the ban began. */
  since: number;
  /** Epoch ms it ends; FOREVER until lifted. */
  until: number;
  /** Bans of this key in a row (1: the first); each lasts --ban-ttl-factor times the one before. */
  count: number;
  reason: BanReason;
  /** The signature that caused it, or null (manual). */
  signature: string | null;
}

/**
 * The bans in force and, after each ends, its memory (for the longer next ban of a repeat
 * offender), in one Map in the order the bans began. Pure and synchronous: the request path's
 * check is one `Map.get`. Bounded: past `max` entries the oldest ban goes first (ended ones are
 * the oldest as a rule), and `put` returns what it evicted for the caller to count.
 */
export class BanTable {
  readonly #bans = new Map<string, Ban>();
  /** IPv6 keys held: while 0, an IPv6 client is not banned without computing its prefix. */
  #v6 = 0;
  /** Path keys held: while 0, no request's path is looked up. */
  #paths = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.#bans.size;
  }

  get hasIpv6(): boolean {
    return this.#v6 > 0;
  }

  get hasPaths(): boolean {
    return this.#paths > 0;
  }

  get pathCount(): number {
    return this.#paths;
  }

  /** Milliseconds left of `key`'s ban at `now`, or 0. */
  remaining(key: string, now: number): number {
    const ban = this.#bans.get(key);
    return ban !== undefined && ban.until > now ? ban.until - now : 0;
  }

  get(key: string): Ban | undefined {
    return this.#bans.get(key);
  }

  /**
   * Adds or replaces a ban (it moves to the newest end); returns the bans evicted to make room:
   * the oldest address bans. Path blocks are never evicted (a flood of addresses must not
   * unblock a leaking path); their number is bounded by whoever adds them.
   */
  put(ban: Ban): Ban[] {
    this.delete(ban.key);
    this.#bans.set(ban.key, ban);
    this.#count(ban.key, 1);
    const evicted: Ban[] = [];
    if (this.#bans.size <= this.max) return evicted;
    for (const oldest of this.#bans.values()) {
      if (this.#bans.size <= this.max) break;
      if (isPath(oldest.key) || oldest === ban) continue;
      this.delete(oldest.key);
      evicted.push(oldest);
    }
    return evicted;
  }

  delete(key: string): Ban | undefined {
    const ban = this.#bans.get(key);
    if (ban === undefined) return undefined;
    this.#bans.delete(key);
    this.#count(key, -1);
    return ban;
  }

  #count(key: string, by: 1 | -1): void {
    if (isPath(key)) this.#paths += by;
    else if (key.includes(':')) this.#v6 += by;
  }

  /** Every entry, ended ones included, oldest first. */
  values(): IterableIterator<Ban> {
    return this.#bans.values();
  }

  /** Bans in force at `now`, by kind (addresses, paths). */
  countActive(now: number): { addresses: number; paths: number } {
    let addresses = 0;
    let paths = 0;
    for (const ban of this.#bans.values()) {
      if (ban.until <= now) continue;
      if (isPath(ban.key)) paths++;
      else addresses++;
    }
    return { addresses, paths };
  }

  /** Forgets the bans that ended more than `memoryMs` ago; returns their keys. */
  purge(now: number, memoryMs: number): string[] {
    const gone: string[] = [];
    for (const ban of this.#bans.values()) {
      if (ban.until + memoryMs < now) gone.push(ban.key);
    }
    for (const key of gone) this.delete(key);
    return gone;
  }

  clear(): void {
    this.#bans.clear();
    this.#v6 = 0;
    this.#paths = 0;
  }
}

function isPath(key: string): boolean {
  return key.startsWith('path:');
}
