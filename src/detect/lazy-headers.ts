import { headerText } from './normalise.js';
import type { NormalisedRequest, RequestView } from './types.js';

/**
 * The header text (`headerText`) of a normalised request is built only when something reads it.
 * Most requests never need it: the header prefilter can read the header names and values as they
 * came (`HeaderPrefilter.scanPieces`), and only a candidate signature's regex, a verdict or a
 * caller reading `headers` pays for joining, decoding and lower-casing them.
 */

/**
 * The prefilter's candidates for both stages, kept on the request by the engine (`owner`) that
 * found them, for the texts they were found in; setting `headers` drops it.
 */
export interface ScanMemo {
  owner: object;
  method: string;
  line: string;
  raw: string;
  request: readonly number[];
  notFound: readonly number[];
}

/**
 * A normalised request whose `headers` text is built on first read (then kept). A class, because
 * an object literal with a getter costs about a microsecond to create in V8 and an instance a few
 * nanoseconds. `headers` lives on the prototype, so `toJSON` gives it to JSON copies.
 */
class LazyNormalised implements NormalisedRequest {
  method: string;
  raw: string;
  path: string;
  query: string;
  url: string;
  line: string;
  resolved: string;
  received: string | undefined;
  #pending: RequestView['headers'] | undefined;
  #text = '';
  #memo: ScanMemo | null = null;

  constructor(t: Omit<NormalisedRequest, 'headers'>, source: RequestView['headers']) {
    this.method = t.method;
    this.raw = t.raw;
    this.path = t.path;
    this.query = t.query;
    this.url = t.url;
    this.line = t.line;
    this.resolved = t.resolved;
    this.received = t.received;
    this.#pending = source !== null && typeof source === 'object' ? source : undefined;
  }

  get headers(): string {
    if (this.#pending !== undefined) {
      this.#text = headerText(this.#pending);
      this.#pending = undefined;
    }
    return this.#text;
  }

  set headers(value: string) {
    this.#text = value;
    this.#pending = undefined;
    this.#memo = null;
  }

  /** A plain object with every field, `headers` built (for JSON and for copies sent to other processes). */
  toJSON(): NormalisedRequest {
    return { method: this.method, raw: this.raw, path: this.path, query: this.query, url: this.url, line: this.line, resolved: this.resolved, headers: this.headers, received: this.received };
  }

  static pendingOf(n: NormalisedRequest): RequestView['headers'] | undefined {
    return n instanceof LazyNormalised ? n.#pending : undefined;
  }

  static memoOf(n: NormalisedRequest): ScanMemo | null {
    return n instanceof LazyNormalised ? n.#memo : null;
  }

  static keepMemo(n: NormalisedRequest, memo: ScanMemo): void {
    if (n instanceof LazyNormalised) n.#memo = memo;
  }
}

/** The normalised target views with a `headers` text built from `source` when first read. */
export function withLazyHeaders(t: Omit<NormalisedRequest, 'headers'>, source: RequestView['headers']): NormalisedRequest {
  return new LazyNormalised(t, source);
}

/** The headers of a request whose header text has not been built yet, or undefined. */
export function pendingHeaders(n: NormalisedRequest): RequestView['headers'] | undefined {
  return LazyNormalised.pendingOf(n);
}

/** The candidates kept on `n` by an earlier `match`, if any. */
export function memoOf(n: NormalisedRequest): ScanMemo | null {
  return LazyNormalised.memoOf(n);
}

export function keepMemo(n: NormalisedRequest, memo: ScanMemo): void {
  LazyNormalised.keepMemo(n, memo);
}
