// Seeded hostile requests aimed at the suspect map's construction: catalogue payloads respelled
// the ways the normaliser undoes (case, escapes, overlong UTF-8, backslashes, slashes, dot
// segments, absolute form), moved into other headers, split across repeated headers, plus
// ordinary browser requests; and a synthetic catalogue whose literals cross every joint the
// normaliser makes (method and target, repeated headers, header lines, resolved paths).
import type { Signature } from '../../src/detect/types.js';
import { Rng } from '../fuzz/rng.js';
import { splitRequestLine } from './examples.js';
import type { WireRequest } from './suspects.js';

const BROWSER: [string, string][] = [
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'],
  ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
  ['Accept-Language', 'en-GB,en;q=0.5'],
  ['Accept-Encoding', 'gzip, deflate, br'],
  ['Cookie', 'session=4f2a9c; theme=dark'],
];

const ORDINARY_TARGETS = ['/', '/index.html', '/1k/products/widget-42?colour=blue&size=m', '/1k/search?q=garden+chairs&page=2',
  '/static/app.3f9c2.js', '/api/v1/orders/1234/items', '/blog/2024/05/hello-world', '/img/logo.png?v=3', '/favicon.ico'];

const HEADER_NAMES = ['X-Api-Version', 'Referer', 'Cookie', 'X-Forwarded-Host', 'Accept', 'Authorization', 'True-Client-IP', 'X-Wap-Profile', 'User-Agent'];
const METHODS = ['GET', 'POST', 'HEAD', 'SEARCH', 'PROPFIND', 'OPTIONS', 'M'.repeat(40), `${'-'.repeat(32)}X`];
const HIGH_BYTES = ['\xc3\xa9', '\xff', '\xc1\xbb', '\xc0\xa8', '\xc0\xaf', '\xe0\x80\xaf'];

function hex(rng: Rng, code: number): string {
  const h = code.toString(16).padStart(2, '0');
  return rng.chance(0.5) ? h.toUpperCase() : h;
}

/** One character respelled as an escape a decoder undoes (once, twice, IIS `%u`). */
function escape(rng: Rng, c: string): string {
  const code = c.charCodeAt(0);
  const k = rng.int(0, 3);
  if (k === 0) return `%${hex(rng, code)}`;
  if (k === 1) return `%25${hex(rng, code)}`;
  if (k === 2) return `%u00${hex(rng, code)}`;
  return `%%3${hex(rng, code).charAt(0)}${hex(rng, code).charAt(1)}`;
}

function at(rng: Rng, s: string, pick: (c: string, i: number) => boolean): number {
  const spots = [...s].map((c, i) => (pick(c, i) ? i : -1)).filter((i) => i >= 0);
  return spots.length === 0 ? -1 : rng.pick(spots);
}

function replaceAt(s: string, i: number, by: string): string {
  return i < 0 ? s : s.slice(0, i) + by + s.slice(i + 1);
}

type Change = (rng: Rng, r: WireRequest) => void;

const URI_CHANGES: Change[] = [
  (rng, r) => { r.target = [...r.target].map((c) => (rng.chance(0.3) ? c.toUpperCase() : c)).join(''); },
  (rng, r) => { const i = at(rng, r.target, (c, k) => k > 0 && /[a-z0-9./=$?&]/i.test(c)); if (i >= 0) r.target = replaceAt(r.target, i, escape(rng, r.target.charAt(i))); },
  (rng, r) => { r.target = [...r.target].map((c, k) => (k > 0 && rng.chance(0.15) ? escape(rng, c) : c)).join(''); },
  (rng, r) => { r.target = replaceAt(r.target, at(rng, r.target, (c, i) => i > 0 && c === '/'), rng.pick(['%c0%af', '\xc0\xaf', '\\', '//', '%5c', '/x/../', '/./'])); },
  (rng, r) => { const q = r.target.indexOf('?'); const p = q < 0 ? r.target.length : q; r.target = r.target.slice(0, p) + rng.pick(['.', '::$DATA', ' ', '%20', '.%2e']) + r.target.slice(p); },
  (rng, r) => { r.target = `${rng.pick(['http://fuzz.test', 'HTTP://Fuzz.Test:80', 'https://a'])}${r.target}`; },
  (rng, r) => { r.method = rng.pick(METHODS); },
  (rng, r) => { r.target = replaceAt(r.target, at(rng, r.target, (_c, i) => i > 0), rng.pick(HIGH_BYTES)); },
];

const HEADER_CHANGES: Change[] = [
  (rng, r) => { const h = r.headers.length > 0 ? rng.pick(r.headers) : null; if (h) h[0] = rng.pick(HEADER_NAMES); },
  (rng, r) => {
    const h = r.headers.length > 0 ? rng.pick(r.headers) : null;
    if (!h || h[1].length < 2) return;
    const cut = rng.int(1, h[1].length - 1);
    r.headers.splice(r.headers.indexOf(h), 1, [h[0], h[1].slice(0, cut)], [h[0], h[1].slice(cut)]);
  },
  (rng, r) => { const h = r.headers.length > 0 ? rng.pick(r.headers) : null; if (h) h[1] = [...h[1]].map((c) => (rng.chance(0.2) ? escape(rng, c) : c)).join(''); },
  (rng, r) => { for (const h of r.headers) h[0] = rng.chance(0.5) ? h[0].toUpperCase() : h[0].toLowerCase(); },
  (rng, r) => { const h = r.headers.length > 0 ? rng.pick(r.headers) : null; if (h) h[1] = replaceAt(h[1], at(rng, h[1], () => true), rng.pick(HIGH_BYTES)); },
  (rng, r) => { r.headers.push(...BROWSER.filter(() => rng.chance(0.7)).map(([k, v]) => [k, v] as [string, string])); },
  (rng, r) => { const q = r.target.indexOf('?'); if (q >= 0) r.headers.push([rng.pick(HEADER_NAMES), decodeURIComponentSafe(r.target.slice(q + 1))]); },
];

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** The request-stage positive examples of a catalogue, as requests. */
export function examplesOf(signatures: readonly Signature[]): WireRequest[] {
  return signatures.filter((s) => s.stage === 'request').flatMap((s) => s.examples.positive).map((e) => {
    const { method, target } = splitRequestLine(e.request);
    return { method, target, headers: Object.entries(e.headers ?? {}) };
  });
}

/** `count` requests drawn from `seed`: one of `payloads` or an ordinary request, with up to three changes each. */
export function hostileRequests(payloads: readonly WireRequest[], seed: number, count: number): WireRequest[] {
  const rng = new Rng(seed);
  const bases = payloads.filter((r) => r.method !== '' && /^(?:\/|http)/.test(r.target));
  const out: WireRequest[] = [];
  for (let i = 0; i < count; i++) {
    const base = rng.chance(0.3) || bases.length === 0
      ? { method: 'GET', target: rng.pick(ORDINARY_TARGETS), headers: BROWSER.filter(() => rng.chance(0.8)) }
      : rng.pick(bases);
    const r: WireRequest = { method: base.method, target: base.target, headers: base.headers.map(([k, v]) => [k, v]) };
    for (let n = rng.int(0, 3); n > 0; n--) rng.pick(rng.chance(0.5) ? URI_CHANGES : HEADER_CHANGES)(rng, r);
    if (!r.headers.some(([k]) => k.toLowerCase() === 'host')) r.headers.push(['Host', 'fuzz.test']);
    out.push(r);
  }
  return out;
}

/** The request as bytes on the wire (latin1), asking the server to close afterwards. */
export function wireBytes(r: WireRequest): Buffer {
  const head = [`${r.method} ${r.target} HTTP/1.1`, ...r.headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''].join('\r\n');
  return Buffer.from(head, 'latin1');
}

function synthetic(id: string, target: Signature['match']['target'], literal: string | null, pattern: string, methods?: string[]): Signature {
  const match: Signature['match'] = { target, pattern };
  if (literal !== null) match.literals = [literal];
  if (methods) match.methods = methods;
  return { id, family: 'test', title: id, description: id, references: [], stage: 'request', match, examples: { positive: [], negative: [] } };
}

/** Signatures whose literals only a normalised view holds (each pattern is its literal). */
export const JOINT_SIGNATURES: readonly Signature[] = [
  synthetic('joint-repeated-header', 'headers', 'alpha, beta', 'alpha, beta'),
  synthetic('joint-cookies', 'headers', 'a=1; b=2', 'a=1; b=2'),
  synthetic('joint-header-lines', 'headers', 'omega\nx-next', 'omega\\nx-next'),
  synthetic('joint-header-name', 'headers', 'x-secret-token:', 'x-secret-token:'),
  synthetic('joint-method', 'line', '_- /probe', '_- /probe'),
  synthetic('joint-capped-method', 'line', '- /capped', '- /capped'),
  synthetic('joint-absolute', 'line', ' /absolute', ' /absolute'),
  synthetic('joint-slashes', 'path', '/one/two', '/one/two'),
  synthetic('joint-resolved', 'resolved', '/ab/cd', '^/ab/cd'),
  synthetic('joint-case', 'raw', 'mixed', 'mixed'),
  synthetic('joint-all', 'all', 'zz{{', 'zz\\{\\{'),
  synthetic('joint-no-literal', 'headers', null, '(?:^|\\n)x-dav: *1', ['PROPFIND']),
];

/** Requests that cross those joints, each flagged by the Node engine with JOINT_SIGNATURES. */
export const JOINT_REQUESTS: readonly WireRequest[] = [
  { method: 'GET', target: '/', headers: [['X-Join', 'alpha'], ['X-Join', 'beta']] },
  { method: 'GET', target: '/', headers: [['Cookie', 'a=1'], ['Cookie', 'b=2']] },
  { method: 'GET', target: '/', headers: [['X-Omega', 'omega'], ['X-Next', '1']] },
  { method: 'GET', target: '/', headers: [['X-Secret-Token', '1']] },
  { method: 'A_-', target: '/probe', headers: [] },
  { method: `${'-'.repeat(32)}X`, target: '/capped', headers: [] },
  { method: 'GET', target: 'http://fuzz.test/absolute', headers: [] },
  { method: 'GET', target: '/one//two', headers: [] },
  { method: 'GET', target: '/ab/x/../cd', headers: [] },
  { method: 'GET', target: '/ab/./cd', headers: [] },
  { method: 'GET', target: '/ab./cd', headers: [] },
  { method: 'GET', target: '/ab::$data/cd', headers: [] },
  { method: 'GET', target: '/MiXeD', headers: [] },
  { method: 'GET', target: '/', headers: [['X-Template', 'ZZ{{']] },
  { method: 'PROPFIND', target: '/', headers: [['X-Dav', '1']] },
].map((r) => ({ ...r, headers: [...r.headers.map(([k, v]) => [k, v] as [string, string]), ['Host', 'fuzz.test'] as [string, string]] }));
