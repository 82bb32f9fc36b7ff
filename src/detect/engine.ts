import { HeaderPrefilter } from './header-prefilter.js';
import { keepMemo, memoOf, pendingHeaders, withLazyHeaders, type ScanMemo } from './lazy-headers.js';
import { normaliseTarget, sanitiseLine } from './normalise.js';
import { LiteralAutomaton } from './prefilter.js';
import type { Engine, MatchTarget, NormalisedRequest, RequestView, Signature, Stage, Verdict } from './types.js';

/** Evidence and detail strings are cut to this many characters. */
export const EVIDENCE_MAX = 200;

type Field = Exclude<MatchTarget, 'all'>;
/** The three texts the prefilter scans; path, query and url are all substrings of line. */
type ScanText = 'line' | 'raw' | 'headers';

interface CompiledSignature {
  index: number;
  signature: Signature;
  re: RegExp;
  fields: readonly Field[];
  methods: readonly string[] | null;
}

/**
 * One prefilter for both stages: each text is scanned once per request, and the candidates of the
 * stage not asked for are kept on the request (see `ScanMemo`) for its other `match` call.
 */
interface Plan {
  /** The line and raw target each through an automaton, the header text through `HeaderPrefilter`. */
  scans: ({ text: 'line' | 'raw'; automaton: LiteralAutomaton } | { text: 'headers'; headers: HeaderPrefilter })[];
  /** Signatures without literals, by stage: verified on every request of that stage. */
  always: Record<Stage, number[]>;
  anyAlways: boolean;
}

const ascending = (a: number, b: number): number => a - b;
const NONE: readonly number[] = Object.freeze([]);

/**
 * Which text's scan finds a field's literals. `resolved` shares the line's automaton: it equals
 * the url for almost every request (then the line scan has found its literals already), and is
 * scanned with the same automaton only when a path had dot segments or stream names to resolve.
 */
const SCAN_TEXT: Record<Field, ScanText> = { path: 'line', query: 'line', url: 'line', line: 'line', resolved: 'line', raw: 'raw', headers: 'headers' };

/**
 * Compiles a catalogue into an engine. Matching is one pass per text (request line, raw target,
 * header text) of an Aho-Corasick prefilter over the literals of both stages, then a regex check
 * of only the candidate signatures of the stage asked for, in catalogue order. The header text is
 * built only when a candidate or a caller reads it (`lazy-headers.ts`), and the candidates of the
 * other stage are kept on the request for its 404 check. Throws (naming the id) on a pattern that
 * does not compile; user rule files are validated before they get here.
 */
export function compileCatalogue(signatures: readonly Signature[]): Engine {
  const compiled = signatures.map((s, index) => compileOne(s, index));
  const prefilter = plan(compiled);
  const isRequestStage = Uint8Array.from(compiled, (c) => (c.signature.stage === 'request' ? 1 : 0));
  const owner = {};
  const seen = new Uint32Array(Math.max(1, compiled.length));
  let epoch = 0;

  // Reused between calls: matching is synchronous, so one request never sees another's list.
  const found: number[] = [];

  /** Both stages' candidates, each ascending, with signatures of a method `n` lacks left out. */
  function scanBoth(n: NormalisedRequest): ScanMemo {
    epoch = epoch >= 0xfffffffe ? 1 : epoch + 1;
    if (epoch === 1) seen.fill(0);
    found.length = 0;
    const scans = prefilter.scans;
    for (let k = 0; k < scans.length; k++) {
      const scan = scans[k]!;
      if (scan.text === 'headers') {
        const source = pendingHeaders(n);
        if (source === undefined || !scan.headers.scanPieces(source, seen, epoch, found)) scan.headers.scanText(textOf(n, 'headers'), seen, epoch, found);
        continue;
      }
      scan.automaton.scan(textOf(n, scan.text), seen, epoch, found);
      if (scan.text === 'line' && typeof n.resolved === 'string' && n.resolved !== n.url) scan.automaton.scan(n.resolved, seen, epoch, found);
    }
    if (found.length === 0 && !prefilter.anyAlways) return { owner, method: n.method, line: n.line, raw: n.raw, request: NONE, notFound: NONE };
    const request: number[] = [];
    const notFound: number[] = [];
    for (let k = 0; k < found.length; k++) {
      const id = found[k]!;
      if (!appliesTo(compiled[id]!, n.method)) continue;
      if (isRequestStage[id] === 1) request.push(id);
      else notFound.push(id);
    }
    addAlways(prefilter.always.request, n.method, request);
    addAlways(prefilter.always['404'], n.method, notFound);
    if (request.length > 1) request.sort(ascending);
    if (notFound.length > 1) notFound.sort(ascending);
    return { owner, method: n.method, line: n.line, raw: n.raw, request, notFound };
  }

  function addAlways(always: readonly number[], method: string, into: number[]): void {
    for (let k = 0; k < always.length; k++) {
      const id = always[k]!;
      // Each id was scanned for nowhere else: no literals.
      if (appliesTo(compiled[id]!, method)) into.push(id);
    }
  }

  function candidates(n: NormalisedRequest, stage: Stage): readonly number[] {
    let memo = memoOf(n);
    if (memo === null || memo.owner !== owner || memo.method !== n.method || memo.line !== n.line || memo.raw !== n.raw) {
      memo = scanBoth(n);
      keepMemo(n, memo);
    }
    return stage === 'request' ? memo.request : memo.notFound;
  }

  // The last request-target normalised, kept: a worm or a scanner flooding one target (CodeRed's
  // 375 characters, 22 escapes, decoded twice) is normalised once. One entry; a miss costs a compare.
  let lastMethod = '';
  let lastTarget = '';
  let lastViews: ReturnType<typeof normaliseTarget> | null = null;
  function targetViews(method: unknown, target: unknown): ReturnType<typeof normaliseTarget> {
    if (typeof method !== 'string' || typeof target !== 'string') return normaliseTarget(method as string, target as string);
    if (lastViews === null || target !== lastTarget || method !== lastMethod) {
      lastViews = normaliseTarget(method, target);
      lastMethod = method;
      lastTarget = target;
    }
    return lastViews;
  }

  return {
    signatures,
    normalise(req: RequestView): NormalisedRequest {
      return withLazyHeaders(targetViews(req?.method ?? '', req?.target ?? ''), req?.headers);
    },
    match(n: NormalisedRequest, stage: Stage): Verdict | null {
      if ((stage !== 'request' && stage !== '404') || typeof n !== 'object' || n === null) return null;
      const ids = candidates(n, stage);
      for (let k = 0; k < ids.length; k++) {
        const c = compiled[ids[k]!]!;
        const where = verify(c, n);
        if (where !== null) return verdict(c, n, stage, where);
      }
      return null;
    },
  };
}

function compileOne(signature: Signature, index: number): CompiledSignature {
  let re: RegExp;
  try {
    re = new RegExp(signature.match.pattern);
  } catch (err) {
    throw new Error(`signature ${signature.id}: invalid pattern: ${(err as Error).message}`);
  }
  const t = signature.match.target;
  const fields: Field[] = t === 'all' ? ['line', 'headers'] : [t];
  const methods = signature.match.methods?.length ? signature.match.methods.map((m) => m.toUpperCase()) : null;
  return { index, signature, re, fields, methods };
}

function plan(compiled: readonly CompiledSignature[]): Plan {
  const byText: Record<ScanText, { literal: string; id: number }[]> = { line: [], raw: [], headers: [] };
  const always: Record<Stage, number[]> = { request: [], '404': [] };
  for (const c of compiled) {
    const literals = (c.signature.match.literals ?? []).map((l) => l.toLowerCase()).filter((l) => l.length > 0);
    if (literals.length === 0) {
      if (c.signature.stage === 'request' || c.signature.stage === '404') always[c.signature.stage].push(c.index);
      continue;
    }
    for (const f of c.fields) for (const literal of literals) byText[SCAN_TEXT[f]].push({ literal, id: c.index });
  }
  const scans: Plan['scans'] = [];
  for (const text of ['line', 'raw'] as const) if (byText[text].length > 0) scans.push({ text, automaton: new LiteralAutomaton(byText[text]) });
  if (byText.headers.length > 0) scans.push({ text: 'headers', headers: new HeaderPrefilter(byText.headers) });
  return { scans, always, anyAlways: always.request.length + always['404'].length > 0 };
}

function appliesTo(c: CompiledSignature, method: string): boolean {
  return c.methods === null || c.methods.includes(method);
}

/** One of the scanned texts, by name (plain property loads; the engine never trusts the shape). */
function textOf(n: NormalisedRequest, text: ScanText): string {
  const t = text === 'line' ? n.line : text === 'raw' ? n.raw : n.headers;
  return typeof t === 'string' ? t : '';
}

/** The field the pattern matched in, or null. */
function verify(c: CompiledSignature, n: NormalisedRequest): Field | null {
  for (const f of c.fields) {
    const text = n[f];
    if (typeof text === 'string' && c.re.test(text)) return f;
  }
  return null;
}

function verdict(c: CompiledSignature, n: NormalisedRequest, stage: Stage, where: Field): Verdict {
  const evidence = evidenceOf(n);
  const v: Verdict = { signature: c.signature, stage, evidence };
  if (where === 'headers') v.detail = sanitiseLine(headerLineAt(n.headers, c.re), EVIDENCE_MAX);
  return v;
}

/**
 * The request line as evidence, sanitised and cut to EVIDENCE_MAX. The target is cut before it is
 * joined and sanitised (one character past the limit keeps `sanitiseLine`'s `...` as it was): a
 * CodeRed or WebDAV overflow target of 8 KiB is otherwise copied whole, to keep 200 characters.
 */
export function evidenceOf(n: NormalisedRequest): string {
  const target = String(n.received ?? n.raw);
  const room = EVIDENCE_MAX + 1 - n.method.length - 1;
  return sanitiseLine(`${n.method} ${target.length > room ? target.slice(0, Math.max(0, room)) : target}`, EVIDENCE_MAX);
}

/** The whole `name: value` line in which the pattern matched. */
function headerLineAt(headers: string, re: RegExp): string {
  const m = re.exec(headers);
  if (!m) return '';
  const start = headers.lastIndexOf('\n', m.index) + 1;
  const end = headers.indexOf('\n', m.index + Math.max(0, m[0].length - 1));
  return headers.slice(start, end < 0 ? headers.length : end);
}
