import assert from 'node:assert/strict';
import safeRegex from 'safe-regex2';
import { compileCatalogue, exampleRequest } from '../../src/detect/index.js';
import { responseVerdict } from '../../src/detect/response.js';
import { judge } from '../../src/detect/detection.js';
import { builtinCatalogue, defaultEngine } from '../../src/rules/index.js';
import type { Signature } from '../../src/detect/index.js';

/** Family names are metric label values: a short fixed set. */
const FAMILIES = new Set(['codered', 'nimda', 'iis-exploit', 'webdav-overflow', 'share-worm', 'mirai', 'log4shell', 'shellshock', 'php-rce', 'path-traversal', 'scanner', 'hunt']);

/** Signatures allowed to have no literals (verified on every request of their methods). */
const WITHOUT_LITERALS = new Set(['webdav-search-overflow', 'webdav-search-large-body']);

function checkExamples(sig: Signature): void {
  const own = compileCatalogue([sig]);
  const all = defaultEngine();
  for (const ex of sig.examples.positive) {
    const n = all.normalise(exampleRequest(ex));
    assert.equal(own.match(n, sig.stage)?.signature.id, sig.id, `${sig.id} misses its example ${ex.request.slice(0, 100)}`);
    assert.ok(all.match(n, sig.stage), `the catalogue misses ${ex.request.slice(0, 100)}`);
    const other = sig.stage === 'request' ? '404' : 'request';
    assert.equal(own.match(n, other), null, `${sig.id} matched at the ${other} stage`);
    if (sig.stage === '404') assert.ok(responseVerdict(sig, ex.status ?? 404, ex.body), `${sig.id}: its example answered ${ex.status ?? 404} is neither a probe nor an exposure`);
  }
  for (const ex of sig.examples.negative) {
    const n = all.normalise(exampleRequest(ex));
    // Judged at its status (default 404) as the proxy would: a hunt answered 401 by a real Tomcat is no probe.
    const v = judge(all, n, ex.status ?? 404);
    assert.equal(v, null, `negative example of ${sig.id} judged ${v?.verdict.signature.id}: ${ex.request}`);
  }
}

describe('detect/catalogue', () => {
  for (const sig of builtinCatalogue()) {
    it(`${sig.id}: every positive example matches at the ${sig.stage} stage, every negative matches nothing`, () => checkExamples(sig));
  }

  it('has unique kebab-case ids and families from the fixed set', () => {
    const ids = builtinCatalogue().map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const s of builtinCatalogue()) {
      assert.match(s.id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      assert.ok(FAMILIES.has(s.family), `${s.id}: family ${s.family}`);
    }
  });

  it('gives every entry a description, references, a stage reason and examples of both kinds', () => {
    for (const s of builtinCatalogue()) {
      assert.ok(s.title.length > 5 && s.title.length < 90, `${s.id} title`);
      assert.ok(s.description.length > 150, `${s.id} description too short`);
      assert.ok(s.references.length > 0, `${s.id} references`);
      assert.ok(s.stageReason && s.stageReason.length > 10, `${s.id} stageReason`);
      assert.ok(s.examples.positive.length > 0 && s.examples.negative.length > 0, `${s.id} examples`);
    }
  });

  it('keeps patterns in the subset PCRE (njs) shares, star height 1, and literals lower-case', () => {
    for (const s of builtinCatalogue()) {
      const p = s.match.pattern;
      assert.doesNotMatch(p, /\(\?<[=!]|\(\?<[a-z]|\\k</i, `${s.id}: lookbehind or named group`);
      assert.ok(safeRegex(p), `${s.id}: pattern prone to catastrophic backtracking`);
      assert.doesNotThrow(() => new RegExp(p));
      assert.doesNotMatch(p, /(?<!\\)[A-Z]/, `${s.id}: upper-case letter in a pattern over lower-cased text`);
      if (!WITHOUT_LITERALS.has(s.id)) assert.ok(s.match.literals?.length, `${s.id}: no literals`);
      for (const l of s.match.literals ?? []) assert.equal(l, l.toLowerCase(), `${s.id}: literal ${l}`);
    }
  });

  it('covers the families the issues name', () => {
    const families = new Set(builtinCatalogue().map((s) => s.family));
    for (const f of FAMILIES) assert.ok(families.has(f), `no signature of family ${f}`);
    const ids = new Set(builtinCatalogue().map((s) => s.id));
    for (const id of ['codered-i', 'codered-ii', 'nimda-root-exe', 'log4shell-jndi', 'shellshock', 'phpunit-eval-stdin', 'probe-dotenv']) assert.ok(ids.has(id), id);
  });

});
