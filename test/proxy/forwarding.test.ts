import { strict as assert } from 'node:assert';
import http from 'node:http';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

function request(port: number, opts: http.RequestOptions & { body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent: false, ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('proxy forwarding fidelity', () => {
  let origin: Origin;
  let proxy: TestProxy;

  before(async () => {
    origin = await startOrigin({
      routes: {
        '/status': (req, res) => {
          res.statusCode = Number(new URL(req.url!, 'http://x').searchParams.get('code'));
          res.end('status body');
        },
        '/cookies': (_req, res) => {
          res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly', 'c=3']);
          res.end('ok');
        },
        '/chunked': (_req, res) => {
          res.write('first,');
          setImmediate(() => res.end('second'));
        },
        '/hop': (_req, res) => {
          res.setHeader('keep-alive', 'timeout=99');
          res.setHeader('x-private', 'must-go');
          res.setHeader('connection', 'x-private');
          res.end('hop');
        },
        '/hints': (_req, res) => {
          res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
          res.end('hinted');
        },
      },
    });
    proxy = await startProxy({ upstream: origin.url });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  it('forwards every method with its body', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'SEARCH']) {
      const body = method === 'GET' ? undefined : `body of ${method}`;
      const reply = await request(proxy.port, { method, path: '/m', body, headers: body ? { 'content-length': Buffer.byteLength(body) } : {} });
      assert.equal(reply.status, 200, method);
      assert.equal(JSON.parse(reply.body).method, method);
    }
  });

  it('keeps the request-target byte for byte, odd encodings included', async () => {
    const targets = ['/a%2F..%2fb?x=%00&y', '/scripts/..%255c../winnt/system32/cmd.exe?/c+dir', '/x/../y/./z', '/p?', '//double//slash', '/q?a=1&a=2&b=%zz', '/default.ida?NNNN%u9090%u6858=a'];
    for (const target of targets) {
      const raw = await rawRequest(proxy.port, `GET ${target} HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(raw), 200, target);
      assert.equal(origin.requests.at(-1)!.url, target);
    }
    await rawRequest(proxy.port, 'OPTIONS * HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n');
    assert.equal(origin.requests.at(-1)!.url, '*');
  });

  it('passes status codes and bodies through', async () => {
    for (const code of [201, 204, 301, 400, 404, 418, 500, 503]) {
      const reply = await request(proxy.port, { path: `/status?code=${code}` });
      assert.equal(reply.status, code);
      if (code !== 204 && code !== 304) assert.equal(reply.body, 'status body');
    }
  });

  it('keeps several Set-Cookie headers apart', async () => {
    const reply = await request(proxy.port, { path: '/cookies' });
    assert.deepEqual(reply.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly', 'c=3']);
  });

  it('relays a chunked response', async () => {
    const raw = await rawRequest(proxy.port, 'GET /chunked HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n');
    assert.match(raw, /transfer-encoding: chunked/i);
    const reply = await request(proxy.port, { path: '/chunked' });
    assert.equal(reply.body, 'first,second');
  });

  it('answers HEAD with headers and no body', async () => {
    const reply = await request(proxy.port, { method: 'HEAD', path: '/h' });
    assert.equal(reply.status, 200);
    assert.ok(Number(reply.headers['content-length']) > 0);
    assert.equal(reply.body, '');
  });

  it('relays 103 Early Hints before the final response', async () => {
    const hints: http.InformationEvent[] = [];
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: proxy.port, path: '/hints', agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body }));
      });
      req.on('information', (info) => hints.push(info));
      req.on('error', reject);
    });
    assert.equal(reply.body, 'hinted');
    assert.equal(hints[0]?.statusCode, 103);
    assert.equal(hints[0]?.headers.link, '</style.css>; rel=preload; as=style');
  });

  it('honours Expect: 100-continue', async () => {
    const body = 'after continue';
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'POST', path: '/c', agent: false, headers: { expect: '100-continue', 'content-length': body.length } });
      req.on('continue', () => req.end(body));
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: text }));
      });
      req.on('error', reject);
    });
    assert.equal(reply.status, 200);
    assert.equal(origin.requests.at(-1)!.headers.expect, undefined);
  });

  it('strips hop-by-hop headers both ways, including those named in Connection', async () => {
    const raw = await rawRequest(
      proxy.port,
      'GET /hop HTTP/1.1\r\nHost: site\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=1\r\nTE: trailers\r\n' +
        'Proxy-Connection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\nX-Kept: yes\r\n\r\n',
    );
    assert.equal(statusOf(raw), 200);
    const seen = origin.requests.at(-1)!.headers;
    for (const name of ['x-secret', 'keep-alive', 'te', 'proxy-connection']) assert.equal(seen[name], undefined, name);
    assert.equal(seen['x-kept'], 'yes');
    assert.equal(seen['upgrade-insecure-requests'], '1');
    assert.doesNotMatch(raw, /x-private|timeout=99/i);
  });

  it('survives a client Trailer: header (http-proxy issue #1647)', async () => {
    const raw = await rawRequest(
      proxy.port,
      'POST /t HTTP/1.1\r\nHost: site\r\nTrailer: X-Checksum\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n',
    );
    assert.equal(statusOf(raw), 200);
    assert.equal(origin.requests.at(-1)!.headers.trailer, undefined);
    assert.equal((await request(proxy.port, { path: '/after' })).status, 200);
  });

  it('keeps a chunked DELETE body chunked towards the origin', async () => {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    const raw = await rawRequest(
      proxy.port,
      'DELETE /d HTTP/1.1\r\nHost: site\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`,
    );
    assert.equal(statusOf(raw), 200);
    assert.equal(origin.requests.at(-1)!.headers['transfer-encoding'], 'chunked');
    assert.ok(!origin.requests.some((r) => r.url === '/smuggled'));
  });

  it('adds X-Forwarded-For (appended), -Proto and -Host', async () => {
    await request(proxy.port, { path: '/xf', headers: { host: 'shop.example:8080', 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'spoof' } });
    const h = origin.requests.at(-1)!.headers;
    assert.equal(h['x-forwarded-for'], '198.51.100.7, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'shop.example:8080');
    assert.equal(h.host, 'shop.example:8080');
  });

  it('reuses keep-alive connections to the origin', async () => {
    const before = new Set<string>();
    origin.server.on('connection', (s) => before.add(`${s.remotePort}`));
    for (let i = 0; i < 5; i++) await request(proxy.port, { path: '/k' });
    assert.ok(before.size <= 1, `opened ${before.size} origin connections for 5 sequential requests`);
    assert.equal(origin.requests.at(-1)!.headers.connection, 'keep-alive');
  });
});
