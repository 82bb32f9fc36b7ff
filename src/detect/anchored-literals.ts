import { LiteralAutomaton } from './prefilter.js';

/** One literal of the prefilter and the signature it stands for. */
export interface LiteralEntry {
  literal: string;
  id: number;
}

/** A header literal that starts with a header name and `: ` (`user-agent: sqlmap`, `x-pan-authcheck: off`). */
const ANCHORED = /^([a-z0-9!#$%&'*+.^_`|~-]+): [^\n\r]*$/;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * A regex source matching the start of any of `words`, factored on common prefixes
 * (`mo(?:zilla/5\.0 (?:zgrab/|\(compatible; nmap)|rfeus)`): a value is then compared once
 * along the one branch its characters follow, not once per word. Words are lower-case.
 */
function prefixSource(words: readonly string[]): string {
  // A word that is empty here is a prefix of the others: the rest need not be compared.
  if (words.includes('')) return '';
  const byFirst = new Map<string, string[]>();
  for (const w of words) (byFirst.get(w[0]!) ?? byFirst.set(w[0]!, []).get(w[0]!)!).push(w.slice(1));
  const branches = [...byFirst].map(([c, rests]) => escapeRegex(c) + prefixSource(rests));
  return branches.length === 1 ? branches[0]! : `(?:${branches.join('|')})`;
}

/**
 * Header literals anchored on a header name, such as `user-agent: sqlmap`. They are found without
 * reading every character of every header: in the header text (`name: value` lines), such a
 * literal occurs either across the `: ` joint of a line, when the header's name ends with the
 * literal's name and its value starts with the rest of the literal, or wholly inside a value,
 * which then holds `: ` itself (the name part holds neither `:` nor white space). The first is one
 * anchored test of the value's start; the second is rare, and then the value is scanned.
 */
export class AnchoredLiterals {
  /** The distinct name parts (`user-agent`), and per name part its rests (`sqlmap`) and ids. */
  readonly #names: string[];
  readonly #rests: LiteralEntry[][];
  /** Per name part: a case-insensitive regex for "the value starts with one of the rests". */
  readonly #starts: RegExp[];
  /**
   * Per name part: the `startKey`s of its rests, so that most values (`Mozilla/5.0 ...` against
   * `sqlmap`, `nikto`) are told apart without the regex; null when a rest is shorter than a key.
   */
  readonly #keys: (Set<number> | null)[];
  /** Every anchored literal, for values that hold `: ` (found anywhere in them). */
  readonly #inside: LiteralAutomaton;
  /** The longest rest: how much of a value's start is ever compared. */
  readonly #maxRest: number;

  private constructor(entries: readonly LiteralEntry[]) {
    const byName = new Map<string, LiteralEntry[]>();
    for (const e of entries) {
      const name = ANCHORED.exec(e.literal)![1]!;
      const list = byName.get(name) ?? byName.set(name, []).get(name)!;
      list.push({ literal: e.literal.slice(name.length + 2), id: e.id });
    }
    this.#names = [...byName.keys()];
    this.#rests = [...byName.values()];
    this.#starts = this.#rests.map((rests) => new RegExp(`^${prefixSource(rests.map((r) => r.literal))}`, 'i'));
    this.#keys = this.#rests.map((rests) => (rests.every((r) => r.literal.length >= 3) ? new Set(rests.map((r) => startKey(r.literal))) : null));
    this.#inside = new LiteralAutomaton(entries, { ascii: true });
    this.#maxRest = Math.max(...this.#rests.flat().map((r) => r.literal.length));
  }

  /** The anchored literals of `entries` (null when there are none) and the others. */
  static split(entries: readonly LiteralEntry[]): { anchored: AnchoredLiterals | null; free: LiteralEntry[] } {
    const anchored = entries.filter((e) => ANCHORED.test(e.literal));
    const free = entries.filter((e) => !ANCHORED.test(e.literal));
    return { anchored: anchored.length > 0 ? new AnchoredLiterals(anchored) : null, free };
  }

  /** The name parts (their indexes) that a header name ends with, read case-insensitively. */
  partsOf(name: string): number[] {
    const lower = name.toLowerCase();
    const parts: number[] = [];
    for (let k = 0; k < this.#names.length; k++) if (lower.endsWith(this.#names[k]!)) parts.push(k);
    return parts;
  }

  /**
   * Marks (`seen[id] = epoch`, pushed once onto `found`) the ids of the anchored literals in the
   * line `name: value`, where `parts` are `partsOf(name)`. `ascii`: the value is as it came
   * (ASCII, no `%`, any case); else it is text of the built header text (lower-cased, decoded).
   */
  find(parts: readonly number[], value: string, ascii: boolean, seen: Uint32Array, epoch: number, found: number[]): void {
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      const keys = this.#keys[p]!;
      if (keys !== null && (value.length < 3 || !keys.has(startKey(value)))) continue;
      if (!this.#starts[p]!.test(value)) continue;
      const head = value.slice(0, this.#maxRest).toLowerCase();
      const rests = this.#rests[p]!;
      for (let r = 0; r < rests.length; r++) if (head.startsWith(rests[r]!.literal)) mark(rests[r]!.id, seen, epoch, found);
    }
    if (value.indexOf(': ') < 0) return;
    if (ascii) this.#inside.scanAscii!(value, seen, epoch, found, 0);
    else this.#inside.scan(value, seen, epoch, found);
  }
}

/**
 * The first three characters of a text (at least three long) as one number, letters folded to
 * lower case. Other characters may share a key with another (`@` with `` ` ``): that only lets
 * a value through to the exact test, it never turns one away.
 */
function startKey(text: string): number {
  return ((text.charCodeAt(0) | 32) * 65536) + ((text.charCodeAt(1) | 32) * 256) + (text.charCodeAt(2) | 32);
}

function mark(id: number, seen: Uint32Array, epoch: number, found: number[]): void {
  if (seen[id] !== epoch) {
    seen[id] = epoch;
    found.push(id);
  }
}
