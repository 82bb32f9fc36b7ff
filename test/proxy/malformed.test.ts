import { strict as assert } from 'node:assert';
import http from 'node:http';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

describe('proxy and malformed requests', () => {
  let origin: Origin;
  let proxy: TestProxy;
  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy({ upstream: origin.url, maxHeaderSize: 4096 });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  const cases: Array<[string, string | Buffer, number]> = [
    ['binary garbage', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0xff, 0x00]), 400],
    ['a bad request line', 'GET\r\n\r\n', 400],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['an unknown HTTP version', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n', 400],
    ['a control character in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n', 400],
    ['a header name with a space', 'GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n', 400],
    ['both Content-Length and Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['two differing Content-Lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
    ['a bad chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400],
    ['no Host in HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['a huge header block', `GET / HTTP/1.1\r\nHost: x\r\n${'X-Fill: y\r\n'.repeat(1000)}\r\n`, 431],
  ];

  for (const [what, data, status] of cases) {
    it(`answers ${status} to ${what}, and keeps serving`, async () => {
      const raw = await rawRequest(proxy.port, data);
      assert.equal(statusOf(raw), status, raw.slice(0, 200));
      const ok = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: proxy.port, path: '/next', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      assert.equal(ok, 200);
    });
  }

  it('never forwards a malformed request', () => {
    assert.deepEqual(
      origin.requests.map((r) => r.url),
      cases.map(() => '/next'),
    );
  });
});
