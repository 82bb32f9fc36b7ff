import type { NjsSignature } from './runtime.js';

/**
 * Which requests nginx may pass without running the njs classifier: a "suspect" test derived from
 * the same table the njs module matches with (`njsTable`), such that a request that is NOT a
 * suspect is one `classifyRequest` cannot flag. The argument, which the generated regexes follow:
 *
 * `classifyRequest` flags a request only for a signature whose methods allow it and which either
 * has no literals (then the request is a suspect by its method) or has a literal in one of its
 * scanned texts, built by `normaliseTarget` and `headerText`:
 * - `line` is `METHOD url`, `raw` the target, `resolved` the url with its path resolved. When the
 *   target has no `%`, `\`, byte from 0x80 up or `//`, starts with `/` and the method is at most
 *   32 characters long, `line` and `raw` equal `"$request_method $request_uri"` and the target
 *   but for ASCII case, and `resolved` equals `url` unless the path holds `/.`, `./`, `:`, or a
 *   dot or space before a `/`, the `?` or its end. So, read case-insensitively, a literal in those
 *   texts is a literal in `"$request_method $request_uri"`, or one of those conditions holds.
 * - The header text is every `name: value` of the headers as received, lower-cased, with repeats
 *   joined by `, ` or `; `, lines by `\n`, decoded once when it holds `%` or a character from
 *   U+0080 up. Without those, a stretch of it free of `,`, `;` and `\n` lies within one
 *   `name: value` as received, so each header literal is reduced to its longest such stretch.
 * Cutting a text to its bound keeps a prefix, which holds no literal the whole text lacks.
 */

export interface SuspectPlan {
  /** Lower-case ASCII literals of the line, raw and resolved scans, none inside another. */
  uriLiterals: string[];
  /** Lower-case ASCII header literals reduced to a stretch without `,` `;` `\n`, none inside another. */
  headerLiterals: string[];
  /** Methods of signatures without literals: every request with one is a suspect. */
  alwaysMethods: string[];
  /** A signature without literals or methods (or a header literal of separators only): all are suspects. */
  everyRequest: boolean;
  /** Some signature's literals are looked for in the resolved URL. */
  resolves: boolean;
}

/** Literals holding a character from U+0080 up only occur in text that decoding or folding made, always a suspect. */
const ASCII = /^[\x00-\x7f]+$/;

export function suspectPlan(table: readonly NjsSignature[]): SuspectPlan {
  const uri: string[] = [];
  const header: string[] = [];
  const methods = new Set<string>();
  let everyRequest = false;
  let resolves = false;
  for (const s of table) {
    if (s.literals === null) {
      if (s.methods === null) everyRequest = true;
      else for (const m of s.methods) methods.add(m);
      continue;
    }
    for (const scan of s.scans) {
      if (scan === 'resolved') resolves = true;
      for (const literal of s.literals) {
        if (scan !== 'headers') uri.push(literal);
        else {
          const stretch = longestStretch(literal);
          if (stretch === '') everyRequest = true;
          else header.push(stretch);
        }
      }
    }
  }
  // A literal holding `%` or `\\` (or `//` in a URI) is found only where the conditions already make a suspect.
  const implied = (l: string, uriText: boolean): boolean => l.includes('%') || (uriText && (l.includes('\\') || l.includes('//')));
  return {
    uriLiterals: minimal(uri.filter((l) => !implied(l, true))),
    headerLiterals: minimal(header.filter((l) => !implied(l, false))),
    alwaysMethods: [...methods].sort(),
    everyRequest,
    resolves,
  };
}

/** The longest part of a literal free of the characters Node's header text puts between headers. */
export function longestStretch(literal: string): string {
  return literal.split(/[,;\n]/).reduce((best, part) => (part.length > best.length ? part : best), '');
}

/** Distinct ASCII literals, without those that contain another (finding the shorter one is enough), sorted. */
export function minimal(literals: readonly string[]): string[] {
  const distinct = [...new Set(literals.map((l) => l.toLowerCase()).filter((l) => l.length > 0 && ASCII.test(l)))];
  distinct.sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const kept: string[] = [];
  for (const l of distinct) if (!kept.some((k) => l.includes(k))) kept.push(l);
  return kept.sort();
}

/** One character of a literal in a regex: letters and digits as they are, anything else as `\xHH` (safe in nginx quotes too). */
function escapeChar(c: string): string {
  return /[a-z0-9]/.test(c) ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

interface Trie { end?: true; next: Record<string, Trie> }

/**
 * An alternation of literals factored by common prefix (`a(?:bc|de)`), so the regex engine
 * tries each first character once. A literal that another starts with makes the longer one moot.
 */
export function alternation(literals: readonly string[]): string {
  if (literals.length === 0) return '(?!)'; // no literal: a regex that never matches, not one that always does
  const root: Trie = { next: {} };
  for (const l of literals) {
    let node = root;
    for (const c of l) node = node.next[c] ??= { next: {} };
    node.end = true;
  }
  const render = (trie: Trie): string => {
    if (trie.end) return '';
    const node = trie.next;
    const keys = Object.keys(node).sort();
    const branches = keys.map((c) => escapeChar(c) + render(node[c]!));
    if (branches.length <= 1) return branches[0] ?? '';
    return `(?:${branches.join('|')})`;
  };
  return render(root);
}

/**
 * Splits literals into groups whose alternation stays under `maxChars` (so that no PCRE pattern
 * nears its compiled-size limit, whatever the rule files add); each group is one regex.
 */
export function literalGroups(literals: readonly string[], maxChars: number): string[] {
  const groups: string[][] = [[]];
  let size = 0;
  for (const l of literals) {
    const cost = l.length * 4 + 8;
    if (size + cost > maxChars && groups[groups.length - 1]!.length > 0) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1]!.push(l);
    size += cost;
  }
  return groups.filter((g) => g.length > 0).map(alternation);
}

/** Characters of one generated regex's literal part (a bound, see `literalGroups`). */
export const GROUP_MAX = 8192;

/**
 * The conditions under which normalisation could make the URI texts differ from
 * `"$request_method $request_uri"` (PCRE, read case-insensitively; see the module comment).
 */
export function uriConditions(plan: SuspectPlan): string[] {
  const out = [
    '[%\\x5c\\x80-\\xff]', // percent-decoding, backslashes, UTF-8 folding
    '//', // runs of slashes collapse
    '^[^ ]*(?: [^/]| ?$)', // not origin-form (absolute-form, `*`, empty)
    '^[^ ]{33}', // a method longer than the 32 characters the normaliser reads
  ];
  if (plan.resolves) out.push('^[^ ]* [^?]*(?:/\\x2e|\\x2e/|:|[\\x2e ](?:/|\\?|$))');
  if (plan.alwaysMethods.length > 0) out.push(`^(?:${plan.alwaysMethods.map((m) => [...m.toLowerCase()].map(escapeChar).join('')).join('|')}) `);
  return out;
}

/** The regexes (PCRE, case-insensitive) over `"$request_method $request_uri"`; any match makes a suspect. */
export function uriSuspectRegexes(plan: SuspectPlan): string[] {
  if (plan.everyRequest) return ['^'];
  return [uriConditions(plan).join('|'), ...literalGroups(plan.uriLiterals, GROUP_MAX)];
}

/**
 * The JavaScript regex source (for njs, flag `i`) over the `name: value` lines of the headers as
 * received; a match makes a suspect. Null when no signature reads headers through literals.
 */
export function headerSuspectSource(plan: SuspectPlan): string | null {
  if (plan.everyRequest) return '^';
  if (plan.headerLiterals.length === 0) return null;
  // No `\\u` escape: njs 0.7.9 header values are byte strings, on which such a regex never matches.
  return ['%|[^\\x00-\\x7f]', alternation(plan.headerLiterals)].join('|');
}
