/**
 * A minimal matcher micro-benchmark over `defaultEngine()`, used when the detection owner's
 * `bench/matcher.ts` is absent. One classification = normalise a request once, then match it at
 * the request stage and at the 404 stage (the most a request can cost: one that also 404s).
 */
import { compileCatalogue } from '../../src/detect/index.js';
import { builtinCatalogue } from '../../src/rules/index.js';
import type { Engine, RequestView, Signature } from '../../src/detect/types.js';
import { benignRequests, wormRequests } from './traffic.js';

export interface MatcherCase {
  catalogue: 'builtin' | 'builtin x10';
  signatures: number;
  mix: 'benign' | 'worm';
  classificationsPerS: number;
  /** How many of the inputs matched at either stage (a sanity check: benign ≈ 0, worm > 0). */
  matchedInputs: number;
  inputs: number;
}

/** `GET /x HTTP/1.1` plus headers → RequestView. */
export function viewOf(requestLine: string, headers: Record<string, string> = {}): RequestView {
  const [method = 'GET', target = '/'] = requestLine.split(' ');
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  return { method, target, headers: lower };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The catalogue grown `factor` times: each signature gets `factor - 1` siblings on the same target
 * with their own literal, as a larger catalogue of distinct probes would add.
 */
export function grownCatalogue(base: readonly Signature[], factor: number): Signature[] {
  const out: Signature[] = [...base];
  base.forEach((s, i) => {
    for (let k = 1; k < factor; k++) {
      const token = `wwgen${i}k${k}.cgi`;
      out.push({
        ...s,
        id: `${s.id}-gen-${k}`,
        match: { ...s.match, target: s.match.target === 'headers' ? 'headers' : 'path', pattern: escapeRegex(token), literals: [token] },
        examples: { positive: [{ request: `GET /x/${token} HTTP/1.1` }], negative: [{ request: 'GET / HTTP/1.1' }] },
      });
    }
  });
  return out;
}

function inputsFor(mix: 'benign' | 'worm', engine: Engine): RequestView[] {
  if (mix === 'benign') {
    const fromCatalogue = engine.signatures.flatMap((s) => s.examples.negative.map((e) => viewOf(e.request, e.headers)));
    return [...benignRequests.map((r) => viewOf(`${r.method} ${r.path}`, r.headers)), ...fromCatalogue];
  }
  const fromCatalogue = engine.signatures.flatMap((s) => s.examples.positive.map((e) => viewOf(e.request, e.headers)));
  return [...wormRequests.map((r) => viewOf(`${r.method} ${r.path}`, r.headers)), ...fromCatalogue];
}

function measure(engine: Engine, inputs: readonly RequestView[], seconds: number): { perS: number; matched: number } {
  let matched = 0;
  for (const v of inputs) {
    const n = engine.normalise(v);
    if (engine.match(n, 'request') || engine.match(n, '404')) matched++;
  }
  let sink = 0;
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  // Bounded by time; each batch covers every input once.
  while (performance.now() < deadline) {
    for (const v of inputs) {
      const n = engine.normalise(v);
      if (engine.match(n, 'request')) sink++;
      if (engine.match(n, '404')) sink++;
    }
    count += inputs.length;
  }
  const elapsed = (performance.now() - start) / 1000;
  if (sink < 0) throw new Error('unreachable'); // keeps the work observable to the optimiser
  return { perS: count / elapsed, matched };
}

export function benchMatcherFallback(seconds: number): MatcherCase[] {
  const cases: MatcherCase[] = [];
  const engines = [
    { catalogue: 'builtin' as const, engine: compileCatalogue(builtinCatalogue()) },
    { catalogue: 'builtin x10' as const, engine: compileCatalogue(grownCatalogue(builtinCatalogue(), 10)) },
  ];
  const base = engines[0]!.engine;
  for (const { catalogue, engine } of engines) {
    for (const mix of ['benign', 'worm'] as const) {
      const inputs = inputsFor(mix, base); // same inputs for both catalogues
      measure(engine, inputs, Math.min(0.3, seconds / 4)); // warm-up (JIT)
      const { perS, matched } = measure(engine, inputs, seconds);
      cases.push({ catalogue, signatures: engine.signatures.length, mix, classificationsPerS: perS, matchedInputs: matched, inputs: inputs.length });
    }
  }
  return cases;
}
