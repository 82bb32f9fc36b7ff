/**
 * Worm request targets for the fuzz inputs: the request-stage examples of the built-in catalogue
 * (what block mode promises to stop), and CodeRed / Nimda targets hidden behind encodings and dot
 * segments that an IIS origin would still resolve to the script (`iis-view.ts` judges them).
 */
import { builtinCatalogue } from '../../src/rules/index.js';
import type { Rng } from './rng.js';

export const CODERED_TAIL =
  '%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a';

export interface WormRequest {
  method: string;
  target: string;
  headers: string[];
}

/** Every request-stage positive example of the catalogue, as method, target and header lines. */
export const CATALOGUE_WORMS: readonly WormRequest[] = builtinCatalogue()
  .filter((s) => s.stage === 'request')
  .flatMap((s) => s.examples.positive)
  .map((e) => {
    const [method, ...rest] = e.request.split(' ');
    const target = rest.slice(0, -1).join(' ') || rest[0]!;
    return { method: method!, target, headers: Object.entries(e.headers ?? {}).map(([k, v]) => `${k}: ${v}`) };
  })
  // Targets with spaces cannot be sent in a request line as they are.
  .filter((w) => !/[\s]/.test(w.target));

export function codeRedQuery(rng: Rng): string {
  return `${(rng.chance(0.5) ? 'N' : 'X').repeat(rng.int(200, 240))}${CODERED_TAIL}`;
}

export function plainCodeRed(rng: Rng): string {
  return `/default.ida?${codeRedQuery(rng)}`;
}

const NIMDA_TARGETS = [
  ['/scripts', 'root.exe', '?/c+dir'],
  ['/MSADC', 'root.exe', '?/c+dir'],
  ['/c/winnt/system32', 'cmd.exe', '?/c+dir'],
  ['/scripts/../../winnt/system32', 'cmd.exe', '?/c+dir'],
  ['/scripts/..%255c../winnt/system32', 'cmd.exe', '?/c+dir'],
  ['/_vti_bin/..%5c../..%5c../winnt/system32', 'cmd.exe', '?/c+dir'],
] as const;

/** A worm target as the catalogue knows it, unchanged (block mode must refuse it). */
export function plainWorm(rng: Rng): WormRequest {
  if (rng.chance(0.3)) return { method: 'GET', target: plainCodeRed(rng), headers: [] };
  return rng.pick(CATALOGUE_WORMS);
}

/** `%XX` for one character, in either case of hex. */
function pct(rng: Rng, ch: string): string {
  const hex = ch.charCodeAt(0).toString(16).padStart(2, '0');
  if (rng.chance(0.15)) return `%u00${hex}`;
  return `%${rng.chance(0.5) ? hex.toUpperCase() : hex}`;
}

/** Some letters of a file name percent-encoded (`default.%69da`), maybe the dot too. */
function encodeLetters(rng: Rng, name: string): string {
  const n = rng.int(1, 3);
  const at = new Set(Array.from({ length: n }, () => rng.int(0, name.length - 1)));
  return [...name].map((c, i) => (at.has(i) ? pct(rng, c) : c)).join('');
}

const DOT_PREFIXES = ['/.', '/x/..', '/%2e', '/x/%2e%2e', '/x/.%2e', '/x/%2E%2e', '/a/b/../..', '/x/%2e%2e/y/..', '/.%2e/x/..', '//x/..'];

/** One way of hiding a script segment; each keeps what an IIS origin resolves the path to. */
type Trick = 'dots' | 'letters' | 'ads' | 'path-info' | 'long-prefix' | 'case' | 'backslash';
const TRICKS: readonly Trick[] = ['dots', 'letters', 'ads', 'path-info', 'long-prefix', 'case', 'backslash'];

export interface Evasion {
  target: string;
  tricks: Trick[];
}

/** `dir` + `/` + `file` + `query` with one to three tricks applied. */
function hide(rng: Rng, dir: string, file: string, query: string): Evasion {
  const tricks = new Set<Trick>();
  const n = rng.int(1, 3);
  while (tricks.size < n) tricks.add(rng.pick(TRICKS));
  let name = file;
  let prefix = dir;
  let suffix = '';
  if (tricks.has('case')) name = [...name].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c)).join('');
  if (tricks.has('letters')) name = encodeLetters(rng, name);
  if (tricks.has('ads')) name += rng.pick(['::$DATA', '::$data', '%3a%3a$DATA']);
  if (tricks.has('path-info')) suffix = `/${rng.pick(['extra', 'x.htm', 'a/b', '%2e'])}`;
  if (tricks.has('dots')) prefix += rng.pick(DOT_PREFIXES);
  if (tricks.has('backslash')) prefix = `${prefix}/x%5c..`;
  // One harmless segment of 9 KiB, then `..` back out of it: past the matcher's 8 KiB window.
  if (tricks.has('long-prefix')) prefix = `/${'a'.repeat(rng.int(9000, 9400))}/..${prefix}`;
  return { target: `${prefix}/${name}${suffix}${query}`, tricks: [...tricks] };
}

/** CodeRed or Nimda, hidden behind encodings an IIS origin undoes. */
export function evasion(rng: Rng): Evasion {
  if (rng.chance(0.5)) return hide(rng, '', 'default.ida', `?${codeRedQuery(rng)}`);
  const [dir, file, query] = rng.pick(NIMDA_TARGETS);
  return hide(rng, dir, file, query);
}
