/**
 * The per-offender limit on detection log lines. A worm outbreak or a scanner sends one offender's
 * probes thousands of times a second; a line for each would cost more than the detection and bury
 * every other line. Each offender gets its first `burst` lines of every window written; after that
 * one line in `every` is, carrying in `suppressed` how many were folded since the last one written,
 * and so does the first line of its next window. Pure: the caller passes the time.
 */

export interface LogLimitOptions {
  /** Lines written per offender and window before folding starts. Default 10. */
  burst?: number;
  /** After the burst, one line in this many is written. Default 1000. */
  every?: number;
  /** Length of a window, ms. Default 60 s. */
  windowMs?: number;
  /** Offenders tracked; the oldest is forgotten first (its next line is then written as a first). Default 10,000. */
  maxKeys?: number;
}

interface Window {
  /** Start of the offender's current window, ms. */
  since: number;
  /** Lines seen in this window. */
  lines: number;
  /** Lines folded since the last one written. */
  folded: number;
}

/** `admit` says a line is folded: nothing is written. */
export const FOLDED = -1;

export class LogLimit {
  readonly #burst: number;
  readonly #every: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  /** Insertion order is age: the first key is the oldest (bounded by maxKeys). */
  readonly #windows = new Map<string, Window>();

  constructor(options: LogLimitOptions = {}) {
    this.#burst = Math.max(1, options.burst ?? 10);
    this.#every = Math.max(1, options.every ?? 1000);
    this.#windowMs = Math.max(1, options.windowMs ?? 60_000);
    this.#maxKeys = Math.max(1, options.maxKeys ?? 10_000);
  }

  /**
   * Whether a line of offender `key` at `now` (ms) is written: FOLDED, or the number of lines folded
   * since this offender's last written line (0 in the usual case), for the line to say so.
   */
  admit(key: string, now: number): number {
    let w = this.#windows.get(key);
    if (w === undefined) {
      if (this.#windows.size >= this.#maxKeys) this.#windows.delete(this.#windows.keys().next().value as string);
      w = { since: now, lines: 0, folded: 0 };
      this.#windows.set(key, w);
    } else if (now - w.since >= this.#windowMs || now < w.since) {
      // A new window (or a clock that went back): its first lines are written again.
      w.since = now;
      w.lines = 0;
    }
    w.lines += 1;
    if (w.lines > this.#burst && (w.lines - this.#burst) % this.#every !== 0) {
      w.folded += 1;
      return FOLDED;
    }
    const folded = w.folded;
    w.folded = 0;
    return folded;
  }

  /** Offenders tracked now (at most maxKeys). */
  get size(): number {
    return this.#windows.size;
  }
}
