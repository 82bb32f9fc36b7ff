import { strict as assert } from 'node:assert';
import net, { type AddressInfo } from 'node:net';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

describe('proxy: an upgrade request that also announces a body', () => {
  let origin: Origin;
  let proxy: TestProxy;
  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy({ upstream: origin.url, clientTimeout: '10s', responseTimeout: '10s' });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  for (const framing of ['Content-Length: 10', 'Transfer-Encoding: chunked']) {
    it(`is refused at once with 400 (${framing}), not left hanging until a time-out`, async () => {
      const started = Date.now();
      const answer = await rawRequest(proxy.port, `GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${framing}\r\n\r\n0123456789`, 2_000);
      assert.equal(statusOf(answer), 400);
      assert.match(answer, /ERR_UPGRADE_WITH_BODY/);
      assert.ok(Date.now() - started < 5_000);
      assert.equal(origin.requests.length, 0);
    });
  }
});

describe('proxy: an origin that sends a body on a HEAD response', () => {
  let server: net.Server;
  let proxy: TestProxy;
  before(async () => {
    server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', () => {
        // Content-Length and the body, even for HEAD: what a broken origin does.
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = await startProxy({ upstream: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  after(async () => {
    await proxy.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('gives the client a clean response without the body, and the client connection stays usable', async () => {
    const answer = await rawRequest(proxy.port, 'HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nGET /y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 1_000);
    const responses = answer.split(/(?=HTTP\/1\.1 )/);
    assert.equal(responses.length, 2, answer);
    assert.match(responses[0]!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 5\r\n[\s\S]*\r\n\r\n$/i);
    assert.match(responses[1]!, /^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nhello$/);
  });
});
