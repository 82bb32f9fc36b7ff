import { strict as assert } from 'node:assert';
import http, { type ServerResponse } from 'node:http';
import net from 'node:net';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy } from '../helpers/proxy.js';

describe('proxy graceful shutdown', () => {
  let origin: Origin;
  const held: ServerResponse[] = [];
  let heldArrived: () => void = () => {};
  before(async () => {
    origin = await startOrigin({
      routes: {
        '/hold': (_req, res) => {
          held.push(res);
          heldArrived();
        },
      },
    });
  });
  after(() => origin.close());

  function getHeld(port: number): { arrived: Promise<void>; reply: Promise<{ status: number; connection: string | undefined; body: string }> } {
    const arrived = new Promise<void>((r) => (heldArrived = r));
    const reply = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/hold', agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
        res.on('error', reject);
      }).on('error', reject);
    });
    return { arrived, reply };
  }

  it('closes idle keep-alive sockets at once, refuses new connections, lets in-flight requests finish', async () => {
    const proxy = await startProxy({ upstream: origin.url });
    const idle = net.connect(proxy.port, '127.0.0.1');
    idle.resume();
    const idleClosed = new Promise((r) => idle.once('close', r));
    await new Promise<void>((resolve) => {
      idle.once('data', () => resolve());
      idle.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    const inFlight = getHeld(proxy.port);
    await inFlight.arrived;

    const closed = proxy.handle.close(30_000);
    await idleClosed; // hangs (test time-out) if idle keep-alive sockets wait for the grace period
    await assert.rejects(
      new Promise((resolve, reject) => net.connect(proxy.port, '127.0.0.1').on('connect', resolve).on('error', reject)),
      /ECONNREFUSED/,
    );
    held.shift()!.end('finished late');
    const reply = await inFlight.reply;
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'finished late');
    assert.equal(reply.connection, 'close');
    await closed;
  });

  it('cuts requests still running when the grace period ends', async () => {
    const proxy = await startProxy({ upstream: origin.url });
    const inFlight = getHeld(proxy.port);
    await inFlight.arrived;
    await proxy.handle.close(100);
    await assert.rejects(inFlight.reply);
    held.shift()!.destroy();
  });
});
