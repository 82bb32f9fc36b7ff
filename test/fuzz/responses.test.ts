import assert from 'node:assert/strict';
import { ResponseParser } from './responses.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('the fuzz client response splitter', () => {
  it('splits keep-alive responses by length and by chunks, skipping 100 Continue', () => {
    const p = new ResponseParser(() => 'GET');
    p.feed(b('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nx-fuzz-echo: f1.0\r\ncontent-length: 2\r\n\r\nhiHTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n'));
    assert.deepEqual(p.out.responses.map((r) => [r.status, r.echo, r.body]), [[200, 'f1.0', 'hi'], [404, undefined, 'no']]);
    assert.equal(p.out.interim, 1);
  });

  it('reads no body after a HEAD, and a body until close when there is no framing', () => {
    const p = new ResponseParser((n) => (n === 0 ? 'HEAD' : 'GET'));
    p.feed(b('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nHTTP/1.1 200 OK\r\n\r\nrest'));
    assert.equal(p.out.responses.length, 1);
    p.end();
    assert.deepEqual(p.out.responses.map((r) => r.body), ['', 'rest']);
  });

  it('calls bytes that are no response garbage, and a response cut by the close cut', () => {
    const junk = new ResponseParser(() => 'GET');
    junk.feed(b('echo f1.0 "GET" "/"\n'));
    assert.match(junk.out.garbage ?? '', /^echo/);
    const cut = new ResponseParser(() => 'GET');
    cut.feed(b('HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nabc'));
    cut.end();
    assert.deepEqual([cut.cut, cut.out.responses.length], [true, 0]);
  });
});
