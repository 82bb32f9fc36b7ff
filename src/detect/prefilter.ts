/**
 * Aho-Corasick automaton over the signatures' literals: one left-to-right pass over a text finds
 * every signature one of whose literals occurs in it, whatever the number of signatures. Only
 * those candidates then pay for their regular expression.
 *
 * The automaton is a dense DFA over a compressed alphabet: every character that appears in some
 * literal gets its own class, everything else shares class 0, and all characters from U+0080 up
 * share one class (so a non-ASCII literal may give false candidates, never missed ones).
 */
export class LiteralAutomaton {
  /** Number of character classes (columns of `delta`). */
  private readonly width: number;
  private readonly classOf: Uint16Array;
  private readonly highClass: number;
  /** `delta[state * width + class]` → next state. */
  private readonly delta: Int32Array;
  /** Signature ids reported in state s: `outputs[outStart[s] .. outStart[s + 1])`. */
  private readonly outStart: Int32Array;
  private readonly outputs: Int32Array;
  readonly size: number;

  constructor(entries: ReadonlyArray<{ literal: string; id: number }>) {
    const classOf = new Uint16Array(128);
    let width = 1;
    let highClass = 0;
    for (const { literal } of entries) {
      for (let i = 0; i < literal.length; i++) {
        const c = literal.charCodeAt(i);
        if (c < 128) {
          if (classOf[c] === 0) classOf[c] = width++;
        } else if (highClass === 0) highClass = width++;
      }
    }
    this.width = width;
    this.classOf = classOf;
    this.highClass = highClass;

    // Trie: goto edges as arrays of width, outputs as sets.
    const edges: Int32Array[] = [new Int32Array(width).fill(-1)];
    const outs: Set<number>[] = [new Set()];
    for (const { literal, id } of entries) {
      if (literal.length === 0) continue;
      let s = 0;
      for (let i = 0; i < literal.length; i++) {
        const cls = this.classify(literal.charCodeAt(i));
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
    // States are stored as row offsets (state * width), so the scan needs no multiplication; a
    // transition into a state that reports ids is stored negated (~offset), so the common case
    // (no output) costs one sign test.
    const outStart = new Int32Array(n + 1);
    const flat: number[] = [];
    for (let s = 0; s < n; s++) {
      outStart[s] = flat.length;
      for (const id of [...outs[s]!].sort((a, b) => a - b)) flat.push(id);
    }
    outStart[n] = flat.length;
    for (let k = 0; k < delta.length; k++) {
      const t = delta[k]!;
      delta[k] = outStart[t + 1]! > outStart[t]! ? ~(t * width) : t * width;
    }
    this.delta = delta;
    this.outStart = outStart;
    this.outputs = Int32Array.from(flat);
    this.size = n;
  }

  private classify(c: number): number {
    return c < 128 ? this.classOf[c]! : this.highClass;
  }

  /**
   * Marks every id whose literal occurs in `text`: `seen[id] = epoch`, and pushes the id onto
   * `found` the first time it is seen in this epoch.
   */
  scan(text: string, seen: Uint32Array, epoch: number, found: number[]): void {
    const { delta, width, classOf, highClass, outStart, outputs } = this;
    let s = 0;
    for (let i = 0, n = text.length; i < n; i++) {
      const c = text.charCodeAt(i);
      s = delta[s + (c < 128 ? classOf[c]! : highClass)]!;
      if (s < 0) {
        s = ~s;
        const state = s / width;
        const end = outStart[state + 1]!;
        for (let k = outStart[state]!; k < end; k++) {
          const id = outputs[k]!;
          if (seen[id] !== epoch) {
            seen[id] = epoch;
            found.push(id);
          }
        }
      }
    }
  }
}
