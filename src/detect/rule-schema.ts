import safeRegex from 'safe-regex2';
import { compileCatalogue } from './engine.js';
import { exampleRequest } from './request-line.js';
import { responseVerdict } from './response.js';
import type { MatchTarget, ResponseRule, Signature, SignatureExample } from './types.js';

/** Bounds of a rule file: each is stated in the README. */
export const RULE_LIMITS = { fileBytes: 1_048_576, rulesPerFile: 1000, patternChars: 1000, literalsPerRule: 50, examplesPerKind: 50 };

const TARGETS: readonly MatchTarget[] = ['path', 'query', 'url', 'line', 'resolved', 'raw', 'headers', 'all'];
const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const RULE_KEYS = new Set(['id', 'family', 'title', 'description', 'references', 'stage', 'stageReason', 'match', 'response', 'examples']);
const MATCH_KEYS = new Set(['target', 'pattern', 'literals', 'methods']);
const RESPONSE_KEYS = new Set(['probe', 'success', 'confirm']);

/** One parsed rule file: its signatures (validated) and the built-in ids it disables. */
export interface RuleSet {
  signatures: Signature[];
  disable: string[];
}

type Report = (field: string, message: string) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates the parsed content of one rule file. Errors are pushed as
 * `FILE: entry N (ID): FIELD: problem`, one per line, so a person can go straight to it.
 */
export function validateRuleData(data: unknown, file: string, errors: string[]): RuleSet {
  const out: RuleSet = { signatures: [], disable: [] };
  let entries: unknown[] = [];
  if (Array.isArray(data)) entries = data;
  else if (isObject(data)) {
    for (const key of Object.keys(data)) {
      if (key !== 'signatures' && key !== 'disable') errors.push(`${file}: ${key}: unknown key (expected signatures and disable)`);
    }
    if (data.signatures !== undefined && !Array.isArray(data.signatures)) errors.push(`${file}: signatures: must be a list of signatures`);
    else entries = (data.signatures as unknown[] | undefined) ?? [];
    if (data.disable !== undefined) {
      if (!Array.isArray(data.disable) || !data.disable.every((d) => typeof d === 'string')) errors.push(`${file}: disable: must be a list of signature ids`);
      else out.disable = data.disable as string[];
    }
  } else if (data !== null && data !== undefined) {
    errors.push(`${file}: must hold a list of signatures, or a mapping with signatures and disable`);
  }
  if (entries.length > RULE_LIMITS.rulesPerFile) errors.push(`${file}: signatures: more than ${RULE_LIMITS.rulesPerFile} entries`);
  const seen = new Set<string>();
  entries.slice(0, RULE_LIMITS.rulesPerFile).forEach((entry, index) => {
    const label = `${file}: entry ${index + 1}${isObject(entry) && typeof entry.id === 'string' ? ` (${entry.id})` : ''}`;
    const before = errors.length;
    const report: Report = (field, message) => errors.push(`${label}: ${field}: ${message}`);
    const sig = checkSignature(entry, report);
    if (sig && seen.has(sig.id)) report('id', `duplicate id ${sig.id} in this file`);
    if (sig) seen.add(sig.id);
    if (sig && errors.length === before) {
      checkExamples(sig, report);
      out.signatures.push(sig);
    }
  });
  return out;
}

function checkSignature(entry: unknown, report: Report): Signature | null {
  if (!isObject(entry)) {
    report('(entry)', 'must be a mapping with id, family, title, description, stage, match and examples');
    return null;
  }
  for (const key of Object.keys(entry)) if (!RULE_KEYS.has(key)) report(key, 'unknown field');
  const str = (field: string, max: number, required = true): string => {
    const v = entry[field];
    if (v === undefined && !required) return '';
    if (typeof v !== 'string' || v.trim() === '') report(field, 'required, a non-empty string');
    else if (v.length > max) report(field, `longer than ${max} characters`);
    return typeof v === 'string' ? v : '';
  };
  const id = str('id', 64);
  if (id && !ID.test(id)) report('id', 'lower-case kebab-case letters and digits (my-rule-1)');
  const family = str('family', 32);
  if (family && !ID.test(family)) report('family', 'lower-case kebab-case, a short fixed name (it is a metrics label)');
  const title = str('title', 120);
  const description = str('description', 4000);
  const stageReason = str('stageReason', 500, false);
  const references = entry.references ?? [];
  if (!Array.isArray(references) || !references.every((r) => typeof r === 'string')) report('references', 'must be a list of strings');
  if (entry.stage !== 'request' && entry.stage !== '404') report('stage', 'must be request or 404');
  const match = checkMatch(entry.match, report);
  const response = checkResponse(entry.response, entry.stage, report);
  const examples = checkExampleLists(entry.examples, report);
  if (!match || !examples || response === null) return null;
  const sig: Signature = {
    id, family, title, description, references: references as string[], stage: entry.stage as Signature['stage'], match, examples,
  };
  if (stageReason) sig.stageReason = stageReason;
  if (response) sig.response = response;
  return sig;
}

function checkMatch(m: unknown, report: Report): Signature['match'] | null {
  if (!isObject(m)) {
    report('match', 'required, a mapping with target and pattern');
    return null;
  }
  let ok = true;
  const bad = (field: string, message: string): void => {
    report(`match.${field}`, message);
    ok = false;
  };
  for (const key of Object.keys(m)) if (!MATCH_KEYS.has(key)) bad(key, 'unknown field');
  if (!TARGETS.includes(m.target as MatchTarget)) bad('target', `must be one of ${TARGETS.join(', ')}`);
  const pattern = m.pattern;
  if (typeof pattern !== 'string' || pattern === '') bad('pattern', 'required, a regular expression as a string');
  else checkPattern(pattern, bad);
  const literals = m.literals;
  if (literals !== undefined) {
    if (!Array.isArray(literals) || !literals.every((l) => typeof l === 'string' && l.length > 0)) bad('literals', 'must be a list of non-empty strings');
    else if (literals.length > RULE_LIMITS.literalsPerRule) bad('literals', `more than ${RULE_LIMITS.literalsPerRule}`);
  }
  const methods = m.methods;
  if (methods !== undefined && (!Array.isArray(methods) || !methods.every((x) => typeof x === 'string' && /^[A-Za-z-]{1,20}$/.test(x)))) {
    bad('methods', 'must be a list of HTTP methods such as GET, POST');
  }
  if (!ok) return null;
  const out: Signature['match'] = { target: m.target as MatchTarget, pattern: pattern as string };
  if (Array.isArray(literals)) out.literals = (literals as string[]).map((l) => l.toLowerCase());
  if (Array.isArray(methods)) out.methods = (methods as string[]).map((x) => x.toUpperCase());
  return out;
}

/** `response:` (404 stage only): probe statuses or `any`, success exposure|owned, a safe confirm regex. Null when invalid. */
function checkResponse(r: unknown, stage: unknown, report: Report): ResponseRule | undefined | null {
  if (r === undefined) return undefined;
  if (stage !== '404') return report('response', 'only a 404-stage signature has response semantics (a request-stage one is an attack whatever the answer)'), null;
  if (!isObject(r)) return report('response', 'a mapping with probe, success and confirm (all optional)'), null;
  let ok = true;
  const bad = (field: string, message: string): void => {
    report(`response.${field}`, message);
    ok = false;
  };
  for (const key of Object.keys(r)) if (!RESPONSE_KEYS.has(key)) bad(key, 'unknown field');
  const { probe, success, confirm } = r;
  const isStatus = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 100 && (x as number) <= 599 && ((x as number) < 200 || (x as number) > 299);
  if (probe !== undefined && probe !== 'any' && !(Array.isArray(probe) && probe.length > 0 && probe.every(isStatus))) {
    bad('probe', 'the word any, or a list of non-2xx statuses such as [401, 403, 404, 405] (a 2xx is governed by success)');
  }
  if (success !== undefined && success !== 'exposure' && success !== 'owned') bad('success', 'exposure or owned');
  if (confirm !== undefined) {
    if (typeof confirm !== 'string' || confirm === '') bad('confirm', 'a regular expression as a string');
    else if (success !== 'exposure') bad('confirm', 'only with success: exposure (it tells a served secret from a catch-all page)');
    else checkPattern(confirm, (_f, message) => bad('confirm', message));
  }
  if (!ok) return null;
  const out: ResponseRule = {};
  if (probe !== undefined) out.probe = probe === 'any' ? 'any' : [...(probe as number[])];
  if (success !== undefined) out.success = success as ResponseRule['success'];
  if (confirm !== undefined) out.confirm = confirm as string;
  return out;
}

/**
 * A pattern must compile as a JavaScript regex, stay in the subset nginx's PCRE shares, and not
 * be prone to catastrophic backtracking: safe-regex2 rejects nested quantifiers (star height
 * above 1) and more than 25 repetitions. Inputs are bounded too (8 KiB per field).
 */
function checkPattern(pattern: string, bad: (field: string, message: string) => void): void {
  if (pattern.length > RULE_LIMITS.patternChars) return bad('pattern', `longer than ${RULE_LIMITS.patternChars} characters`);
  try {
    new RegExp(pattern);
  } catch (err) {
    return bad('pattern', `invalid regular expression: ${(err as Error).message}`);
  }
  if (/\(\?<[=!]/.test(pattern)) return bad('pattern', 'lookbehind is not supported (nginx njs/PCRE parity)');
  if (/\(\?<[A-Za-z]|\\k</.test(pattern)) return bad('pattern', 'named groups are not supported (nginx njs/PCRE parity)');
  if (!safeRegex(pattern)) return bad('pattern', 'prone to catastrophic backtracking (nested quantifiers such as (a+)+); rewrite it without a repeated group of repeats');
}

function checkExampleLists(e: unknown, report: Report): Signature['examples'] | null {
  if (!isObject(e)) {
    report('examples', 'required, a mapping with positive (at least one) and negative lists');
    return null;
  }
  let ok = true;
  const list = (kind: 'positive' | 'negative'): SignatureExample[] => {
    const raw = e[kind] ?? [];
    if (!Array.isArray(raw)) {
      report(`examples.${kind}`, 'must be a list of request lines or {request, headers} mappings');
      ok = false;
      return [];
    }
    if (raw.length > RULE_LIMITS.examplesPerKind) report(`examples.${kind}`, `more than ${RULE_LIMITS.examplesPerKind}`);
    return raw.map((x, i) => {
      if (typeof x === 'string') return { request: x };
      const headersOk = isObject(x) && (x.headers === undefined || (isObject(x.headers) && Object.values(x.headers).every((v) => typeof v === 'string')));
      const answerOk = isObject(x) && (x.status === undefined || (Number.isInteger(x.status) && (x.status as number) >= 100 && (x.status as number) <= 599))
        && (x.body === undefined || (typeof x.body === 'string' && x.body.length <= 4096));
      if (!isObject(x) || typeof x.request !== 'string' || !headersOk || !answerOk) {
        report(`examples.${kind}[${i + 1}]`, 'must be a request line, or a mapping with request and optional headers (name: value), status (100-599) and body (at most 4096 characters)');
        ok = false;
        return { request: '' };
      }
      return x as unknown as SignatureExample;
    });
  };
  const positive = list('positive');
  const negative = list('negative');
  if (ok && positive.length === 0) {
    report('examples.positive', 'at least one example request that the rule must match');
    ok = false;
  }
  return ok ? { positive, negative } : null;
}

/**
 * The rule's own examples: each positive must match at its stage (and, at the 404 stage, its
 * status and body must make it a probe or an exposure); no negative may (or its answer gives null).
 */
function checkExamples(sig: Signature, report: Report): void {
  const engine = compileCatalogue([sig]);
  const re = new RegExp(sig.match.pattern);
  const answered = (ex: SignatureExample): ReturnType<typeof responseVerdict> => responseVerdict(sig, ex.status ?? 404, ex.body);
  const all = [...sig.examples.positive.map((ex, i) => ({ ex, at: `examples.positive[${i + 1}]` })), ...sig.examples.negative.map((ex, i) => ({ ex, at: `examples.negative[${i + 1}]` }))];
  for (const { ex, at } of all) {
    if (sig.stage === 'request' && (ex.status !== undefined || ex.body !== undefined)) report(at, 'status and body are for 404-stage examples (a request-stage match does not depend on the answer)');
    if (ex.body !== undefined && !(ex.status !== undefined && ex.status >= 200 && ex.status < 300)) report(at, 'body needs a 2xx status');
  }
  sig.examples.positive.forEach((ex, i) => {
    const n = engine.normalise(exampleRequest(ex));
    if (engine.match(n, sig.stage)) {
      if (answered(ex) === null) report(`examples.positive[${i + 1}]`, `matches, but a ${ex.status ?? 404} answer makes it neither a probe nor an exposure (see response)`);
      return;
    }
    const fields = sig.match.target === 'all' ? (['line', 'headers'] as const) : [sig.match.target];
    const patternHits = fields.some((f) => re.test(n[f]));
    const hint = patternHits && sig.match.literals?.length
      ? `the pattern matches but none of match.literals occurs in the ${fields.join('/')} text`
      : `does not match (${fields[0]} text: ${JSON.stringify(n[fields[0]!].slice(0, 120))})`;
    report(`examples.positive[${i + 1}]`, hint);
  });
  sig.examples.negative.forEach((ex, i) => {
    const n = engine.normalise(exampleRequest(ex));
    if (engine.match(n, sig.stage) && answered(ex) !== null) report(`examples.negative[${i + 1}]`, `matches, but must not: ${ex.request.slice(0, 120)}`);
  });
}
