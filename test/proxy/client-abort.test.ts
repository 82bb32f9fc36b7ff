import { strict as assert } from 'node:assert';
import http from 'node:http';
import net from 'node:net';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

/** A promise and the function that settles it, for events seen by the origin. */
function signal(): { wait: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const wait = new Promise<void>((r) => (fire = r));
  return { wait, fire };
}

describe('proxy client abort propagation (http-proxy PR #1559)', () => {
  let origin: Origin;
  let proxy: TestProxy;
  const uploadStarted = signal();
  const uploadAborted = signal();
  const slowStarted = signal();
  const slowClosed = signal();
  const streamStarted = signal();
  const streamClosed = signal();

  before(async () => {
    origin = await startOrigin({
      routes: {
        '/upload': (req) => {
          req.once('data', uploadStarted.fire);
          req.once('close', () => {
            if (!req.complete) uploadAborted.fire();
          });
        },
        '/slow': (_req, res) => {
          slowStarted.fire();
          res.once('close', slowClosed.fire);
        },
        '/stream': (_req, res) => {
          res.writeHead(200);
          res.write('first part');
          streamStarted.fire();
          res.once('close', streamClosed.fire);
        },
      },
    });
    proxy = await startProxy({ upstream: origin.url, responseTimeout: '60s' });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  it('destroys the upstream request when the client disconnects mid-upload', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.write('POST /upload HTTP/1.1\r\nHost: site\r\nContent-Length: 1000000\r\n\r\n');
    socket.write(Buffer.alloc(1000, 1));
    await uploadStarted.wait;
    socket.destroy();
    await uploadAborted.wait; // a hang here (test time-out) means the upstream request was left open
  });

  it('destroys the upstream request when the client disconnects while waiting for headers', async () => {
    const req = http.get({ host: '127.0.0.1', port: proxy.port, path: '/slow', agent: false });
    req.on('error', () => {});
    await slowStarted.wait;
    req.destroy();
    await slowClosed.wait;
  });

  it('destroys the upstream response when the client disconnects mid-download', async () => {
    const req = http.get({ host: '127.0.0.1', port: proxy.port, path: '/stream', agent: false }, (res) => {
      res.once('data', () => req.destroy());
    });
    req.on('error', () => {});
    await streamStarted.wait;
    await streamClosed.wait;
    const ok = await new Promise<number>((resolve) => http.get({ host: '127.0.0.1', port: proxy.port, path: '/next', agent: false }, (res) => resolve(res.resume().statusCode ?? 0)));
    assert.equal(ok, 200);
  });
});
