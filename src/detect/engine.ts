import { pendingHeaders, scanHeaders, withLazyHeaders } from './lazy-headers.js';
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

interface StagePlan {
  /** `perHeader`: the header scan may read each header name and value on its own (see `scanHeaders`). */
  scans: { text: ScanText; automaton: LiteralAutomaton; perHeader: boolean }[];
  /** Signatures without literals: verified on every request of this stage. */
  always: number[];
}

const ascending = (a: number, b: number): number => a - b;

const SCAN_TEXT: Record<Field, ScanText> = { path: 'line', query: 'line', url: 'line', line: 'line', raw: 'raw', headers: 'headers' };

/**
 * Compiles a catalogue into an engine. Matching is one pass per text (request line, raw target,
 * header text) of an Aho-Corasick prefilter over all literals of that stage, then a regex check of
 * only the candidate signatures, in catalogue order. Throws (naming the id) on a pattern that does
 * not compile; user rule files are validated before they get here.
 */
export function compileCatalogue(signatures: readonly Signature[]): Engine {
  const compiled = signatures.map((s, index) => compileOne(s, index));
  const plans: Record<Stage, StagePlan> = { request: plan(compiled, 'request'), '404': plan(compiled, '404') };
  const seen = new Uint32Array(Math.max(1, compiled.length));
  let epoch = 0;

  // Reused between calls: matching is synchronous, so one request never sees another's list.
  const found: number[] = [];

  function candidates(n: NormalisedRequest, p: StagePlan): number[] {
    epoch = epoch >= 0xfffffffe ? 1 : epoch + 1;
    if (epoch === 1) seen.fill(0);
    found.length = 0;
    const scans = p.scans;
    for (let k = 0; k < scans.length; k++) {
      const scan = scans[k]!;
      const source = scan.perHeader ? pendingHeaders(n) : undefined;
      if (source === undefined || !scanHeaders(source, scan.automaton, seen, epoch, found)) scan.automaton.scan(textOf(n, scan.text), seen, epoch, found);
    }
    const always = p.always;
    for (let k = 0; k < always.length; k++) {
      const id = always[k]!;
      // A method the signature does not apply to would be skipped anyway; skipping it here spares the sort.
      const methods = compiled[id]!.methods;
      if (methods !== null && !methods.includes(n.method)) continue;
      if (seen[id] !== epoch) {
        seen[id] = epoch;
        found.push(id);
      }
    }
    return found.length > 1 ? found.sort(ascending) : found;
  }

  return {
    signatures,
    normalise(req: RequestView): NormalisedRequest {
      return withLazyHeaders(normaliseTarget(req?.method ?? '', req?.target ?? ''), req?.headers);
    },
    match(n: NormalisedRequest, stage: Stage): Verdict | null {
      const p = stage === 'request' ? plans.request : stage === '404' ? plans['404'] : undefined;
      if (!p || typeof n !== 'object' || n === null) return null;
      const ids = candidates(n, p);
      for (let k = 0; k < ids.length; k++) {
        const c = compiled[ids[k]!]!;
        if (c.methods && !c.methods.includes(n.method)) continue;
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

function plan(compiled: readonly CompiledSignature[], stage: Stage): StagePlan {
  const byText: Record<ScanText, { literal: string; id: number }[]> = { line: [], raw: [], headers: [] };
  const always: number[] = [];
  for (const c of compiled) {
    if (c.signature.stage !== stage) continue;
    const literals = (c.signature.match.literals ?? []).map((l) => l.toLowerCase()).filter((l) => l.length > 0);
    if (literals.length === 0) {
      always.push(c.index);
      continue;
    }
    for (const f of c.fields) for (const literal of literals) byText[SCAN_TEXT[f]].push({ literal, id: c.index });
  }
  // Header by header is only exact when no literal can straddle the `name: value\n` joints.
  const perHeader = byText.headers.every((e) => !/[:\s]/.test(e.literal));
  const scans = (Object.keys(byText) as ScanText[])
    .filter((text) => byText[text].length > 0)
    .map((text) => {
      const byHeader = text === 'headers' && perHeader;
      return { text, automaton: new LiteralAutomaton(byText[text], { ascii: byHeader }), perHeader: byHeader };
    });
  return { scans, always };
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
  const evidence = sanitiseLine(`${n.method} ${n.received ?? n.raw}`, EVIDENCE_MAX);
  const v: Verdict = { signature: c.signature, stage, evidence };
  if (where === 'headers') v.detail = sanitiseLine(headerLineAt(n.headers, c.re), EVIDENCE_MAX);
  return v;
}

/** The whole `name: value` line in which the pattern matched. */
function headerLineAt(headers: string, re: RegExp): string {
  const m = re.exec(headers);
  if (!m) return '';
  const start = headers.lastIndexOf('\n', m.index) + 1;
  const end = headers.indexOf('\n', m.index + Math.max(0, m[0].length - 1));
  return headers.slice(start, end < 0 ? headers.length : end);
}
