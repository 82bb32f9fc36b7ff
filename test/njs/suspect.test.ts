import { strict as assert } from 'node:assert';
import { compileCatalogue } from '../../src/detect/engine.js';
import type { Signature } from '../../src/detect/types.js';
import { buildNjsModule, njsTable } from '../../src/njs/build.js';
import { buildNjsMap } from '../../src/njs/map.js';
import { alternation, literalGroups, longestStretch, minimal, suspectPlan, uriSuspectRegexes } from '../../src/njs/suspect.js';
import { defaultEngine } from '../../src/rules/index.js';
import { benignRequests } from '../../bench/lib/traffic.js';
import { bytesOf, generate } from '../fuzz/generator.js';
import { parseAll } from '../helpers/http1-parse.js';
import { wireExamples } from './examples.js';
import { examplesOf, hostileRequests, JOINT_REQUESTS, JOINT_SIGNATURES } from './hostile.js';
import { headerHalf, loadModule, mapRegexes, njsRequest, nodeVerdict, suspectTest, type WireRequest } from './suspects.js';

/** The requests a correct server could read in each fuzz input (the fuzz suite's own parser). */
function fuzzRequests(seed: number, count: number): WireRequest[] {
  const unbounded = Number.MAX_SAFE_INTEGER;
  return generate(seed, count).flatMap((input) =>
    parseAll(bytesOf(input), { lenient: true, bareLf: true, maxHeadBytes: unbounded, maxChunkLine: unbounded, maxBodyRecord: 0 })
      .requests.map((r) => ({ method: r.method, target: r.target, headers: r.fields.map(([k, v]) => [k, v] as [string, string]) })));
}

function signature(id: string, match: Signature['match']): Signature {
  return { id, family: 'test', title: id, description: id, references: [], stage: 'request', match, examples: { positive: [], negative: [] } };
}

/**
 * The property the map is built on: every request the Node engine flags at the request stage is
 * a suspect. Returns the counts, so a test can also require that some are flagged and some cleared.
 */
function checkProperty(signatures: readonly Signature[], requests: readonly WireRequest[]) {
  const engine = compileCatalogue(signatures);
  const suspect = suspectTest(signatures);
  const missed: string[] = [];
  let flagged = 0;
  let cleared = 0;
  for (const r of requests) {
    const node = nodeVerdict(engine, r);
    const isSuspect = suspect(r);
    if (node !== '') flagged++;
    if (!isSuspect) cleared++;
    if (node !== '' && !isSuspect) missed.push(`${node}: ${JSON.stringify(r).slice(0, 300)}`);
  }
  return { missed, flagged, cleared, total: requests.length };
}

describe('the suspect map (build-njs --map)', function () {
  this.timeout(120_000);
  const builtin = defaultEngine().signatures;

  describe('its parts', () => {
    it('reduces a header literal to its longest stretch without the separators Node puts between headers', () => {
      assert.equal(longestStretch('alpha, beta'), 'alpha');
      assert.equal(longestStretch('a=1; b=22'), ' b=22');
      assert.equal(longestStretch('omega\nx-next'), 'x-next');
      assert.equal(longestStretch('user-agent: x'), 'user-agent: x');
      assert.equal(longestStretch(',;\n'), '');
    });

    it('keeps distinct lower-case ASCII literals, without those containing another', () => {
      assert.deepEqual(minimal(['/Tmp', '/tmp/x', 'wget', 'wget', 'caf\u00e9', '']), ['/tmp', 'wget']);
    });

    it('factors literals by prefix into a regex that finds exactly those literals', () => {
      const literals = ['/cmd.exe', '/config', 'c+d', '${', '()', 'a\nb'];
      const re = new RegExp(alternation(literals), 'i');
      for (const l of literals) assert.match(`xx${l.toUpperCase()}yy`, re, l);
      for (const miss of ['/cmd-exe', '/conf', 'cd', '$', '(', 'a b']) assert.doesNotMatch(miss, re, miss);
      assert.match(alternation(literals), /^\(\?:/);
      assert.doesNotMatch(alternation(literals), /[^a-z0-9\\x(?:|)]/, 'only letters, digits and \\xHH escapes');
    });

    it('splits many literals into regexes of bounded size', () => {
      const literals = Array.from({ length: 2000 }, (_, i) => `literal-number-${i}`);
      const groups = literalGroups(literals, 8192);
      assert.ok(groups.length > 1);
      for (const g of groups) assert.ok(g.length <= 8192 * 1.5, `${g.length} characters`);
      const res = groups.map((g) => new RegExp(g));
      for (const l of literals) assert.ok(res.some((re) => re.test(l)), l);
    });

    it('makes every request a suspect when a signature has neither literals nor methods', () => {
      const sigs = [...builtin, signature('no-literal', { target: 'url', pattern: 'x' })];
      const plan = suspectPlan(njsTable(sigs));
      assert.equal(plan.everyRequest, true);
      assert.deepEqual(uriSuspectRegexes(plan), ['^']);
      assert.equal(headerHalf(buildNjsMap(sigs, 't')), '1');
    });

    it('makes every request a suspect when a header literal is made of separators only', () => {
      const sigs = [signature('separators', { target: 'headers', pattern: ',;', literals: [',;'] })];
      assert.equal(suspectPlan(njsTable(sigs)).everyRequest, true);
    });

    it('names the methods of signatures without literals, and needs no header half without header literals', () => {
      const sigs = [signature('dav', { target: 'raw', pattern: '^x', methods: ['propfind'] }), signature('u', { target: 'url', pattern: 'abc', literals: ['abc'] })];
      const map = buildNjsMap(sigs, 't');
      assert.ok(mapRegexes(map).some((re) => re.test('PROPFIND /')));
      assert.ok(!mapRegexes(map).some((re) => re.test('GET /')));
      assert.equal(headerHalf(map), '0');
    });

    it('carries every request-stage literal of the built-in catalogue into the map or makes it implied', () => {
      const regexes = mapRegexes(buildNjsMap(builtin, 't'));
      for (const s of builtin.filter((x) => x.stage === 'request' && x.match.target !== 'headers')) {
        for (const l of s.match.literals ?? []) assert.ok(regexes.some((re) => re.test(`GET /${l}`)), `${s.id}: ${l}`);
      }
    });
  });

  describe('every request the Node engine flags is a suspect', () => {
    it('clears ordinary browser requests (so the map spares njs their cost)', () => {
      const suspect = suspectTest(builtin);
      for (const r of benignRequests) {
        const request: WireRequest = { method: r.method, target: r.path, headers: [...Object.entries(r.headers), ['Host', 'localhost']] };
        assert.equal(suspect(request), false, r.path);
      }
    });

    it('over every catalogue example', () => {
      const examples = wireExamples(builtin).map((e) => ({ method: e.method, target: e.target, headers: e.headers }));
      const r = checkProperty(builtin, examples);
      assert.deepEqual(r.missed, []);
      assert.ok(r.flagged > 0 && r.cleared > 0, JSON.stringify(r));
    });

    it('over 20,000 hostile respellings of the catalogue\'s payloads and ordinary requests', () => {
      const r = checkProperty(builtin, hostileRequests(examplesOf(builtin), 16, 20_000));
      assert.deepEqual(r.missed, []);
      assert.ok(r.flagged > 2_000 && r.cleared > 2_000, JSON.stringify(r));
    });

    it('over the requests of 5,000 inputs of the fuzz generator', () => {
      const r = checkProperty(builtin, fuzzRequests(9, 5_000));
      assert.deepEqual(r.missed, []);
      assert.ok(r.flagged > 100 && r.cleared > 100, JSON.stringify(r));
    });

    it('for literals that only a joint of normalisation makes (method, repeated headers, lines, slashes, dot segments)', () => {
      const engine = compileCatalogue(JOINT_SIGNATURES);
      for (const r of JOINT_REQUESTS) assert.notEqual(nodeVerdict(engine, r), '', `the engine flags ${JSON.stringify(r)}`);
      const r = checkProperty(JOINT_SIGNATURES, [...JOINT_REQUESTS, ...hostileRequests(JOINT_REQUESTS, 17, 10_000)]);
      assert.deepEqual(r.missed, []);
      assert.ok(r.flagged > 1_000 && r.cleared > 1_000, JSON.stringify(r));
    });

  });

  it('leaves the module\'s classify the Node engine\'s verdict on the hostile requests (in-process, njs byte strings emulated)', () => {
    const engine = defaultEngine();
    const module = loadModule(buildNjsModule(builtin, 't'));
    const errors: string[] = [];
    const differ: string[] = [];
    for (const r of hostileRequests(examplesOf(builtin), 19, 5_000)) {
      const node = nodeVerdict(engine, r);
      const njs = module.classify(njsRequest(r, errors));
      if (njs !== node) differ.push(`njs "${njs}" node "${node}": ${JSON.stringify(r).slice(0, 300)}`);
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(differ.slice(0, 10), []);
  });
});
