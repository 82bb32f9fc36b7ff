import { strict as assert } from 'node:assert';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

const CODERED = `GET /default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u00=a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n`;

/** A request whose body, de-chunked, is a whole CodeRed request (issue 9, section 1). */
function wrapped(method: string, connection: string): string {
  const body = Buffer.byteLength(CODERED).toString(16);
  return `${method} / HTTP/1.1\r\nHost: x\r\nConnection: ${connection}\r\nTransfer-Encoding: chunked\r\n\r\n${body}\r\n${CODERED}\r\n0\r\n\r\n`;
}

describe('proxy: request smuggling through a Connection-named Transfer-Encoding', () => {
  let origin: Origin;
  let proxy: TestProxy;

  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy({ upstream: origin.url, mode: 'block' });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });
  beforeEach(() => {
    origin.requests.length = 0;
  });

  for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'POST']) {
    it(`refuses ${method} with Connection: transfer-encoding, and the wrapped CodeRed never reaches the origin`, async () => {
      const answer = await rawRequest(proxy.port, wrapped(method, 'transfer-encoding'));
      assert.equal(statusOf(answer), 400);
      assert.match(answer, /ERR_BAD_CONNECTION_HEADER|^HTTP\/1\.1 400/);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(origin.requests.map((r) => r.url), []);
    });
  }

  for (const name of ['Content-Length', 'Host', 'X-Forwarded-For', 'keep-alive, Transfer-Encoding']) {
    it(`refuses a Connection header naming ${name}`, async () => {
      const answer = await rawRequest(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\r\nConnection: ${name}\r\n\r\n`);
      assert.equal(statusOf(answer), 400);
      assert.equal(origin.requests.length, 0);
    });
  }

  for (const method of ['GET', 'DELETE', 'OPTIONS']) {
    it(`forwards a chunked ${method} body chunked, so the origin sees exactly one request`, async () => {
      const body = 'hello=world';
      const answer = await rawRequest(proxy.port, `${method} /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
      assert.equal(statusOf(answer), 200);
      assert.equal(origin.requests.length, 1);
      assert.equal(origin.requests[0]!.headers['transfer-encoding'], 'chunked');
      assert.equal(origin.requests[0]!.headers['content-length'], undefined);
    });
  }

  it('keeps one client request one origin request when the body holds a request and the client pipelines another', async () => {
    const smuggle = `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(CODERED)}\r\n\r\n${CODERED}GET /b HTTP/1.1\r\nHost: x\r\n\r\n`;
    const answer = await rawRequest(proxy.port, smuggle);
    assert.equal((answer.match(/HTTP\/1\.1 200 /g) ?? []).length, 2);
    assert.deepEqual(origin.requests.map((r) => r.url), ['/a', '/b']);
  });
});
