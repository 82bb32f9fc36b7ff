/**
 * The plain first-match loop over a compiled signature list: the reference the one-pass engine
 * is tested against, and the matcher the njs module generator emits (it is self-contained
 * ES5-level code, exported in `LIST_MATCH_FUNCTIONS` for `Function.prototype.toString()`).
 */

/** One signature as the plain loop needs it; `target` as in MatchTarget, `re` already built. */
export interface ListEntry {
  target: string;
  re: RegExp;
  methods?: string[] | null;
}

/** Index of the first entry matching the normalised request, and the field it matched, or null. */
export function matchList(n: Record<string, unknown>, list: readonly ListEntry[]): { index: number; field: string } | null {
  for (let i = 0; i < list.length; i++) {
    const s = list[i] as ListEntry;
    if (s.methods && s.methods.length > 0 && s.methods.indexOf(String(n.method)) < 0) continue;
    const fields = s.target === 'all' ? ['line', 'headers'] : [s.target];
    for (let j = 0; j < fields.length; j++) {
      const text = n[fields[j] as string];
      if (typeof text === 'string' && s.re.test(text)) return { index: i, field: fields[j] as string };
    }
  }
  return null;
}

export const LIST_MATCH_FUNCTIONS = [matchList] as const;
