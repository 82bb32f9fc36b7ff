// PLACEHOLDER (skeleton): naive loop; to be replaced by the one-pass prefilter engine.
import type { Engine, NormalisedRequest, RequestView, Signature, Stage, Verdict } from './types.js';

export function compileCatalogue(signatures: readonly Signature[]): Engine {
  const compiled = signatures.map((s) => ({ s, re: new RegExp(s.match.pattern) }));
  return {
    signatures,
    normalise(req: RequestView): NormalisedRequest {
      let decoded = req.target;
      try { decoded = decodeURIComponent(req.target); } catch { /* keep raw */ }
      decoded = decoded.replace(/\\/g, '/').toLowerCase();
      const q = decoded.indexOf('?');
      const path = q < 0 ? decoded : decoded.slice(0, q);
      const query = q < 0 ? '' : decoded.slice(q + 1);
      return { method: req.method.toUpperCase(), raw: req.target.toLowerCase(), path, query, url: decoded, line: `${req.method.toUpperCase()} ${decoded}`, headers: '' };
    },
    match(n: NormalisedRequest, stage: Stage): Verdict | null {
      for (const { s, re } of compiled) {
        if (s.stage !== stage) continue;
        if (re.test(n[s.match.target])) return { signature: s, stage, evidence: `${n.method} ${n.raw}`.slice(0, 200) };
      }
      return null;
    },
  };
}
