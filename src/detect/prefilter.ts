/**
 * Aho-Corasick automaton over the signatures' literals: one left-to-right pass over a text finds
 * every signature one of whose literals occurs in it, whatever the number of signatures. Only
 * those candidates then pay for their regular expression.
 *
 * The automaton is a dense DFA over a compressed alphabet: every character below U+0100 that
 * appears in some literal gets its own class, everything else shares class 0, and all characters
 * from U+0100 up share one class (so such a literal may give false candidates, never missed ones).
 * Latin-1 gets classes of its own because request bytes arrive as Latin-1: a literal of bytes
 * (`\xffSMB`) then leaves every other high byte in class 0, so a target of machine code (a NOP
 * sled of `\x90`) is skipped through like any text without literal characters.
 */

/** Marks every id whose literal occurs in `text` (`seen[id] = epoch`), pushing it once onto `found`. */
export type Scanner = (text: string, seen: Uint32Array, epoch: number, found: number[]) => void;

/**
 * The same, over text not yet lower-cased, for text that lower-casing alone would normalise: it
 * reads A-Z as a-z, and stops and returns -1 at the first `%` or character from U+0080 up (text
 * that decoding or Unicode case-folding could change). It starts in state `from` and returns the
 * state it ends in, so pieces scanned one after the other are scanned as their concatenation.
 */
export type AsciiScanner = (text: string, seen: Uint32Array, epoch: number, found: number[], from: number) => number;

type ScannerFactory<S> = (
  delta: Int16Array | Int32Array, width: number, classOf: Uint16Array, highClass: number, outStart: Int32Array, outputs: Int32Array,
  skip: RegExp | null, run: RegExp | null,
) => S;

/**
 * The scan loop. It is compiled once per automaton (new Function) rather than shared: V8 then
 * optimises each copy for its own tables and its own kind of text, and the request stage's three
 * scans run about three times faster than through one shared, polymorphic loop (measured).
 * States are row offsets into `delta`; a negative entry (~offset) is a state that reports ids.
 */
const SCAN_SOURCE = `return function scan(text, seen, epoch, found, from) {
  let s = FROM;
  let idle = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (SKIP && s === 0) {
      skip.lastIndex = i;
      if (!skip.test(text)) return DONE;
      i = skip.lastIndex - 1;
    }
    const c = text.charCodeAt(i);
    ASCII_CHECK
    s = delta[s * WIDTH + (c < CLASSED ? classOf[c] : highClass)];
    if (s < 0) {
      s = ~s;
      const end = outStart[s + 1];
      for (let k = outStart[s]; k < end; k++) {
        const id = outputs[k];
        if (seen[id] !== epoch) {
          seen[id] = epoch;
          found.push(id);
        }
      }
    }
    if (RUN && s === 0) {
      if (++idle === RUN_AFTER) {
        idle = 0;
        run.lastIndex = i + 1;
        if (!run.test(text)) return DONE;
        i = run.lastIndex - 2;
      }
    } else idle = 0;
  }
  return DONE;
};`;

/**
 * Without a skip pattern (common letters start literals), a run of this many characters that left
 * the automaton in its start state has the rest of the run jumped over by the native search for
 * the next character that can leave it (\`run\`): ordinary text seldom has such runs and pays one
 * counter, a target of machine code or padding (\`%90\`, \`XXXX\`, Latin-1 noise) 8 KiB long skips.
 */
const RUN_AFTER = 16;

/**
 * Letters rare in request lines and headers (each under 0.2% of the characters of the benign
 * corpora's User-Agent and Referer values), so a literal may start with one and still be skipped to.
 */
const RARE_LETTERS = /[jqvyz]/i;

/** Characters below this have classes of their own (ASCII and Latin-1); all above share one. */
const CLASSED = 256;

/** Most literals for which `asciiFilter` is built (see there). */
const FILTER_MAX = 4;

/**
 * The characters that move the automaton out of its start state, as a global regex, when they are
 * all punctuation or rare letters (literals such as `${`, `()`, `%c0%`, `.ida?`, `java.lang.`):
 * then the scan jumps from one such character to the next with the native regex search instead of
 * stepping through every character. When a common letter or a digit can start a literal, that
 * would only add overhead.
 */
function skipPattern(delta: ArrayLike<number>, classOf: Uint16Array, highClass: number, extra: string[] = [], anyLetters = false): RegExp | null {
  const chars: string[] = [...extra];
  for (let c = 0; c < CLASSED; c++) {
    if (classOf[c] === 0 || delta[classOf[c]!] === 0) continue;
    const ch = String.fromCharCode(c);
    if (!anyLetters && /[a-z0-9]/i.test(ch) && !RARE_LETTERS.test(ch)) return null;
    chars.push(`\\x${c.toString(16).padStart(2, '0')}`);
  }
  if (highClass !== 0 && delta[highClass] !== 0) chars.push('\\u0100-\\uffff');
  return chars.length === 0 ? null : new RegExp(`[${chars.join('')}]`, 'g');
}

/** The scan loop for one automaton: its width, and the skip or run search it has (at most one). */
function scanSource(width: number, skip: RegExp | null, run: RegExp | null): string {
  return SCAN_SOURCE.replace('CLASSED', String(CLASSED)).replace('WIDTH', String(width)).replace('SKIP &&', skip ? '' : 'false &&')
    .replace('RUN &&', run ? '' : 'false &&').replace('RUN_AFTER', String(RUN_AFTER));
}

export class LiteralAutomaton {
  /** Number of states of the automaton (for tests and sizing). */
  readonly size: number;
  readonly scan: Scanner;
  /** Only when built with `{ ascii: true }`. */
  readonly scanAscii: AsciiScanner | null = null;
  /** Whether `:`, space and newline leave the start state where it is (and report nothing). */
  readonly separatorsNeutral: boolean;
  /**
   * With `{ ascii: true }`, when no literal holds `:` or white space (so none can straddle the
   * joints of `name: value` lines) and they are few: a regex that finds, case-insensitively, any
   * literal or any character `scanAscii` stops at. A text it does not match holds no literal, and
   * one native search tells that faster than the scan does; with more than FILTER_MAX literals
   * the regex is the slower (measured on the benign corpora's headers: 2 literals 200 ns a
   * request against 250 for the scan, 6 literals 300 against 270, 26 literals 390 against 300).
   */
  readonly asciiFilter: RegExp | null = null;

  constructor(entries: ReadonlyArray<{ literal: string; id: number }>, opts: { ascii?: boolean } = {}) {
    const classOf = new Uint16Array(CLASSED);
    let width = 1;
    let highClass = 0;
    for (const { literal } of entries) {
      for (let i = 0; i < literal.length; i++) {
        const c = literal.charCodeAt(i);
        if (c < CLASSED) {
          if (classOf[c] === 0) classOf[c] = width++;
        } else if (highClass === 0) highClass = width++;
      }
    }
    const classify = (c: number): number => (c < CLASSED ? classOf[c]! : highClass);

    // Trie: goto edges as arrays of width, outputs as sets.
    const edges: Int32Array[] = [new Int32Array(width).fill(-1)];
    const outs: Set<number>[] = [new Set()];
    for (const { literal, id } of entries) {
      if (literal.length === 0) continue;
      let s = 0;
      for (let i = 0; i < literal.length; i++) {
        const cls = classify(literal.charCodeAt(i));
        let next = edges[s]![cls]!;
        if (next < 0) {
          next = edges.length;
          edges.push(new Int32Array(width).fill(-1));
          outs.push(new Set());
          edges[s]![cls] = next;
        }
        s = next;
      }
      outs[s]!.add(id);
    }

    // Breadth-first: failure links folded into a complete transition table.
    const n = edges.length;
    const delta = new Int32Array(n * width);
    const fail = new Int32Array(n);
    const queue: number[] = [];
    for (let c = 0; c < width; c++) {
      const t = edges[0]![c]!;
      delta[c] = t < 0 ? 0 : t;
      if (t > 0) queue.push(t);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      for (const id of outs[fail[s]!]!) outs[s]!.add(id);
      for (let c = 0; c < width; c++) {
        const t = edges[s]![c]!;
        if (t < 0) {
          delta[s * width + c] = delta[fail[s]! * width + c]!;
        } else {
          fail[t] = delta[fail[s]! * width + c]!;
          delta[s * width + c] = t;
          queue.push(t);
        }
      }
    }

    // Ids reported in state s: outputs[outStart[s] .. outStart[s + 1]).
    const outStart = new Int32Array(n + 1);
    const flat: number[] = [];
    for (let s = 0; s < n; s++) {
      outStart[s] = flat.length;
      for (const id of [...outs[s]!].sort((a, b) => a - b)) flat.push(id);
    }
    outStart[n] = flat.length;
    // States as row offsets, negated (~offset) where the state reports ids: the scan then needs
    // no multiplication, and the common case (no output) costs one sign test.
    const table = n < 32768 ? new Int16Array(delta.length) : delta;
    for (let k = 0; k < delta.length; k++) {
      const t = delta[k]!;
      table[k] = outStart[t + 1]! > outStart[t]! ? ~t : t;
    }
    this.size = n;
    this.separatorsNeutral = [58, 32, 10].every((c) => table[classOf[c]!] === 0);
    const skip = n > 1 ? skipPattern(table, classOf, highClass) : null;
    const run = n > 1 && skip === null ? skipPattern(table, classOf, highClass, [], true) : null;
    const outputs = Int32Array.from(flat);
    const source = scanSource(width, skip, run).replace(/DONE/g, '').replace('ASCII_CHECK', '').replace('FROM', '0');
    this.scan = (new Function('delta', 'width', 'classOf', 'highClass', 'outStart', 'outputs', 'skip', 'run', source) as ScannerFactory<Scanner>)(
      table, width, classOf, highClass, outStart, outputs, skip, run);
    if (opts.ascii) {
      // A-Z in the class of a-z; the scan stops at `%` and U+0080 up, so the skip must find those too.
      const folded = classOf.slice();
      for (let c = 65; c <= 90; c++) folded[c] = classOf[c + 32]!;
      const stops = ['%', '\\u0080-\\uffff'];
      const asciiSkip = n > 1 ? skipPattern(table, folded, highClass, stops) : /[%\u0080-\uffff]/g;
      const asciiRun = asciiSkip === null ? skipPattern(table, folded, highClass, stops, true) : null;
      const asciiSource = scanSource(width, asciiSkip, asciiRun).replace(/DONE/g, 's')
        .replace('ASCII_CHECK', 'if (c === 37 || c > 127) return -1;').replace('FROM', 'from');
      const literals = [...new Set(entries.map((e) => e.literal).filter((l) => l.length > 0))];
      if (literals.length <= FILTER_MAX && literals.every((l) => !/[:\s]/.test(l))) {
        this.asciiFilter = new RegExp([...literals.map((l) => l.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), '[%\\u0080-\\uffff]'].join('|'), 'i');
      }
      this.scanAscii = (new Function('delta', 'width', 'classOf', 'highClass', 'outStart', 'outputs', 'skip', 'run', asciiSource) as ScannerFactory<AsciiScanner>)(
        table, width, folded, highClass, outStart, outputs, asciiSkip, asciiRun);
    }
  }
}
