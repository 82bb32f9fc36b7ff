// Worm requests for the deployment tests, taken from the catalogue itself so the tests follow it.
import { defaultEngine } from '../../src/rules/index.js';
import type { Stage } from '../../src/detect/types.js';

export interface WormRequest {
  method: string;
  target: string;
  signature: string;
  family: string;
}

/**
 * The first positive examples of `stage` signatures that a plain HTTP client can send (no
 * spaces or non-ASCII in the target, no headers needed) and that the engine flags at `stage`.
 */
export function wormRequests(stage: Stage, count = 1): WormRequest[] {
  const engine = defaultEngine();
  const out: WormRequest[] = [];
  for (const s of engine.signatures) {
    if (s.stage !== stage) continue;
    for (const ex of s.examples.positive) {
      if (ex.headers && Object.keys(ex.headers).length > 0) continue;
      const m = /^([A-Z]+) (\/[\x21-\x7e]*) HTTP\/1\.[01]$/.exec(ex.request);
      if (!m) continue;
      const v = engine.match(engine.normalise({ method: m[1]!, target: m[2]! }), stage);
      if (v?.signature.id !== s.id) continue;
      out.push({ method: m[1]!, target: m[2]!, signature: s.id, family: s.family });
      break;
    }
    if (out.length >= count) return out;
  }
  if (out.length === 0) throw new Error(`no sendable ${stage}-stage example in the catalogue`);
  return out;
}
