import type { Redis } from 'ioredis';
import type { FleetMetrics } from '../metrics.js';
import type { OperatorMailGate, OperatorMailTurn } from '../notify/index.js';
import type { RedisLink } from './redis-link.js';

/** How long the marker of a day's mail is kept once it went: the rest of that UTC day and one more (clocks, late exposures). */
const SENT_TTL_MS = 2 * 86_400_000;

/**
 * TAKE: the day's marker of an exposed path. None: this replica sends, holding it as
 * 'sending:<replica>' for a lease; its own: the lease is renewed; 'sent:…': another replica's
 * mail went; another's 'sending:…': it is being sent there.
 * KEYS: marker. ARGV: replica, lease ms.
 */
const TAKE = `
local v = redis.call('GET', KEYS[1])
if not v or v == 'sending:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'sending:' .. ARGV[1], 'PX', ARGV[2])
  return 'send'
end
if string.sub(v, 1, 5) == 'sent:' then return 'duplicate' end
return 'later'
`;

/** RELEASE: an attempt that did not deliver gives the day's mail back, if the lease is still this replica's. KEYS: marker. ARGV: replica. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == 'sending:' .. ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

interface OperatorMailRedis extends Redis {
  wwOperatorTake(keys: number, ...args: Array<string | number>): Promise<string>;
  wwOperatorRelease(keys: number, ...args: Array<string | number>): Promise<number>;
}

/**
 * One operator mail per exposed path per UTC day across the fleet (each replica keeps its own in
 * its outbox, as without Redis). Decided when a mail is about to be sent, not when it is queued:
 * a replica that dies holding the day's mail loses nothing (its lease runs out and another
 * replica's mail goes), and a failed attempt hands the day back. Redis away: this replica sends
 * its own (at least once). Its mail counts the requests it saw, not the fleet's.
 */
export class FleetOperatorMail implements OperatorMailGate {
  readonly #redis: OperatorMailRedis;

  constructor(private readonly link: RedisLink, private readonly replica: string, private readonly leaseMs: number, private readonly metrics: FleetMetrics) {
    this.#redis = link.redis as OperatorMailRedis;
    if (typeof this.#redis.wwOperatorTake !== 'function') link.redis.defineCommand('wwOperatorTake', { lua: TAKE });
    if (typeof this.#redis.wwOperatorRelease !== 'function') link.redis.defineCommand('wwOperatorRelease', { lua: RELEASE });
  }

  /** The path is the client's (hostile: any bytes, up to the target bound): hashed into the key. */
  key(path: string, day: number): string {
    return this.link.key(`opmail:${this.link.hashTag(path)}:${Math.floor(day / 86_400_000)}`);
  }

  async take(path: string, day: number): Promise<OperatorMailTurn> {
    if (!this.link.up) return 'send';
    try {
      const turn = await this.#redis.wwOperatorTake(1, this.key(path, day), this.replica, this.leaseMs);
      if (turn === 'duplicate') this.metrics.duplicates.inc();
      return turn === 'duplicate' || turn === 'later' ? turn : 'send';
    } catch (err) {
      this.link.failed('claims', err);
      return 'send';
    }
  }

  done(path: string, day: number, sent: boolean): void {
    if (!this.link.up) return; // a lease left behind runs out
    const key = this.key(path, day);
    const done = sent
      ? this.#redis.set(key, `sent:${this.replica}`, 'PX', SENT_TTL_MS)
      : this.#redis.wwOperatorRelease(1, key, this.replica);
    done.catch((err: unknown) => this.link.failed('claims', err));
  }
}
