import { strict as assert } from 'node:assert';
import http from 'node:http';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

describe('proxy is never an open proxy', () => {
  let origin: Origin;
  let elsewhere: Origin;
  let proxy: TestProxy;
  before(async () => {
    origin = await startOrigin();
    // A second loopback server standing in for "another host": it must never be reached.
    elsewhere = await startOrigin();
    proxy = await startProxy({ upstream: origin.url });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
    await elsewhere.close();
  });

  it('refuses an absolute-form request for another host with 400 ERR_OPEN_PROXY', async () => {
    const target = `http://127.0.0.1:${elsewhere.port}/secret`;
    const raw = await rawRequest(proxy.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${elsewhere.port}0\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(raw), 400);
    assert.match(raw, /ERR_OPEN_PROXY/);
    const raw2 = await rawRequest(proxy.port, `GET http://example.com/ HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(raw2), 400);
    assert.equal(elsewhere.requests.length, 0);
    assert.equal(origin.requests.length, 0);
  });

  it('forwards an absolute-form request for its own Host to the upstream, path only', async () => {
    const raw = await rawRequest(proxy.port, 'GET http://shop.example/cart?x=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(raw), 200);
    assert.equal(origin.requests.at(-1)!.url, '/cart?x=1');
    assert.equal(elsewhere.requests.length, 0);
  });

  it('refuses CONNECT with 405 and opens no tunnel', async () => {
    const raw = await rawRequest(proxy.port, `CONNECT 127.0.0.1:${elsewhere.port} HTTP/1.1\r\nHost: 127.0.0.1:${elsewhere.port}\r\n\r\n`);
    assert.equal(statusOf(raw), 405);
    assert.match(raw, /ERR_METHOD_NOT_ALLOWED/);
    assert.equal(elsewhere.requests.length, 0);
    let connections = 0;
    elsewhere.server.on('connection', () => connections++);
    await rawRequest(proxy.port, `CONNECT 127.0.0.1:${elsewhere.port} HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(connections, 0);
  });

  it('sends requests with odd Host headers to the upstream only', async () => {
    const hosts = [`127.0.0.1:${elsewhere.port}`, 'evil.example', `user@127.0.0.1:${elsewhere.port}`, '[::1]:1', 'a'.repeat(300), ''];
    const before = origin.requests.length;
    for (const host of hosts) {
      const status = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: proxy.port, path: '/h', agent: false, setHost: false, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      assert.ok(status === 200 || status === 400, `${host}: ${status}`);
    }
    assert.ok(origin.requests.length > before);
    assert.equal(elsewhere.requests.length, 0);
    assert.equal(origin.requests.at(-2)!.headers.host, 'a'.repeat(300));
  });
});
