import { AnchoredLiterals, type LiteralEntry } from './anchored-literals.js';
import { LiteralAutomaton, type AsciiScanner } from './prefilter.js';
import type { RequestView } from './types.js';

/** Beyond this many characters the text would be cut (`headerText`); only the full build is exact then. */
const HEADER_TEXT_MAX = 16384;
const HEADER_VALUE_MAX = 16384;

/**
 * Bound on the header names remembered with what scanning them finds (`#facts`). Names repeat
 * from request to request; a client sending ever new ones only makes the memo start over.
 */
const NAME_MEMO_MAX = 256;

/** What the prefilter makes of a header name on its own. */
interface NameFacts {
  /** Scanning it from the start state finds nothing and ends there (it is ASCII without `%`). */
  clean: boolean;
  /** The anchored name parts it ends with (`AnchoredLiterals.partsOf`). */
  parts: readonly number[];
}

const NO_PARTS: readonly number[] = Object.freeze([]);

/**
 * The header prefilter: the literals of the signatures that read the header text, those anchored
 * on a header name (`user-agent: sqlmap`, see `AnchoredLiterals`) apart from the others. Most
 * requests are judged on their header names and values as they came (`scanPieces`); the built
 * header text is scanned (`scanText`) only when decoding could change what it holds. Both find
 * every literal that occurs in the header text, as one scan of it would.
 */
export class HeaderPrefilter {
  readonly #pieces: LiteralAutomaton;
  readonly #scan: AsciiScanner;
  readonly #anchored: AnchoredLiterals | null;
  readonly #names = new Map<string, NameFacts>();
  readonly #scratch: Uint32Array;

  constructor(entries: readonly LiteralEntry[]) {
    const { anchored, free } = AnchoredLiterals.split(entries);
    this.#pieces = new LiteralAutomaton(free, { ascii: true });
    this.#scan = this.#pieces.scanAscii!;
    this.#anchored = anchored;
    this.#scratch = new Uint32Array(1 + Math.max(0, ...entries.map((e) => e.id)));
  }

  /**
   * Scans the header names and values as they came, piece after piece with the `: ` and newline
   * joints between them, instead of the built text. That finds the same literals when the text
   * would need nothing but lower-casing and no cutting: every value a string of at most 16 KiB,
   * no `%`, nothing from U+0080 up, under 16 KiB in all. Returns false, with `found` and `seen`
   * as they were, when that does not hold: then the built text must be scanned (`scanText`).
   */
  scanPieces(headers: NonNullable<RequestView['headers']>, seen: Uint32Array, epoch: number, found: number[]): boolean {
    const mark = found.length;
    let total = 0;
    let state = -2; // before the first line: no newline joint
    for (const name in headers) {
      if (!Object.prototype.hasOwnProperty.call(headers, name)) continue;
      const v = headers[name];
      if (v === undefined || v === null) continue;
      if (typeof v === 'string') {
        total += name.length + v.length + 3;
        state = total < HEADER_TEXT_MAX ? this.#line(name, v, state, seen, epoch, found) : -1;
      } else if (Array.isArray(v)) {
        for (let j = 0; state !== -1 && j < v.length; j++) {
          const e: unknown = v[j];
          if (e === undefined || e === null) continue;
          total += name.length + (typeof e === 'string' ? e.length : 0) + 3;
          state = typeof e === 'string' && total < HEADER_TEXT_MAX ? this.#line(name, e, state, seen, epoch, found) : -1;
        }
      } else {
        state = -1;
      }
      if (state === -1) break;
    }
    if (state !== -1) return true;
    for (let k = mark; k < found.length; k++) seen[found[k]!] = 0;
    found.length = mark;
    return false;
  }

  /** Scans the built header text (`headerText`: lower-cased, decoded), line by line for the anchored literals. */
  scanText(text: string, seen: Uint32Array, epoch: number, found: number[]): void {
    this.#pieces.scan(text, seen, epoch, found);
    const anchored = this.#anchored;
    if (anchored === null) return;
    // A line of the text, decoded, may be part of a value (`%0a`): read as `name: value` all the same.
    for (let start = 0; start < text.length;) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const joint = text.indexOf(': ', start);
      if (joint >= 0 && joint < end) anchored.find(anchored.partsOf(text.slice(start, joint)), text.slice(joint + 2, end), false, seen, epoch, found);
      start = end + 1;
    }
  }

  /** Scans `\n` (unless first), `name`, `: `, `value` on from `state` (-2: first line); -1 when the value needs more than lower-casing. */
  #line(name: string, value: string, state: number, seen: Uint32Array, epoch: number, found: number[]): number {
    if (value.length > HEADER_VALUE_MAX) return -1;
    const scan = this.#scan;
    const facts = this.#facts(name);
    const filter = this.#pieces.asciiFilter;
    let s: number;
    if (filter !== null) {
      // No literal can straddle a joint: each piece on its own, and only those the filter finds anything in.
      if (!facts.clean && filter.test(name) && scan(name, seen, epoch, found, 0) < 0) return -1;
      s = filter.test(value) ? scan(value, seen, epoch, found, 0) : 0;
    } else {
      const neutral = this.#pieces.separatorsNeutral;
      s = state;
      if (s === -2) s = 0;
      else if (s !== 0 || !neutral) s = scan('\n', seen, epoch, found, s);
      // A clean name read from the start state leaves it there.
      if (s !== 0 || !facts.clean) s = scan(name, seen, epoch, found, s);
      if (s > 0 || (s === 0 && !neutral)) s = scan(': ', seen, epoch, found, s);
      if (s >= 0) s = scan(value, seen, epoch, found, s);
    }
    if (s >= 0 && this.#anchored !== null) this.#anchored.find(facts.parts, value, true, seen, epoch, found);
    return s;
  }

  #facts(name: string): NameFacts {
    const known = this.#names.get(name);
    if (known !== undefined) return known;
    const hits: number[] = [];
    const clean = this.#scan(name, this.#scratch, 1, hits, 0) === 0 && hits.length === 0;
    for (const id of hits) this.#scratch[id] = 0;
    const parts = this.#anchored?.partsOf(name) ?? NO_PARTS;
    const facts: NameFacts = { clean, parts: parts.length > 0 ? parts : NO_PARTS };
    if (this.#names.size >= NAME_MEMO_MAX) this.#names.clear();
    this.#names.set(name, facts);
    return facts;
  }
}
