import { strict as assert } from 'node:assert';
import { WebSocket, WebSocketServer } from 'ws';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

describe('proxy WebSocket upgrades', () => {
  let origin: Origin;
  let proxy: TestProxy;
  const wss = new WebSocketServer({ noServer: true });
  const upgradeHeaders: Array<Record<string, string | string[] | undefined>> = [];

  before(async () => {
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    origin = await startOrigin({
      onUpgrade: (req, socket, head) => {
        upgradeHeaders.push(req.headers);
        if (req.url === '/no-ws') {
          socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      },
    });
    proxy = await startProxy({ upstream: origin.url });
  });
  after(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    await proxy.close();
    await origin.close();
  });

  it('relays an echo conversation, text and binary', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/chat?room=1`);
    const received: Array<string | Buffer> = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => {
        ws.send('hello');
        ws.send(Buffer.from([0, 1, 2, 255]));
      });
      ws.on('message', (data, isBinary) => {
        received.push(isBinary ? (data as Buffer) : data.toString());
        if (received.length === 2) resolve();
      });
      ws.on('error', reject);
    });
    ws.close();
    assert.equal(received[0], 'hello');
    assert.deepEqual(received[1], Buffer.from([0, 1, 2, 255]));
    const h = upgradeHeaders.at(-1)!;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(String(h.upgrade).toLowerCase(), 'websocket');
    assert.equal(await proxy.metric('wormwatch_requests_total', { outcome: 'forwarded' }), 1);
  });

  it('relays the origin refusing the upgrade', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/no-ws`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', reject);
    });
    assert.equal(status, 403);
  });

  it('answers 400 to a non-WebSocket upgrade', async () => {
    const raw = await rawRequest(proxy.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    assert.equal(statusOf(raw), 400);
    assert.match(raw, /ERR_UNSUPPORTED_UPGRADE/);
  });
});

describe('proxy WebSocket upgrade the origin never answers', () => {
  it('drops the upgrade request to the origin at the response time-out', async () => {
    let originSawClose!: () => void;
    const dropped = new Promise<void>((r) => (originSawClose = r));
    let arrived!: () => void;
    const upgradeArrived = new Promise<void>((r) => (arrived = r));
    const origin = await startOrigin({
      onUpgrade: (_req, socket) => {
        // http.Server sockets allow half-open, so the proxy hanging up shows as 'end'.
        socket.resume().once('end', originSawClose);
        arrived();
      },
    });
    const proxy = await startProxy({ upstream: origin.url, responseTimeout: '300ms' });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/slow`);
      const status = new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      ws.on('error', () => {});
      await upgradeArrived;
      await dropped; // hangs (test time-out) if the origin's upgrade request is left open
      assert.equal(await status, 504);
      assert.equal(await proxy.metric('wormwatch_upstream_errors_total', { code: 'ERR_UPSTREAM_TIMEOUT' }), 1);
    } finally {
      await proxy.close();
      await origin.close();
    }
  });
});
