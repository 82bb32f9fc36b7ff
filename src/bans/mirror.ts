import type { NormalisedRequest } from '../detect/types.js';
import { banRemaining, isPathBlocked } from './check.js';
import type { BanChange, BanCheck } from './index.js';
import { BanTable, type Ban } from './table.js';

/**
 * A `--workers` process's copy of the primary's bans: the primary decides and sends every
 * change; the worker's request path reads this copy, so its check stays an in-memory lookup.
 */
export class BanMirror implements BanCheck {
  readonly #table: BanTable;

  constructor(max: number, private readonly ipv6Prefix: number) {
    // The primary holds at most `max` keys; a copy never needs to evict.
    this.#table = new BanTable(max + 1);
  }

  load(bans: readonly Ban[]): void {
    this.#table.clear();
    for (const ban of bans) this.#table.put(ban);
  }

  apply(change: BanChange): void {
    if (change.ban === null) this.#table.delete(change.key);
    else this.#table.put(change.ban);
  }

  remaining(ip: string, now = Date.now()): number {
    return banRemaining(this.#table, ip, this.ipv6Prefix, now);
  }

  pathBlocked(n: NormalisedRequest): boolean {
    return isPathBlocked(this.#table, n, Date.now());
  }
}
