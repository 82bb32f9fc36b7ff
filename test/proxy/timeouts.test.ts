import { strict as assert } from 'node:assert';
import http from 'node:http';
import net from 'node:net';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';
import { startStalledPort, type StalledPort } from '../helpers/stalled-port.js';

function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

function closes(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('proxy upstream failures and time-outs', () => {
  it('answers 502 ERR_UPSTREAM_REFUSED when the origin port is closed', async () => {
    const proxy = await startProxy({ upstream: `http://127.0.0.1:${await closedPort()}` });
    try {
      const reply = await get(proxy.port);
      assert.equal(reply.status, 502);
      assert.match(reply.body, /ERR_UPSTREAM_REFUSED/);
      assert.equal(await proxy.metric('wormwatch_upstream_errors_total', { code: 'ERR_UPSTREAM_REFUSED' }), 1);
      assert.equal(await proxy.metric('wormwatch_requests_total', { outcome: 'error' }), 1);
    } finally {
      await proxy.close();
    }
  });

  it('answers 504 ERR_UPSTREAM_CONNECT_TIMEOUT when the origin never accepts', async () => {
    const stalled: StalledPort = await startStalledPort();
    const proxy = await startProxy({ upstream: `http://127.0.0.1:${stalled.port}`, connectTimeout: '300ms', responseTimeout: '10s' });
    try {
      const reply = await get(proxy.port);
      assert.equal(reply.status, 504);
      assert.match(reply.body, /ERR_UPSTREAM_CONNECT_TIMEOUT/);
      assert.equal(await proxy.metric('wormwatch_upstream_errors_total', { code: 'ERR_UPSTREAM_CONNECT_TIMEOUT' }), 1);
    } finally {
      await proxy.close();
      await stalled.close();
    }
  });

  it('answers 504 ERR_UPSTREAM_TIMEOUT when the origin sends no response headers, and drops the origin request', async () => {
    let originSawClose!: () => void;
    const dropped = new Promise<void>((r) => (originSawClose = r));
    const origin = await startOrigin({ fallback: (req) => req.socket.once('close', originSawClose) });
    const proxy = await startProxy({ upstream: origin.url, responseTimeout: '300ms' });
    try {
      const reply = await get(proxy.port);
      assert.equal(reply.status, 504);
      assert.match(reply.body, /ERR_UPSTREAM_TIMEOUT/);
      await dropped; // hangs (test time-out) if the upstream request is left open
      assert.equal(await proxy.metric('wormwatch_upstream_errors_total', { code: 'ERR_UPSTREAM_TIMEOUT' }), 1);
    } finally {
      await proxy.close();
      await origin.close();
    }
  });

  it('answers 502 ERR_UPSTREAM_PROTOCOL when the origin does not speak HTTP', async () => {
    const liar = net.createServer((s) => {
      s.resume();
      s.end('SSH-2.0-OpenSSH_9.2\r\n');
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    const proxy = await startProxy({ upstream: `http://127.0.0.1:${(liar.address() as net.AddressInfo).port}` });
    try {
      const reply = await get(proxy.port);
      assert.equal(reply.status, 502);
      assert.match(reply.body, /ERR_UPSTREAM_PROTOCOL/);
    } finally {
      await proxy.close();
      await new Promise((r) => liar.close(r));
    }
  });
});

describe('proxy origin stalling mid-body', () => {
  it('cuts the response at the client idle time-out and destroys the origin request', async () => {
    let originSawClose!: () => void;
    const dropped = new Promise<void>((r) => (originSawClose = r));
    const origin = await startOrigin({
      fallback: (_req, res) => {
        res.writeHead(200, { 'content-length': 1000 });
        res.write('only part of it');
        res.once('close', originSawClose);
      },
    });
    const proxy = await startProxy({ upstream: origin.url, clientTimeout: '300ms' });
    try {
      const cut = await new Promise<boolean>((resolve) => {
        http.get({ host: '127.0.0.1', port: proxy.port, path: '/', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(false));
          res.on('error', () => resolve(true));
          res.on('aborted', () => resolve(true));
        }).on('error', () => resolve(true));
      });
      assert.ok(cut, 'the client must see an incomplete response');
      await dropped;
    } finally {
      await proxy.close();
      await origin.close();
    }
  });
});

describe('proxy client time-outs and limits', () => {
  let origin: Origin;
  let proxy: TestProxy;
  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy({ upstream: origin.url, clientTimeout: '1s', headersTimeout: '300ms', maxHeaderSize: 1024 });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  it('closes a client socket that stays idle', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    await closes(socket);
    // Node counts a silent new connection against the headers time-out: a 408, then close.
    assert.ok(answer === '' || statusOf(answer) === 408, answer);
  });

  it('closes an idle keep-alive connection after its response', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.write('GET /ka HTTP/1.1\r\nHost: site\r\n\r\n');
    await closes(socket);
    assert.equal(statusOf(answer), 200);
  });

  it('answers 408 when the request headers do not arrive in time', async () => {
    const raw = await rawRequest(proxy.port, 'GET /slow HTTP/1.1\r\nHost: site\r\n', 5_000);
    assert.equal(statusOf(raw), 408);
    assert.match(raw, /ERR_CLIENT_TIMEOUT/);
  });

  it('answers 431 to a header block over --max-header-size, and keeps serving', async () => {
    const raw = await rawRequest(proxy.port, `GET / HTTP/1.1\r\nHost: site\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
    assert.equal(statusOf(raw), 431);
    assert.equal((await get(proxy.port)).status, 200);
  });
});
