import type { Redis } from 'ioredis';
import type { RedisLink } from './redis-link.js';

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

/**
 * The fleet's hourly caps: one counter per clock hour (a fixed window, not the local outbox's
 * sliding hour), kept two hours. All under one hash tag, so a script's keys share a Cluster slot
 * (caps are few and cold). Bound: one key per hour plus one per recipient domain per hour.
 */
export class FleetCaps {
  readonly #redis: CappedRedis;

  constructor(private readonly link: RedisLink) {
    this.#redis = link.redis as CappedRedis;
    if (typeof this.#redis.wwCap !== 'function') link.redis.defineCommand('wwCap', { lua: CAP });
  }

  /** Counts one notice against the fleet's hourly cap; false when it is reached (nothing counted). Throws when Redis does not answer. */
  async hour(max: number, now = Date.now()): Promise<boolean> {
    return this.#take([this.link.key(`cap:{caps}:hour:${Math.floor(now / HOUR)}`)], max);
  }

  /** Counts one notice against each domain's hourly cap, all or none; false when one is reached. Throws when Redis does not answer. */
  async domains(domains: readonly string[], max: number, now = Date.now()): Promise<boolean> {
    const hour = Math.floor(now / HOUR);
    return this.#take(domains.map((d) => this.link.key(`cap:{caps}:domain:${hour}:${d.slice(0, 253)}`)), max);
  }

  async #take(keys: string[], max: number): Promise<boolean> {
    if (keys.length === 0) return true;
    return (await this.#redis.wwCap(keys.length, ...keys, max, 2 * HOUR)) === 1;
  }
}
