import assert from 'node:assert/strict';
import net from 'node:net';
import { rawRequest } from './raw-http.js';
import { startRawOrigin, type RawOrigin } from './raw-origin.js';

const H = 'Host: x\r\n';

/** Opens a socket, writes, and resolves with everything received until `until` matches or the socket closes. */
function exchange(port: number, data: string, until: (got: string) => boolean): Promise<{ got: string; closed: boolean; socket: net.Socket }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(data, 'latin1'));
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (until(got)) resolve({ got, closed: false, socket });
    });
    socket.on('close', () => resolve({ got, closed: true, socket }));
    socket.on('error', () => {});
  });
}

const count = (s: string, what: string): number => s.split(what).length - 1;

describe('the raw-socket origin (strict parser, recording, configurable misbehaviour)', () => {
  let origin: RawOrigin | undefined;
  afterEach(async () => {
    await origin?.close();
    origin = undefined;
  });

  it('answers each request with its id and request line, and records what it parsed', async () => {
    origin = await startRawOrigin();
    const got = await rawRequest(origin.port, `POST /a?q HTTP/1.1\r\n${H}X-Fuzz-Id: t.0\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\n${H}X-Fuzz-Id: t.1\r\n\r\n`);
    assert.equal(count(got, 'HTTP/1.1 200 OK'), 2);
    assert.match(got, /x-fuzz-echo: t\.0[\s\S]*echo t\.0 "POST" "\/a\?q"\n[\s\S]*x-fuzz-echo: t\.1/);
    assert.deepEqual(origin.requests.map((r) => [r.method, r.target, r.fuzzId, r.framing, r.body.toString()]), [
      ['POST', '/a?q', 't.0', 'content-length', 'hi'],
      ['GET', '/b', 't.1', 'none', ''],
    ]);
    assert.match(Buffer.concat(origin.connections[0]!.raw).toString('latin1'), /^POST \/a\?q HTTP\/1\.1\r\n/);
  });

  it('parses what follows a request without Content-Length or Transfer-Encoding as a next request', async () => {
    origin = await startRawOrigin();
    await rawRequest(origin.port, `GET /a HTTP/1.1\r\n${H}\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`);
    assert.deepEqual(origin.requests.map((r) => r.target), ['/a', '/smuggled']);
  });

  it('answers 400 and closes on obs-fold, keeping the refused head apart', async () => {
    origin = await startRawOrigin();
    const got = await rawRequest(origin.port, `GET /a HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`);
    assert.match(got, /^HTTP\/1\.1 400 /);
    assert.deepEqual([origin.requests.length, origin.rejections.map((r) => r.target), origin.connections[0]!.error?.code], [0, ['/a'], 'obs-fold']);
    assert.notEqual(origin.connections[0]!.closedAt, undefined);
  });

  it('answers /early before the body and keeps reading it (busy until it is whole)', async () => {
    origin = await startRawOrigin();
    const { got, socket } = await exchange(origin.port, `POST /early HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\nabc`, (g) => g.includes('echo'));
    assert.match(got, /^HTTP\/1\.1 200 OK/);
    assert.deepEqual([origin.requests[0]!.complete, origin.busySockets().length], [false, 1]);
    socket.destroy();
  });

  it('delays answers and keeps them in request order', async () => {
    origin = await startRawOrigin({ answerDelayMs: (r) => (r.target === '/slow' ? 100 : 0) });
    const { got, socket } = await exchange(origin.port, `GET /slow HTTP/1.1\r\n${H}\r\nGET /fast HTTP/1.1\r\n${H}\r\n`, (g) => count(g, 'echo ') === 2);
    assert.ok(got.indexOf('"/slow"') < got.indexOf('"/fast"'), got);
    socket.destroy();
  });

  it('closes a keep-alive connection the given time after answering', async () => {
    origin = await startRawOrigin({ closeAfterAnswerMs: 30 });
    const r = await exchange(origin.port, `GET /a HTTP/1.1\r\n${H}\r\n`, () => false);
    assert.deepEqual([r.closed, count(r.got, 'HTTP/1.1 200')], [true, 1]);
  });

  it('can send a body on a HEAD response', async () => {
    origin = await startRawOrigin({ headBody: true });
    const got = await rawRequest(origin.port, `HEAD /a HTTP/1.1\r\n${H}\r\n`, 100);
    assert.match(got, /\r\n\r\necho - "HEAD" "\/a"\n$/);
    const plain = await startRawOrigin();
    assert.match(await rawRequest(plain.port, `HEAD /a HTTP/1.1\r\n${H}\r\n`, 100), /content-length: \d+\r\n\r\n$/);
    await plain.close();
  });

  it('keeps idle sockets open unless told to close them', async () => {
    origin = await startRawOrigin({ idleTimeoutMs: 50 });
    const closed = await exchange(origin.port, `GET /a HTTP/1.1\r\n${H}\r\n`, () => false);
    assert.equal(closed.closed, true);
    const forever = await startRawOrigin();
    const open = await exchange(forever.port, `GET /a HTTP/1.1\r\n${H}\r\n`, (g) => g.includes('echo'));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(forever.openSockets(), 1);
    open.socket.destroy();
    await forever.close();
  });
});
