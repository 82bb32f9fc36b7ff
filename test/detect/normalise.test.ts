import assert from 'node:assert/strict';
import {
  decodeTwice, foldUtf8, headerText, NORMALISER_FUNCTIONS, normaliseTarget, percentDecode, resolvePath, sanitiseLine, stripAbsoluteForm,
} from '../../src/detect/normalise.js';

describe('detect/normalise', () => {
  describe('percent-decoding', () => {
    it('decodes %XX once, keeping incomplete or invalid escapes as they are', () => {
      assert.equal(percentDecode('/a%20b%2Fc'), '/a b/c');
      assert.equal(percentDecode('%'), '%');
      assert.equal(percentDecode('100%'), '100%');
      assert.equal(percentDecode('%zz%4'), '%zz%4');
      assert.equal(percentDecode('%%35c'), '%5c');
    });

    it('decodes IIS %uXXXX escapes and leaves short ones alone', () => {
      assert.equal(percentDecode('/a%u002fb'), '/a/b');
      assert.equal(percentDecode('%U005C'), '\\');
      assert.equal(percentDecode('%u12'), '%u12');
      assert.equal(percentDecode('%u9090').charCodeAt(0), 0x9090);
    });

    for (const [encoded, plain] of [
      ['..%255c..', '..\\..'],
      ['..%252f..', '../..'],
      ['..%%35%63..', '..\\..'],
      ['..%%35c..', '..\\..'],
      ['..%25%35%63..', '..\\..'],
    ] as const) {
      it(`decodes the double encoding ${encoded} to ${plain}`, () => assert.equal(decodeTwice(encoded), plain));
    }
  });

  describe('overlong UTF-8', () => {
    for (const [encoded, plain] of [
      ['..%c0%af..', '../..'],
      ['..%c0%2f..', '../..'],
      ['..%c1%1c..', '..\\..'],
      ['..%c1%9c..', '..\\..'],
      ['..%e0%80%af..', '../..'],
    ] as const) {
      it(`folds ${encoded} as IIS did, to ${plain}`, () => assert.equal(decodeTwice(encoded), plain));
    }

    it('decodes valid UTF-8 and keeps stray bytes', () => {
      assert.equal(decodeTwice('caf%C3%A9'), 'caf\u00e9');
      assert.equal(foldUtf8('\u00ff'), '\u00ff');
      assert.equal(foldUtf8('a\u00e0'), 'a\u00e0');
    });
  });

  describe('normaliseTarget', () => {
    it('splits the query on the first literal ? before decoding, so %3f stays in the path', () => {
      const n = normaliseTarget('get', '/a%3fb?c=%41');
      assert.equal(n.path, '/a?b');
      assert.equal(n.query, 'c=a');
      assert.equal(n.method, 'GET');
      assert.equal(n.line, 'GET /a?b?c=a');
    });

    it('turns backslashes into slashes, collapses slash runs and lower-cases', () => {
      const n = normaliseTarget('GET', '//Scripts\\..\\WINNT//System32/CMD.EXE?/C+Dir');
      assert.equal(n.path, '/scripts/../winnt/system32/cmd.exe');
      assert.equal(n.resolved, '/winnt/system32/cmd.exe?/c+dir');
      assert.equal(n.query, '/c+dir');
    });

    it('keeps raw lower-cased but undecoded, and received exactly as sent', () => {
      const n = normaliseTarget('GET', '/Scripts/..%255C../');
      assert.equal(n.raw, '/scripts/..%255c../');
      assert.equal(n.received, '/Scripts/..%255C../');
      assert.equal(n.path, '/scripts/../../');
      assert.equal(n.resolved, '/');
    });

    it('resolves the path as IIS would: dot segments, NTFS stream names, trailing dots and spaces (block-mode evasion)', () => {
      const codered = (target: string) => normaliseTarget('GET', target).resolved;
      assert.equal(codered('/./default.ida'), '/default.ida');
      assert.equal(codered('/x/../default.ida'), '/default.ida');
      assert.equal(codered('/%2e/default.ida'), '/default.ida');
      assert.equal(codered('/scripts/%2e%2e/%2E%2E/default.%69da'), '/default.ida');
      assert.equal(codered('/default.ida::$DATA'), '/default.ida');
      assert.equal(codered('/default.ida:stream:$DATA'), '/default.ida');
      assert.equal(codered('/default.ida.'), '/default.ida');
      assert.equal(codered('/default.ida%20%20'), '/default.ida');
      assert.equal(codered('/scripts/root.exe./'), '/scripts/root.exe/');
      assert.equal(codered('/x/../default.ida?NNNN'), '/default.ida?nnnn', 'the query follows the resolved path');
      assert.equal(normaliseTarget('GET', '/a/b?x=1').resolved, '/a/b?x=1');
      assert.equal(normaliseTarget('GET', '/x/../y').path, '/x/../y', 'path keeps the traversal, its evidence');
      // RFC 3986 section 5.2.4 examples, and the root as a floor.
      assert.equal(resolvePath('/a/b/c/./../../g'), '/a/g');
      assert.equal(resolvePath('mid/content=5/../6'), 'mid/6');
      assert.equal(resolvePath('/../../x'), '/x');
      assert.equal(resolvePath('/a/b/..'), '/a/');
      assert.equal(resolvePath('/a/.'), '/a/');
      assert.equal(resolvePath('/.../x'), '/.../x');
      assert.equal(resolvePath('/plain/path.html'), '/plain/path.html');
    });

    it('takes its shortcuts (nothing to resolve, nothing left to decode) only where the full work changes nothing', () => {
      // The full work, every time: split and resolve, and decode twice without looking.
      const fullResolve = (path: string): string => {
        const segments = path.split('/');
        const floor = segments[0] === '' ? 1 : 0;
        const out: string[] = [];
        segments.forEach((segment, i) => {
          let s = segment;
          if (s.includes(':')) s = s.replace(/:[^:]*:\$[a-z_]+$/, '');
          if (/[^. ]/.test(s)) s = s.replace(/[. ]+$/, '');
          if (s === '.' || s === '..') {
            if (s === '..' && out.length > floor) out.pop();
            if (i === segments.length - 1) out.push('');
            return;
          }
          out.push(s);
        });
        return out.join('/');
      };
      let seed = 11;
      const pick = (alphabet: string, len: number): string => Array.from({ length: len }, () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return alphabet[seed % alphabet.length];
      }).join('');
      for (let k = 0; k < 5000; k++) {
        const path = `/${pick('ab/. :$%25c0', k % 23)}`;
        assert.equal(resolvePath(path), fullResolve(path), JSON.stringify(path));
        const encoded = pick('%2535cafu0\u00c0\u00af\u0090/', k % 17);
        assert.equal(decodeTwice(encoded), foldUtf8(percentDecode(foldUtf8(percentDecode(encoded)))), JSON.stringify(encoded));
      }
    });

    it('judges an absolute-form target by its path', () => {
      assert.equal(stripAbsoluteForm('http://Host:80/phpmyadmin/?a=1'), '/phpmyadmin/?a=1');
      assert.equal(stripAbsoluteForm('https://host?x'), '/?x');
      assert.equal(stripAbsoluteForm('http://host'), '/');
      assert.equal(normaliseTarget('HEAD', 'http://192.0.2.1:80/phpmyadmin/').path, '/phpmyadmin/');
    });

    it('caps the target at 8 KiB and the method at 32 characters', () => {
      const n = normaliseTarget('X'.repeat(100), `/${'a'.repeat(100_000)}`);
      assert.equal(n.raw.length, 8192);
      assert.equal(n.method.length, 32);
    });
  });

  describe('headerText', () => {
    it('gives name: value lines, decoded once and lower-cased, one line per array value', () => {
      const text = headerText({ 'user-agent': '$%7BJndi:ldap://x%7D', cookie: ['a=1', 'b=2'], skipped: undefined });
      assert.equal(text, 'user-agent: ${jndi:ldap://x}\ncookie: a=1\ncookie: b=2');
    });

    it('bounds the whole text (and so each value) to 16 KiB', () => {
      const text = headerText({ a: 'x'.repeat(20_000), b: 'y'.repeat(20_000), c: 'z' });
      assert.equal(text.length, 16_384);
      assert.ok(text.startsWith(`a: ${'x'.repeat(16_381)}`));
      assert.ok(!text.includes('y') && !text.includes('z'));
    });

    it('reads a 9 KiB header value whole, so a payload at its end is seen (block-mode evasion)', () => {
      const text = headerText({ 'user-agent': `${'a'.repeat(9000)}\${jndi:ldap://x/a}` });
      assert.ok(text.endsWith('${jndi:ldap://x/a}'));
    });

    it('accepts anything without throwing', () => {
      assert.equal(headerText(undefined), '');
      assert.equal(headerText('text'), '');
      assert.equal(headerText({ n: 5 as unknown as string }), 'n: 5');
    });
  });

  describe('sanitiseLine', () => {
    it('escapes control and non-ASCII characters and marks a cut', () => {
      assert.equal(sanitiseLine('GET /\x00\x1b[31m\u00e9\u2028', 100), 'GET /\\x00\\x1b[31m\\xe9\\u2028');
      assert.equal(sanitiseLine('abcdefgh', 6), 'abc...', 'the ellipsis counts in the bound');
      assert.equal(sanitiseLine('ab\x01cdef', 7), 'ab...', 'an escape is never cut in half');
      assert.equal(sanitiseLine('abc', 3), 'abc');
    });
  });

  describe('NORMALISER_FUNCTIONS (for the njs module)', () => {
    it('are self-contained ES5-level functions that still work when re-evaluated from their source', () => {
      const banned = [/\bclass\b/, /\bnew (?:Map|Set)\b/, /\.\.\.[A-Za-z_[]/, /\?\./, /\?\?/, /\bfor \((?:const|let|var) \w+ of\b/, /\bimport\b/, /=>/];
      for (const fn of NORMALISER_FUNCTIONS) {
        const src = fn.toString();
        for (const re of banned) assert.doesNotMatch(src, re, `${fn.name} uses ${re}`);
      }
      const source = NORMALISER_FUNCTIONS.map((f) => f.toString()).join('\n');
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const rebuilt = new Function(`${source}\nreturn { normaliseTarget: normaliseTarget, headerText: headerText };`)() as {
        normaliseTarget: typeof normaliseTarget; headerText: typeof headerText;
      };
      assert.deepEqual(rebuilt.normaliseTarget('GET', '/scripts/..%c1%1c../x?%41'), normaliseTarget('GET', '/scripts/..%c1%1c../x?%41'));
      assert.equal(rebuilt.headerText({ a: '%7B' }), 'a: {');
    });
  });
});
