// The generated map and njs module evaluated in-process (the map's PCRE regexes as JavaScript
// regexes, the module in node:vm), and the Node engine's verdict, for the suspect property tests.
import { runInNewContext } from 'node:vm';
import type { Engine, Signature } from '../../src/detect/types.js';
import { buildNjsModule } from '../../src/njs/build.js';
import { buildNjsMap } from '../../src/njs/map.js';
import { nodeHeaderObject } from './examples.js';

/** One request as nginx hands it to njs: method, target and header pairs, one character a byte. */
export interface WireRequest {
  method: string;
  target: string;
  headers: [string, string][];
}

interface NjsModule {
  classify(r: unknown): string;
  suspectHeaders(r: unknown): string;
}

/**
 * Loads a generated module as njs 0.7.9 would run it: header values are byte strings there, whose
 * `fromBytes()` gives one character a byte; here they are already such strings.
 */
export function loadModule(source: string): NjsModule {
  const context = { module: null as NjsModule | null };
  const prelude = 'String.prototype.fromBytes = function () { return String(this); };\n';
  return runInNewContext(prelude + source.replace(/^export default /m, 'module = '), context, { timeout: 5_000 }) as NjsModule;
}

/** The parts of njs's request object that the module reads. */
export function njsRequest(r: WireRequest, errors: string[] = []) {
  return {
    method: r.method,
    rawHeadersIn: r.headers.map(([k, v]) => [k, v]),
    rawVariables: { request_uri: Buffer.from(r.target, 'latin1') },
    variables: { request_uri: r.target },
    error: (m: string) => errors.push(m),
  };
}

/** The `"~*…" 1;` keys of the generated map's first block, as the regexes nginx compiles (case-insensitive). */
export function mapRegexes(mapText: string): RegExp[] {
  const block = /map "\$request_method \$request_uri" \$wormwatch_uri_suspect \{\n([\s\S]*?)\n\}/.exec(mapText);
  if (!block) throw new Error('no URI map in the generated text');
  return [...block[1]!.matchAll(/^ {4}"~\*(.*)" 1;$/gm)].map((m) => new RegExp(m[1]!, 'i'));
}

/** The value the map's second block gives when the URI is cleared: `0`, `1` or the njs header half. */
export function headerHalf(mapText: string): string {
  const m = /map \$wormwatch_uri_suspect \$wormwatch_suspect \{\n {4}1 1;\n {4}default (\S+);\n\}/.exec(mapText);
  if (!m) throw new Error('no suspect map in the generated text');
  return m[1]!;
}

/** The whole suspect test of a catalogue, in-process: what `$wormwatch_suspect` would be (true for 1). */
export function suspectTest(signatures: readonly Signature[]): (r: WireRequest) => boolean {
  const map = buildNjsMap(signatures, 'test');
  const regexes = mapRegexes(map);
  const half = headerHalf(map);
  const module = loadModule(buildNjsModule(signatures, 'test'));
  return (r) => {
    const line = `${r.method} ${r.target}`;
    if (regexes.some((re) => re.test(line))) return true;
    if (half === '$wormwatch_headers_suspect') return module.suspectHeaders(njsRequest(r)) === '1';
    return half === '1';
  };
}

/** The Node engine's request-stage verdict (signature id or '') for the request as nginx parsed it. */
export function nodeVerdict(engine: Engine, r: WireRequest): string {
  const n = engine.normalise({ method: r.method, target: r.target, headers: nodeHeaderObject(r.headers) });
  return engine.match(n, 'request')?.signature.id ?? '';
}
