import { performance } from 'node:perf_hooks';

/**
 * Requests waiting for the origin's response headers, under one time-out. A timer per request
 * (set, then cleared when the answer comes) costs more than the rest of the request's
 * bookkeeping; since every entry has the same time-out, insertion order is deadline order, and
 * one sweep, every tenth of the time-out (at least 5 ms, at most 1 s apart) and only while
 * something waits, expires the overdue ones from the front. A time-out thus fires up to a tenth
 * (at most a second) late. Entries leave at once when answered, failed or abandoned.
 */
export class Deadlines<T extends { started: number }> {
  readonly #waiting = new Set<T>();
  readonly #every: number;
  #sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onExpired: (entry: T) => void,
  ) {
    this.#every = Math.max(5, Math.min(1_000, Math.floor(timeoutMs / 10)));
  }

  /** Starts the clock of `entry` (`entry.started` is its start, in `performance.now()` ms). */
  add(entry: T): void {
    this.#waiting.add(entry);
    if (this.#sweep === undefined) {
      this.#sweep = setInterval(() => this.#expire(), this.#every);
      // Never what keeps the process alive: the sockets of the waiting requests do that.
      this.#sweep.unref();
    }
  }

  delete(entry: T): void {
    this.#waiting.delete(entry);
  }

  get size(): number {
    return this.#waiting.size;
  }

  #expire(): void {
    const now = performance.now();
    for (const entry of this.#waiting) {
      if (now - entry.started < this.timeoutMs) break;
      this.#waiting.delete(entry);
      this.onExpired(entry);
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}
