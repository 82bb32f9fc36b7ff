import { strict as assert } from 'node:assert';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

/** The status lines of a raw answer, in order. */
const statuses = (raw: string): number[] => [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

describe('proxy: pipelined requests and their answers (found by the fuzz suite)', () => {
  let origin: Origin;
  let proxy: TestProxy;
  before(async () => {
    origin = await startOrigin({
      routes: {
        '/slow': (req, res) => {
          req.resume();
          setTimeout(() => res.end('slow'), 150);
        },
      },
    });
    proxy = await startProxy({ upstream: origin.url, mode: 'block' });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });
  beforeEach(() => {
    origin.requests.length = 0;
  });

  it('answers a pipelined unparsable request only after the answer to the request before it (no desynchronised response)', async () => {
    const raw = await rawRequest(proxy.port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE \x00 NOT HTTP\r\n\r\n', 600);
    assert.deepEqual(statuses(raw), [200, 400]);
    assert.ok(raw.indexOf('slow') < raw.indexOf('400 Bad Request'), 'the origin\'s answer first');
  });

  it('gives the 400 to the request whose own body is broken (a bad chunk size), and drops its origin request', async () => {
    const raw = await rawRequest(proxy.port, 'POST /slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n', 600);
    assert.equal(statusOf(raw), 400);
    assert.match(raw, /ERR_BAD_REQUEST/);
  });

  it('never forwards a request pipelined after one whose answer closes the connection', async () => {
    for (const first of ['GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'GET /slow HTTP/1.0\r\nHost: x\r\n\r\n', `GET /default.ida?${'N'.repeat(40)} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n`]) {
      origin.requests.length = 0;
      const raw = await rawRequest(proxy.port, `${first}GET /after HTTP/1.1\r\nHost: x\r\n\r\n`, 600);
      assert.equal(statuses(raw).length, 1, raw);
      assert.deepEqual(origin.requests.filter((r) => r.url === '/after'), [], `after ${JSON.stringify(first.slice(0, 30))}`);
    }
  });

  it('answers pipelined requests in order, each forwarded once', async () => {
    const raw = await rawRequest(proxy.port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n', 600);
    assert.deepEqual(statuses(raw), [200, 200, 200]);
    assert.deepEqual(origin.requests.map((r) => r.url), ['/slow', '/a', '/b']);
  });

  it('sends no body with the error answer to an unparsable HEAD request', async () => {
    const raw = await rawRequest(proxy.port, 'HEAD / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n');
    assert.equal(statusOf(raw), 400);
    assert.ok(raw.endsWith('\r\n\r\n'), JSON.stringify(raw));
  });

  it('counts a request whose client left before the origin answered as aborted', async () => {
    const before = await proxy.metric('wormwatch_requests_total', { outcome: 'aborted' });
    await rawRequest(proxy.port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', 20);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await proxy.metric('wormwatch_requests_total', { outcome: 'aborted' }), before + 1);
  });
});

describe('proxy: versions and framings no origin reads alike', () => {
  let origin: Origin;
  let proxy: TestProxy;
  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy({ upstream: origin.url });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  const cases: [string, string, number][] = [
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
    ['Transfer-Encoding on HTTP/1.0', 'POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['identity, chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n', 501],
    ['gzip, chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501],
    ['two Transfer-Encoding headers', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 501],
  ];
  for (const [what, bytes, status] of cases) {
    it(`refuses ${what} with ${status} and forwards nothing`, async () => {
      const raw = await rawRequest(proxy.port, bytes);
      assert.equal(statusOf(raw), status, raw.slice(0, 120));
      assert.equal(origin.requests.length, 0);
    });
  }
});
