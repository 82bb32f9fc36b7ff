import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(20);
  }
  return check();
}

/** `POST /early` announcing 1 MB, 100 bytes sent, the early answer read, then the client leaves (issue 9, section 2). */
function abortedUpload(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n${'a'.repeat(100)}`);
    });
    socket.once('data', () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    setTimeout(() => socket.destroy(), 2_000);
  });
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('proxy: origin sockets leaked until the pool was empty', () => {
  let origin: Origin;
  let proxy: TestProxy;

  before(async () => {
    origin = await startOrigin({
      routes: {
        // Answers before reading the body and keeps reading it (Node discards it): the socket stays open.
        '/early': (_req, res) => {
          res.writeHead(200, { 'content-length': 5 });
          res.end('early');
        },
      },
    });
    proxy = await startProxy({ upstream: origin.url, responseTimeout: '5s', upstreamMaxSockets: 256 });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  it('after 300 aborted uploads answered early, still answers an ordinary request and returns to its file descriptors', async function () {
    this.timeout(30_000);
    await get(proxy.port, '/warm');
    const baseline = openFds();
    for (let i = 0; i < 300; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => abortedUpload(proxy.port)));
    }
    const started = Date.now();
    const ordinary = await get(proxy.port, '/ordinary');
    assert.equal(ordinary.status, 200);
    assert.ok(Date.now() - started < 5_000, 'answered within the response time-out');
    assert.ok(await until(() => openFds() <= baseline + 4, 3_000), `open file descriptors ${openFds()}, baseline ${baseline}`);
    assert.ok(await until(async () => (await proxy.metric('wormwatch_upstream_sockets', { state: 'active' })) === 0, 3_000), 'no origin socket left active');
  });
});

describe('proxy: time spent waiting for a pooled socket is bounded', () => {
  let origin: Origin;
  let proxy: TestProxy;
  const stuck: http.ServerResponse[] = [];

  before(async () => {
    origin = await startOrigin({ routes: { '/hang': (_req, res) => void stuck.push(res) } });
    proxy = await startProxy({ upstream: origin.url, upstreamMaxSockets: 2, connectTimeout: '300ms', responseTimeout: '20s' });
  });
  after(async () => {
    for (const res of stuck) res.destroy();
    await proxy.close();
    await origin.close();
  });

  it('answers 503 ERR_UPSTREAM_BUSY when no pooled socket comes free within --connect-timeout, and counts the wait', async () => {
    const hung = [rawRequest(proxy.port, 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n', 3_000), rawRequest(proxy.port, 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n', 3_000)];
    await until(() => stuck.length === 2, 2_000);
    const waiting = rawRequest(proxy.port, 'GET /third HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2_000);
    await sleep(100);
    assert.equal(await proxy.metric('wormwatch_upstream_queued_requests'), 1);
    const started = Date.now();
    const answer = await waiting;
    assert.equal(statusOf(answer), 503);
    assert.match(answer, /ERR_UPSTREAM_BUSY/);
    assert.ok(Date.now() - started < 2_000);
    assert.equal(await proxy.metric('wormwatch_upstream_queued_requests'), 0);
    assert.equal(await proxy.metric('wormwatch_upstream_errors_total', { code: 'ERR_UPSTREAM_BUSY' }), 1);
    for (const res of stuck.splice(0)) res.end('late');
    await Promise.all(hung);
  });

  it('takes a queued request out of the queue when its client leaves', async () => {
    const hung = [rawRequest(proxy.port, 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n', 3_000), rawRequest(proxy.port, 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n', 3_000)];
    await until(() => stuck.length === 2, 2_000);
    const socket = net.connect(proxy.port, '127.0.0.1', () => socket.write('GET /queued HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.on('error', () => undefined);
    await until(async () => (await proxy.metric('wormwatch_upstream_queued_requests')) === 1, 1_000);
    assert.equal(await proxy.metric('wormwatch_upstream_queued_requests'), 1);
    socket.destroy();
    assert.ok(await until(async () => (await proxy.metric('wormwatch_upstream_queued_requests')) === 0, 1_000));
    for (const res of stuck.splice(0)) res.end('late');
    await Promise.all(hung);
  });
});
