import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { defaultEngine } from '../../src/rules/index.js';
import { buildEngine } from '../../src/rules/index.js';
import { buildNjsModule } from '../../src/njs/build.js';
import { buildNjsMap } from '../../src/njs/map.js';
import { VERSION } from '../../src/version.js';
import { CLI, run, tempDir } from '../deploy/support.js';
import { nodeHeaderObject, wireExamples } from './examples.js';

interface NjsModule { classify(r: unknown): string; suspectHeaders(r: unknown): string }

/** A user rule file with one request-stage signature on headers. */
const USER_RULES = `
signatures:
  - id: acme-token-leak
    family: web-exploit
    title: ACME debug token in a header
    description: The ACME debug token lets anyone run code; nobody outside should send it.
    stage: request
    match: { target: headers, pattern: "x-acme-debug: *[0-9a-f]{8}", literals: [x-acme-debug] }
    examples:
      positive:
        - request: GET / HTTP/1.1
          headers: { X-Acme-Debug: deadbeef }
      negative:
        - request: GET / HTTP/1.1
          headers: { X-Acme-Debug: "no" }
`;

/** Loads the generated module as njs would, with its `export default` as the result. */
function load(source: string): NjsModule {
  return runInNewContext(source.replace(/^export default /m, 'module = '), { module: null }, { timeout: 5_000 }) as NjsModule;
}

/** The parts of njs's request object that `classify` reads, for a request given as Node sees it. */
function njsRequest(method: string, target: string, headers: [string, string][], errors: string[]) {
  return { method, rawHeadersIn: headers, rawVariables: { request_uri: Buffer.from(target, 'latin1') }, variables: { request_uri: target }, error: (m: string) => errors.push(m) };
}

describe('wormwatch build-njs', function () {
  // Each CLI run is a cold `node --import tsx` start: seconds on a busy CI machine.
  this.timeout(60_000);
  const engine = defaultEngine();
  const source = buildNjsModule(engine.signatures, VERSION);

  it('prints the module on standard output, and with --out and --rules writes it with the user\'s rules', async () => {
    const tmp = tempDir('njs');
    try {
      const out = join(tmp.path, 'wormwatch.js');
      const rules = join(tmp.path, 'acme.yaml');
      writeFileSync(rules, USER_RULES);
      const printed = await run(CLI[0], [...CLI.slice(1), 'build-njs']);
      assert.equal(printed.code, 0, printed.stderr);
      assert.equal(printed.stdout, source);
      const map = join(tmp.path, 'wormwatch-map.conf');
      const written = await run(CLI[0], [...CLI.slice(1), 'build-njs', '--out', out, '--map', map, '--rules', rules]);
      assert.equal(written.code, 0, written.stderr);
      const withRules = readFileSync(out, 'utf8');
      const signatures = buildEngine({ rules, builtinRules: true }).signatures;
      assert.equal(withRules, buildNjsModule(signatures, VERSION));
      assert.equal(readFileSync(map, 'utf8'), buildNjsMap(signatures, VERSION));
      assert.match(written.stderr, /wrote .*wormwatch-map\.conf/);
      assert.ok(withRules.includes('"id":"acme-token-leak"'));
      assert.ok(!source.includes('acme-token-leak'));
      assert.match(written.stderr, /wrote .*wormwatch\.js/);
      const mod = load(withRules);
      assert.equal(mod.classify(njsRequest('GET', '/', [['Host', 'x'], ['X-Acme-Debug', 'deadbeef']], [])), 'acme-token-leak');
      // The user rule's header literal makes a suspect in the module's header half; plain headers do not.
      assert.equal(mod.suspectHeaders(njsRequest('GET', '/', [['Host', 'x'], ['X-Acme-Debug', 'deadbeef']], [])), '1');
      assert.equal(mod.suspectHeaders(njsRequest('GET', '/', [['Host', 'x'], ['Accept', '*/*']], [])), '');
    } finally {
      tmp.remove();
    }
  });

  it('carries every request-stage signature and no 404-stage one', () => {
    for (const s of engine.signatures) {
      const present = source.includes(`{"id":${JSON.stringify(s.id)},`);
      assert.equal(present, s.stage === 'request', `${s.id} (${s.stage})`);
    }
    assert.match(source, /^export default \{ classify: classify, suspectHeaders: suspectHeaders \};$/m);
  });

  it('avoids what njs 0.7.9 lacks (classes, arrows, spread, destructuring, for...of, Map/Set, ?. and ??)', () => {
    // Strings, comments and the regex literals of patternOf (catalogue text, not code) aside.
    const code = source.replace(/^ {4}case \d+: return \/.*$/gm, '').replace(/^ {2}return \/.*\/i\.test\(text\);$/m, '').replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\/\/[^\n]*/g, '');
    for (const [what, re] of [['class', /\bclass\s/], ['arrow function', /=>/], ['spread', /\.\.\.[\w[(]/], ['for...of', /for\s*\([^)]*\bof\b/],
      ['Map/Set', /\bnew (?:Map|Set|WeakMap)\b/], ['optional chaining', /\?\.[\w[(]/], ['nullish coalescing', /\?\?/], ['template literal', /`/], ['async', /\basync\b|\bawait\b/]] as const) {
      assert.doesNotMatch(code, re, `generated module uses ${what}`);
    }
  });

  it('classifies every catalogue example as the Node engine does (in-process)', () => {
    const mod = load(source);
    const examples = wireExamples(engine.signatures);
    const errors: string[] = [];
    let flagged = 0;
    for (const ex of examples) {
      const expected = engine.match(engine.normalise({ method: ex.method, target: ex.target, headers: nodeHeaderObject(ex.headers) }), 'request')?.signature.id ?? '';
      const got = mod.classify(njsRequest(ex.method, ex.target, ex.headers, errors));
      assert.equal(got, expected, `${ex.name}: ${ex.requestLine}`);
      if (expected) flagged++;
    }
    assert.deepEqual(errors, []);
    assert.ok(flagged > 0 && flagged < examples.length, `${flagged} of ${examples.length} flagged`);
  });

  it('returns an empty verdict, and says why in the error log, when the request object is unusable', () => {
    const errors: string[] = [];
    assert.equal(load(source).classify({ method: 'GET', rawHeadersIn: null, variables: {}, error: (m: string) => errors.push(m) }), '');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /wormwatch classify failed/);
  });
});
