// Bans and blocked exposed paths: what the request path checks (an in-memory lookup), who gets
// banned and for how long, the bans.sqlite file, and the routes. Imports address, config, detect, storage.
import ipaddr from 'ipaddr.js';
import { matchesAny } from '../address.js';
import type { Options } from '../config/options.js';
import type { DetectionEvent } from '../detect/detection.js';
import { sanitiseLine } from '../detect/sanitise.js';
import type { NormalisedRequest } from '../detect/types.js';
import { BadRequestError, BanRefusedError } from '../errors.js';
import { checkBanOptions } from './validate.js';
import type { Logger } from '../log.js';
import type { BanMetricHandles } from '../metrics.js';
import { banRemaining, isPathBlocked } from './check.js';
import { EXPOSURES_MAX, ExposureLog } from './exposures.js';
import { banKey, isPathKey, pathKey } from './key.js';
import { nextBan, triggerOf, type BanLengths } from './policy.js';
import { BanFile } from './store.js';
import { BanTable, FOREVER, type Ban } from './table.js';

export type { Ban, BanReason } from './table.js';
export { BAN_REASONS, FOREVER } from './table.js';
export { checkBanOptions } from './validate.js';

/** The settings bans read, and no others. */
export type BanOptions = Pick<Options,
  'mode' | 'banTtl' | 'banOn' | 'banTtlFactor' | 'banTtlMax' | 'banIpv6Prefix' | 'banMax' | 'blockExposures' | 'allow' | 'trustProxy' | 'dataDir'>;

/** What the request path asks, synchronously and from memory. */
export interface BanCheck {
  /** Milliseconds left of the ban covering `ip` (canonical text), or 0. */
  remaining(ip: string): number;
  /** Whether requests for `n`'s served path are refused (it served a secret; `--block-exposures`). */
  pathBlocked(n: NormalisedRequest): boolean;
}

/** A ban put (or replaced), or a key freed (`ban: null`). */
export interface BanChange {
  key: string;
  ban: Ban | null;
  /** Not this replica's decision: evicted past --ban-max, forgotten once old, or from the fleet (`applyRemote`). Absent: decided here. */
  cause?: 'evicted' | 'forgotten' | 'remote';
}

/** A BanCheck others can follow (the `--workers` processes keep a copy). */
export interface BanFeed extends BanCheck {
  snapshot(): Ban[];
  subscribe(listener: (change: BanChange) => void): void;
}

/** Ended bans (kept for repeat offenders) are forgotten this often, once past --ban-ttl-max. */
const PURGE_MS = 60_000;

/**
 * The bans of one wormwatch. Active only in block mode of `serve` (a log scan never bans).
 * Who is banned: an offender whose detection is one of `--ban-on`, unless `--allow` covers it,
 * or it is a loopback address or a `--trust-proxy` peer (banning those would ban every client
 * behind them: fail2ban's ignoreself, for the same reason). An offence while a ban is in force
 * neither extends it nor counts as a repeat.
 */
export class Bans implements BanFeed {
  readonly table: BanTable;
  readonly exposures = new ExposureLog();
  readonly #lengths: BanLengths;
  readonly #listeners: Array<(change: BanChange) => void> = [];
  #file: BanFile | null = null;
  #purge: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: BanOptions,
    private readonly deps: { metrics: BanMetricHandles; logger: Logger; active: boolean },
  ) {
    checkBanOptions(options);
    this.table = new BanTable(options.banMax);
    this.#lengths = { ttl: options.banTtl, factor: options.banTtlFactor, max: options.banTtlMax };
    deps.metrics.active.watch(() => this.table.countActive(Date.now()));
    deps.metrics.fileUp.watch(() => (this.#file === null ? null : this.#file.up));
  }

  /** Bans apply (block mode of `serve`). */
  get enabled(): boolean {
    return this.deps.active && this.options.mode === 'block';
  }

  remaining(ip: string, now = Date.now()): number {
    return banRemaining(this.table, ip, this.options.banIpv6Prefix, now);
  }

  pathBlocked(n: NormalisedRequest): boolean {
    return isPathBlocked(this.table, n, Date.now());
  }

  /** The hub's hand-off: records an exposure, blocks its path, bans the offender, as configured. */
  onDetection(event: DetectionEvent): void {
    this.exposures.record(event);
    if (!this.enabled) return;
    const signature = event.verdict.signature.id;
    if (event.answer?.exposure && this.options.blockExposures) this.blockPath(event.answer.path, signature);
    if (this.options.banTtl === 0 || !this.options.banOn.includes(triggerOf(event))) return;
    const key = banKey(event.ip, this.options.banIpv6Prefix);
    if (key === null) return;
    const why = this.#exempt(event.ip);
    if (why !== null) {
      this.deps.metrics.skipped.inc({ why });
      return;
    }
    const now = Date.now();
    const ban = nextBan(this.table.get(key), key, now, this.#lengths, triggerOf(event), signature);
    if (ban !== null) this.#impose(ban);
  }

  /** `POST /bans`: bans `ip` for `ttlMs` now, replacing a ban in force. Throws BanRefusedError, BadRequestError. */
  ban(ip: string, ttlMs: number): Ban {
    if (!this.enabled) throw new BanRefusedError('bans need --mode block: in monitor mode nothing is refused');
    const key = banKey(ip, this.options.banIpv6Prefix);
    if (key === null) throw new BadRequestError(`not an IP address: ${sanitiseLine(ip, 64)}`);
    if (this.#exempt(ip) === 'allow') throw new BanRefusedError(`${key} is in --allow, which is never banned`);
    const now = Date.now();
    const previous = this.table.get(key);
    const count = previous !== undefined && previous.until + this.#lengths.max >= now ? previous.count + 1 : 1;
    const ban: Ban = { key, since: now, until: Math.min(FOREVER, now + ttlMs), count, reason: 'manual', signature: null };
    this.#impose(ban);
    return ban;
  }

  /** Lifts the ban covering `ip` and forgets it (no longer counted as a repeat); the ban, or undefined. */
  unban(ip: string): Ban | undefined {
    const key = banKey(ip, this.options.banIpv6Prefix);
    return key === null ? undefined : this.#free(key);
  }

  /** `--block-exposures`: refuses requests for `path` from now on (until `unblockPath`). */
  blockPath(path: string, signature: string): void {
    const key = pathKey(path);
    if (this.table.remaining(key, Date.now()) > 0) return;
    if (this.table.pathCount >= EXPOSURES_MAX) {
      this.deps.logger.warn({ path, max: EXPOSURES_MAX }, 'exposed path not blocked: as many paths are blocked already (lift some with DELETE /exposures)');
      return;
    }
    this.#impose({ key, since: Date.now(), until: FOREVER, count: 1, reason: 'exposure', signature });
  }

  unblockPath(path: string): Ban | undefined {
    return this.#free(pathKey(path));
  }

  /** Bans in force (addresses or paths), newest first, at most `limit`. */
  list(kind: 'address' | 'path', limit: number, now = Date.now()): Ban[] {
    const out: Ban[] = [];
    for (const ban of [...this.table.values()].reverse()) {
      if (out.length >= limit) break;
      if (ban.until > now && isPathKey(ban.key) === (kind === 'path')) out.push(ban);
    }
    return out;
  }

  snapshot(): Ban[] {
    const now = Date.now();
    return [...this.table.values()].filter((b) => b.until > now);
  }

  subscribe(listener: (change: BanChange) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * A ban (or lift) another replica decided (fleet mode): put in this table as if made here, told
   * to the listeners with `cause: 'remote'` (the fleet does not send it back), neither counted
   * nor logged as this replica's. Ignored unless bans apply here.
   */
  applyRemote(change: { key: string; ban: Ban | null }): void {
    if (!this.enabled) return;
    if (change.ban === null) {
      if (this.table.delete(change.key) !== undefined) this.#changed(change.key, null, 'remote');
      return;
    }
    // This replica's own --allow (and loopback, trusted proxies) hold whatever another decided.
    if (!isPathKey(change.key) && this.#exempt(change.key.replace(/\/\d+$/, '')) !== null) return;
    const held = this.table.get(change.key);
    if (held !== undefined && held.since === change.ban.since && held.until === change.ban.until) return;
    for (const old of this.table.put(change.ban)) {
      this.deps.metrics.evicted.inc();
      this.#changed(old.key, null, 'evicted');
    }
    this.#changed(change.key, change.ban, 'remote');
  }

  /** Loads the bans kept in `bans.sqlite` (block mode only) and starts forgetting old ones. */
  start(): void {
    if (!this.enabled) return;
    this.#file = new BanFile(this.options.dataDir, this.deps.logger, 2 * this.options.banMax, () => this.table.values());
    const now = Date.now();
    let loaded = 0;
    for (const ban of this.#file.load().sort((a, b) => a.since - b.since)) {
      if (ban.until + this.#lengths.max < now) continue;
      this.table.put(ban);
      loaded++;
    }
    if (loaded > 0) this.deps.logger.info({ bans: this.table.countActive(now).addresses, paths: this.table.countActive(now).paths, remembered: loaded, path: this.#file.path }, 'bans loaded');
    this.#purge = setInterval(() => this.#forgetOld(), PURGE_MS);
    this.#purge.unref();
  }

  /** Writes what is pending and closes the file. */
  stop(): void {
    clearInterval(this.#purge);
    this.#file?.close();
    this.#file = null;
  }

  #impose(ban: Ban): void {
    for (const old of this.table.put(ban)) {
      this.deps.metrics.evicted.inc();
      this.#changed(old.key, null, 'evicted');
    }
    this.#changed(ban.key, ban);
    this.deps.metrics.total.inc({ reason: ban.reason });
    this.deps.logger.info({ event: 'ban', key: ban.key, until: ban.until === FOREVER ? null : new Date(ban.until), count: ban.count, reason: ban.reason, signature: ban.signature }, isPathKey(ban.key) ? 'exposed path blocked' : 'banned');
  }

  #free(key: string): Ban | undefined {
    const ban = this.table.delete(key);
    if (ban !== undefined) {
      this.#changed(key, null);
      this.deps.logger.info({ event: 'unban', key }, isPathKey(key) ? 'exposed path unblocked' : 'ban lifted');
    }
    return ban;
  }

  #changed(key: string, ban: Ban | null, cause?: BanChange['cause']): void {
    this.#file?.change(key, ban);
    const change: BanChange = cause === undefined ? { key, ban } : { key, ban, cause };
    for (const listener of this.#listeners) listener(change);
  }

  #forgetOld(): void {
    for (const key of this.table.purge(Date.now(), this.#lengths.max)) this.#changed(key, null, 'forgotten');
  }

  /** Why `ip` is never banned automatically, or null. */
  #exempt(ip: string): 'allow' | 'loopback' | 'trusted-proxy' | null {
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      addr = ipaddr.process(ip);
    } catch {
      return null;
    }
    if (matchesAny(addr, this.options.allow)) return 'allow';
    if (addr.range() === 'loopback') return 'loopback';
    if (matchesAny(addr, this.options.trustProxy)) return 'trusted-proxy';
    return null;
  }
}
