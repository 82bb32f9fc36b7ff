import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRequestLine } from '../../src/detect/index.js';
import { builtinCatalogue } from '../../src/rules/index.js';
import { buildEngine, checkRuleFile, loadRules } from '../../src/rules/index.js';
import { RulesError } from '../../src/errors.js';

const GOOD_YAML = `
disable: [probe-xdebug]
signatures:
  - id: acme-admin-probe
    family: scanner
    title: Probe for the old ACME admin console
    description: Bots look for the ACME admin console that was retired in 2019.
    references: [internal ticket 42]
    stage: "404"
    stageReason: The console no longer exists, so only misses are probes.
    match:
      target: path
      pattern: ^/acme-admin(?:/|$)
      literals: [acme-admin]
    examples:
      positive:
        - GET /acme-admin/ HTTP/1.1
      negative:
        - GET /acme-administration-guide.pdf HTTP/1.1
  - id: acme-token-leak
    family: web-exploit
    title: ACME debug token in a header
    description: The ACME debug token lets anyone run code; nobody outside should send it.
    stage: request
    match: { target: headers, pattern: "x-acme-debug: *[0-9a-f]{8}", literals: [x-acme-debug], methods: [GET, post] }
    examples:
      positive:
        - request: GET / HTTP/1.1
          headers: { X-Acme-Debug: deadbeef }
      negative:
        - request: GET / HTTP/1.1
          headers: { X-Acme-Debug: "no" }
`;

describe('detect/rules', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wormwatch-rules-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  function rule(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id: 'my-rule', family: 'scanner', title: 'My rule', description: 'What it is and how to fix it.', stage: 'request',
      match: { target: 'path', pattern: '^/secret-thing$', literals: ['secret-thing'] },
      examples: { positive: ['GET /secret-thing HTTP/1.1'], negative: ['GET /secret HTTP/1.1'] },
      ...overrides,
    };
  }

  describe('loading', () => {
    it('loads a YAML file on top of the built-ins, disabling the ids it names', () => {
      const file = write('acme.yaml', GOOD_YAML);
      assert.deepEqual(checkRuleFile(file), []);
      const engine = buildEngine({ rules: file });
      const ids = engine.signatures.map((s) => s.id);
      assert.equal(ids.length, builtinCatalogue().length - 1 + 2);
      assert.ok(!ids.includes('probe-xdebug'));
      const n = engine.normalise(parseRequestLine('GET /acme-admin/ HTTP/1.1'));
      assert.equal(engine.match(n, '404')?.signature.id, 'acme-admin-probe');
      const h = engine.normalise(parseRequestLine('POST /x HTTP/1.1', { 'x-acme-debug': 'CAFEBABE' }));
      assert.equal(engine.match(h, 'request')?.signature.id, 'acme-token-leak');
      assert.equal(engine.match(engine.normalise(parseRequestLine('GET /default.ida?NNNNNNNNNNNNNNNNNNNNNNNNN HTTP/1.0')), 'request')?.signature.id, 'codered-i');
    });

    it('loads JSON, and every rule file of a directory in name order', () => {
      const sub = join(dir, 'rules.d');
      mkdirSync(sub);
      writeFileSync(join(sub, '10-first.json'), JSON.stringify([rule()]));
      writeFileSync(join(sub, '20-second.yml'), `- ${JSON.stringify(rule({ id: 'my-other', match: { target: 'url', pattern: 'other=1', literals: ['other='] }, examples: { positive: ['GET /?other=1 HTTP/1.1'] } }))}`);
      writeFileSync(join(sub, 'README.txt'), 'not a rule file');
      const rules = loadRules(sub);
      assert.deepEqual(rules.signatures.map((s) => s.id), ['my-rule', 'my-other']);
    });

    it('builds an engine of user rules only with builtinRules false', () => {
      const file = write('only.json', JSON.stringify({ signatures: [rule()] }));
      const engine = buildEngine({ rules: file, builtinRules: false });
      assert.deepEqual(engine.signatures.map((s) => s.id), ['my-rule']);
      assert.equal(engine.match(engine.normalise(parseRequestLine('GET /default.ida?NNNNNNNNNNNNNNNNNNNNNNNNN HTTP/1.0')), 'request'), null);
    });

    it('throws a RulesError listing every problem, so a reload can keep the old rules', () => {
      const file = write('bad.json', JSON.stringify([rule({ stage: 'later' }), rule({ id: 'Bad Id' })]));
      assert.throws(() => buildEngine({ rules: file }), (err: unknown) => {
        assert.ok(err instanceof RulesError);
        assert.equal(err.code, 'ERR_RULES');
        assert.equal(err.errors.length, 2);
        return true;
      });
    });
  });

  describe('checkRuleFile errors name the file, the entry and the field', () => {
    const cases: { name: string; entries: unknown; expect: RegExp }[] = [
      { name: 'a missing field', entries: [rule({ title: undefined })], expect: /entry 1 \(my-rule\): title: required/ },
      { name: 'an unknown field', entries: [rule({ severity: 'high' })], expect: /entry 1 \(my-rule\): severity: unknown field/ },
      { name: 'a bad stage', entries: [rule({ stage: 'response' })], expect: /stage: must be request or 404/ },
      { name: 'a bad target', entries: [rule({ match: { target: 'body', pattern: 'x' } })], expect: /match\.target: must be one of/ },
      { name: 'an invalid regex', entries: [rule({ match: { target: 'path', pattern: '([a-z' } })], expect: /match\.pattern: invalid regular expression/ },
      { name: 'a ReDoS-prone regex', entries: [rule({ match: { target: 'path', pattern: '^/(a+)+$' } })], expect: /match\.pattern: prone to catastrophic backtracking/ },
      { name: 'a lookbehind', entries: [rule({ match: { target: 'path', pattern: '(?<=/)x' } })], expect: /match\.pattern: lookbehind/ },
      { name: 'a positive example that does not match', entries: [rule({ examples: { positive: ['GET /nothing HTTP/1.1'] } })], expect: /examples\.positive\[1\]: does not match/ },
      { name: 'literals that hide a match', entries: [rule({ match: { target: 'path', pattern: 'secret', literals: ['zzz'] } })], expect: /examples\.positive\[1\]: the pattern matches but none of match\.literals occurs/ },
      { name: 'a negative example that matches', entries: [rule({ examples: { positive: ['GET /secret-thing HTTP/1.1'], negative: ['GET /secret-thing HTTP/1.0'] } })], expect: /examples\.negative\[1\]: matches, but must not/ },
      { name: 'no positive example', entries: [rule({ examples: { negative: [] } })], expect: /examples\.positive: at least one/ },
      { name: 'a duplicate id in the file', entries: [rule(), rule()], expect: /entry 2 \(my-rule\): id: duplicate id my-rule/ },
      { name: 'a built-in id not disabled', entries: [rule({ id: 'codered-i' })], expect: /signature codered-i: id: same as a built-in signature; add codered-i to disable/ },
      { name: 'an unknown id to disable', entries: { disable: ['no-such-signature'] }, expect: /disable: no-such-signature is not a built-in signature id/ },
      { name: 'a non-list', entries: 'hello', expect: /must hold a list of signatures/ },
    ];
    for (const c of cases) {
      it(`reports ${c.name}`, () => {
        const file = write('rules.json', JSON.stringify(c.entries));
        const errors = checkRuleFile(file);
        assert.ok(errors.some((e) => e.startsWith(file) && c.expect.test(e)), errors.join('\n'));
      });
    }

    it('reports unparsable YAML and a missing file with the file name', () => {
      const file = write('broken.yaml', 'signatures: [\n  - id: x\n');
      assert.match(checkRuleFile(file)[0]!, /broken\.yaml: cannot parse/);
      assert.match(checkRuleFile(join(dir, 'missing.yaml'))[0]!, /missing\.yaml: cannot read: ENOENT/);
    });

    it('reports an empty rule file (0 bytes, blank, or only comments) instead of loading no rules', () => {
      for (const [name, text] of [['empty.yaml', ''], ['blank.yml', '  \n\n'], ['comments.yaml', '# being written\n']] as const) {
        assert.match(checkRuleFile(write(name, text))[0] ?? '', new RegExp(`${name.replace('.', '\\.')}: holds no rules`));
      }
    });

    it('reports the same id in two files of a directory', () => {
      write('a.json', JSON.stringify([rule()]));
      write('b.json', JSON.stringify([rule()]));
      assert.ok(checkRuleFile(dir).some((e) => /b\.json: signature my-rule: id: duplicate of the signature in .*a\.json/.test(e)));
    });

    it('accepts a replacement of a built-in once it is disabled', () => {
      const replacement = rule({ id: 'codered-i', family: 'codered', match: { target: 'url', pattern: '^/default\\.ida\\?n', literals: ['default.ida?n'] }, examples: { positive: ['GET /default.ida?NN HTTP/1.0'] } });
      const file = write('replace.json', JSON.stringify({ disable: ['codered-i'], signatures: [replacement] }));
      assert.deepEqual(checkRuleFile(file), []);
      const engine = buildEngine({ rules: file });
      assert.equal(engine.signatures.filter((s) => s.id === 'codered-i').length, 1);
      assert.equal(engine.match(engine.normalise(parseRequestLine('GET /default.ida?NN HTTP/1.0')), 'request')?.signature.title, 'My rule');
    });
  });
});
