import { headerText } from './normalise.js';
import type { LiteralAutomaton } from './prefilter.js';
import type { NormalisedRequest, RequestView } from './types.js';

/**
 * The header text (`headerText`) of a normalised request is built only when something reads it.
 * Most requests never need it: the header prefilter can read the header names and values as they
 * came (`scanHeaders`), and only a candidate signature's regex, a verdict or a caller reading
 * `headers` pays for joining, decoding and lower-casing them.
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

/** Beyond this many characters the text would be cut (`headerText`); only the full build is exact then. */
const HEADER_TEXT_MAX = 16384;
const HEADER_VALUE_MAX = 16384;

/**
 * Runs the header prefilter over the header names and values as they came, piece after piece with
 * the `: ` and newline joints between them, instead of over the built text. That finds the same
 * literals when the text would need nothing but lower-casing and no cutting: every value a string
 * of at most 16 KiB, no `%`, nothing from U+0080 up, under 16 KiB in all. Returns false, with
 * `found` and `seen` as they were, when that does not hold: then the built text must be scanned.
 */
export function scanHeaders(
  headers: NonNullable<RequestView['headers']>, automaton: LiteralAutomaton, seen: Uint32Array, epoch: number, found: number[],
): boolean {
  const scan = automaton.scanAscii;
  if (scan === null) return false;
  const mark = found.length;
  let total = 0;
  let state = -2; // before the first line: no newline joint
  for (const name in headers) {
    if (!Object.prototype.hasOwnProperty.call(headers, name)) continue;
    const v = headers[name];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') {
      total += name.length + v.length + 3;
      state = total < HEADER_TEXT_MAX ? scanLine(automaton, scan, name, v, state, seen, epoch, found) : -1;
    } else if (Array.isArray(v)) {
      for (let j = 0; state !== -1 && j < v.length; j++) {
        const e: unknown = v[j];
        if (e === undefined || e === null) continue;
        total += name.length + (typeof e === 'string' ? e.length : 0) + 3;
        state = typeof e === 'string' && total < HEADER_TEXT_MAX ? scanLine(automaton, scan, name, e, state, seen, epoch, found) : -1;
      }
    } else {
      state = -1;
    }
    if (state === -1) break;
  }
  const ok = state !== -1;
  if (ok) return true;
  for (let k = mark; k < found.length; k++) seen[found[k]!] = 0;
  found.length = mark;
  return false;
}

/** Scans `\n` (unless first), `name`, `: `, `value` on from `state` (-2: first line); -1 when the value needs more than lower-casing. */
function scanLine(
  automaton: LiteralAutomaton, scan: NonNullable<LiteralAutomaton['scanAscii']>, name: string, value: string, state: number,
  seen: Uint32Array, epoch: number, found: number[],
): number {
  if (value.length > HEADER_VALUE_MAX) return -1;
  const filter = automaton.asciiFilter;
  if (filter !== null) {
    // No literal can straddle a joint: each piece on its own, and only those the filter finds anything in.
    if (filter.test(name) && scan(name, seen, epoch, found, 0) < 0) return -1;
    return filter.test(value) ? scan(value, seen, epoch, found, 0) : 0;
  }
  const neutral = automaton.separatorsNeutral;
  let s = state;
  if (s === -2) s = 0;
  else if (s !== 0 || !neutral) s = scan('\n', seen, epoch, found, s);
  s = scan(name, seen, epoch, found, s);
  if (s > 0 || (s === 0 && !neutral)) s = scan(': ', seen, epoch, found, s);
  return s < 0 ? -1 : scan(value, seen, epoch, found, s);
}
