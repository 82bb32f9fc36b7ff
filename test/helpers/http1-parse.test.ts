import assert from 'node:assert/strict';
import { parseAll, RequestParser, type ParserOptions } from './http1-parse.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const H = 'Host: x\r\n';
const strict: ParserOptions = { lenient: false };
const lenient: ParserOptions = { lenient: true };

/** Request lines parsed, and the error code (or '-'). */
function read(text: string, opts: ParserOptions): { lines: string[]; error: string } {
  const p = parseAll(b(text), opts);
  return { lines: p.requests.filter((r) => !r.rejected).map((r) => `${r.method} ${r.target}`), error: p.error?.code ?? '-' };
}

describe('our own HTTP/1.1 request parser (raw origin and fuzz oracle)', () => {
  it('reads bytes after a request with neither Content-Length nor Transfer-Encoding as the next request', () => {
    const r = read(`GET /a HTTP/1.1\r\n${H}\r\nGET /b HTTP/1.1\r\n${H}\r\n`, strict);
    assert.deepEqual(r, { lines: ['GET /a', 'GET /b'], error: '-' });
  });

  it('frames a body by Content-Length and by chunks, with extensions and trailers', () => {
    const p = parseAll(b(`POST /a HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcPOST /b HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2;x="y \\"z"\r\nhi\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n`), strict);
    assert.equal(p.error, undefined);
    assert.deepEqual(p.requests.map((r) => [r.framing, r.body.toString()]), [['content-length', 'abc'], ['chunked', 'hi!']]);
    assert.deepEqual(p.requests[1]!.trailers, ['X-T: 1']);
  });

  it('takes a bare LF as a line end in the head, but never in a chunk line', () => {
    assert.deepEqual(read(`GET /a HTTP/1.1\nHost: x\n\n`, strict), { lines: ['GET /a'], error: '-' });
    assert.equal(read(`GET /a HTTP/1.1\nHost: x\n\n`, { bareLf: false }).error, 'bare-lf');
    assert.equal(read(`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\nhi\r\n0\r\n\r\n`, lenient).error, 'chunk-bare-lf');
  });

  const strictRefusals: Array<[string, string]> = [
    [`GET /a HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`, 'obs-fold'],
    [`GET /a HTTP/1.1\r\n ${H}\r\n`, 'ws-before-first-field'],
    [`GET /a HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n`, 'ws-before-colon'],
    [`GET /a HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`, 'bare-cr'],
    [`GET /a HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n`, 'field-ctl'],
    [`POST /a HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`, 'cl-conflict'],
    [`POST /a HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 2\r\n\r\nab`, 'cl-duplicate'],
    [`POST /a HTTP/1.1\r\n${H}Content-Length: +2\r\n\r\nab`, 'cl-invalid'],
    [`POST /a HTTP/1.1\r\n${H}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'cl-and-te'],
    [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`, 'te-not-chunked'],
    [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, 'te-not-chunked'],
    [`POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'te-http10'],
    [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x2\r\nhi\r\n0\r\n\r\n`, 'chunk-ext'],
    [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2;x=\r\nhi\r\n0\r\n\r\n`, 'chunk-ext'],
    [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n`, 'te-chunked-params'],
    [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-2\r\nhi\r\n0\r\n\r\n`, 'chunk-size'],
    [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n`, 'chunk-size-overflow'],
    [`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nhiX0\r\n\r\n`, 'chunk-data-end'],
    [`GET /a\r\n`, 'http09'],
    [`GET /a HTTP/2.0\r\n${H}\r\n`, 'version-unsupported'],
    [`GET /a http/1.1\r\n${H}\r\n`, 'version'],
    [`G@T /a HTTP/1.1\r\n${H}\r\n`, 'method'],
  ];
  for (const [text, code] of strictRefusals) {
    it(`refuses ${code} when strict: ${JSON.stringify(text.slice(0, 60))}`, () => {
      assert.equal(read(text, strict).error, code);
    });
  }

  it('accepts, when lenient, what the RFCs let a recipient accept, with the obvious meaning', () => {
    assert.deepEqual(read(`GET /a HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`, lenient).lines, ['GET /a', 'GET /b']);
    assert.deepEqual(read(`POST /a HTTP/1.1\r\n${H}Content-Length: 2, 2\r\n\r\nabGET /b HTTP/1.1\r\n${H}\r\n`, lenient).lines, ['POST /a', 'GET /b']);
    // Transfer-Encoding wins over Content-Length, and nothing after that message is read.
    const clte = parseAll(b(`POST /a HTTP/1.1\r\n${H}Content-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\n${H}\r\n`), lenient);
    assert.deepEqual([clte.requests.map((r) => r.target), clte.stopped?.reason], [['/a'], 'cl-and-te']);
    assert.deepEqual(read(`GET /a\r\n`, lenient).lines, ['GET /a']);
    // A final chunked delimits the body whatever precedes it; malformed extensions are skipped.
    const te = `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked;q=1, chunked\r\n\r\n2;=x\r\nhi\r\n0\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`;
    assert.deepEqual(read(te, lenient), { lines: ['POST /a', 'GET /b'], error: '-' });
    assert.equal(read(te, strict).error, 'te-chunked-twice');
  });

  it('marks a request a correct server must (or may) refuse but can delimit, and reads on', () => {
    const p = parseAll(b(`GET /a HTTP/1.1\r\n\r\nGET /b\x02\xb1 HTTP/1.1\r\n${H}\r\nGET /c HTTP/1.1\r\n${H}\r\n`), strict);
    assert.deepEqual(p.requests.map((r) => [r.target, r.refuse]), [['/a', 'must'], ['/b\x02\xb1', 'may'], ['/c', 'no']]);
  });

  it('stops reading at CONNECT: what follows is tunnel data', () => {
    const p = parseAll(b(`CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`), lenient);
    assert.deepEqual([p.requests.length, p.stopped?.reason], [1, 'tunnel']);
  });

  it('reads the same requests whatever the pieces the bytes arrive in', () => {
    const text = `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`;
    const p = new RequestParser(strict);
    for (let i = 0; i < text.length; i += 3) p.feed(b(text.slice(i, i + 3)));
    assert.deepEqual(p.requests.map((r) => [r.target, r.complete, r.body.toString()]), [['/a', true, 'abc'], ['/b', true, '']]);
  });

  it('refuses a head over its bound with 431', () => {
    const p = parseAll(b(`GET /a HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(200)}\r\n\r\n`), { maxHeadBytes: 100 });
    assert.deepEqual([p.error?.code, p.error?.status], ['head-too-large', 431]);
  });
});
