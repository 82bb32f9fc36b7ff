import { strict as assert } from 'node:assert';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/**
 * A raw origin for keep-alive races. Each connection answers its requests (any request without a
 * body) with a small keep-alive 200, and then, per `mode`:
 * - `reset-on-reuse`: a second request on the same connection gets a TCP reset and no answer
 *   (deterministically the case of a socket the origin closed just as the proxy reused it);
 * - `close-after`: the connection is closed `ms` after each answer (the race as it happens);
 * - `partial-on-reuse`: a second request gets half a status line, then the reset.
 */
async function startRacyOrigin(mode: 'reset-on-reuse' | 'close-after' | 'partial-on-reuse', ms = 50) {
  let received = 0;
  const server = net.createServer((socket) => {
    let served = 0;
    let buffer = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n\r\n'); end >= 0; end = buffer.indexOf('\r\n\r\n')) {
        buffer = buffer.slice(end + 4);
        received++;
        if (served > 0 && mode === 'reset-on-reuse') return void socket.resetAndDestroy();
        if (served > 0 && mode === 'partial-on-reuse') {
          socket.write('HTTP/1.1 2');
          return void setTimeout(() => socket.resetAndDestroy(), 20);
        }
        served++;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        if (mode === 'close-after') {
          clearTimeout(timer);
          timer = setTimeout(() => socket.destroy(), ms);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get received() {
      return received;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function request(port: number, method: string, agent: http.Agent, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: '/', agent, headers: body ? { 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('proxy: stale pooled connections', () => {
  let proxy: TestProxy | undefined;
  let origin: Awaited<ReturnType<typeof startRacyOrigin>> | undefined;
  const client = new http.Agent({ keepAlive: true, maxSockets: 1 });

  afterEach(async () => {
    await proxy?.close();
    await origin?.close();
    client.destroy();
  });

  it('retries an idempotent request once on a fresh connection when its reused socket was reset before any answer', async () => {
    origin = await startRacyOrigin('reset-on-reuse');
    proxy = await startProxy({ upstream: origin.url });
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push(await request(proxy.port, ['GET', 'HEAD', 'OPTIONS'][i % 3]!, client));
    assert.deepEqual(statuses.filter((s) => s !== 200), []);
    assert.ok((await proxy.metric('wormwatch_upstream_retries_total')) > 0, 'requests met a reused socket and were retried');
  });

  it('never retries a request with a body, so a reset reused socket is a 502 for a POST', async () => {
    origin = await startRacyOrigin('reset-on-reuse');
    proxy = await startProxy({ upstream: origin.url });
    assert.equal(await request(proxy.port, 'POST', client, 'a=1'), 200);
    const before = origin.received;
    assert.equal(await request(proxy.port, 'POST', client, 'a=2'), 502);
    assert.equal(origin.received - before, 1, 'the POST was sent once');
    assert.equal(await proxy.metric('wormwatch_upstream_retries_total'), 0);
  });

  it('never retries after a response byte arrived', async () => {
    origin = await startRacyOrigin('partial-on-reuse');
    proxy = await startProxy({ upstream: origin.url });
    assert.equal(await request(proxy.port, 'GET', client), 200);
    assert.equal(await request(proxy.port, 'GET', client), 502);
    assert.equal(await proxy.metric('wormwatch_upstream_retries_total'), 0);
  });

  it('answers 300 requests without a failure against an origin that closes keep-alive connections 50 ms after answering', async function () {
    this.timeout(60_000);
    origin = await startRacyOrigin('close-after', 50);
    proxy = await startProxy({ upstream: origin.url });
    const clients = Array.from({ length: 3 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const failures: number[] = [];
    await Promise.all(clients.map(async (agent, c) => {
      for (let i = 0; i < 100; i++) {
        const status = await request(proxy!.port, 'GET', agent);
        if (status !== 200) failures.push(status);
        await sleep(45 + ((i * 7 + c * 3) % 11));
      }
      agent.destroy();
    }));
    assert.deepEqual(failures, []);
  });
});
