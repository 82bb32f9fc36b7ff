import assert from 'node:assert/strict';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { acceptsGzip, COMPRESS_MIN_BYTES } from '../../src/admin/compress.js';
import { send, startApp, type TestApp } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';

/** A GET on a fresh connection, the body as the bytes that came. */
function raw(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    http.get({ host: url.hostname, port: url.port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('admin compression: Accept-Encoding (pure)', () => {
  it('accepts gzip by name or by *, with any q-value above 0, and never when gzip;q=0 refuses it', () => {
    for (const yes of ['gzip', 'gzip, deflate, br', 'GZIP', 'br;q=1.0, gzip;q=0.5', '*', 'identity, *;q=0.1', ['deflate', 'gzip']]) assert.equal(acceptsGzip(yes), true, String(yes));
    for (const no of [undefined, '', 'identity', 'br, deflate', 'gzip;q=0', 'gzip; q=0.000', '*, gzip;q=0', '*;q=0', 'x-gzip-not']) assert.equal(acceptsGzip(no), false, String(no));
  });
});

describe('admin compression: the page, /metrics and the JSON routes (real admin server)', function () {
  this.timeout(30_000);
  let origin: Origin;
  let app: TestApp;

  before(async () => {
    origin = await startOrigin();
    app = await startApp({ upstream: origin.url, geoip: false, trustProxy: '127.0.0.1' });
    for (let i = 0; i < 30; i++) await send(app.url, '/scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir', { headers: { 'x-forwarded-for': `45.33.${i}.7` } });
  });
  after(async () => {
    await app.stop();
    await origin.close();
  });

  for (const path of ['/', '/metrics', '/offenders']) {
    it(`gzips ${path} for a client that accepts it, the same bytes once unzipped, and sends it plain to one that does not`, async () => {
      const plain = await raw(app.admin, path, {});
      const zipped = await raw(app.admin, path, { 'accept-encoding': 'gzip, deflate, br' });
      assert.equal(plain.status, 200);
      assert.ok(plain.body.length >= COMPRESS_MIN_BYTES, `${path} is worth compressing (${plain.body.length} bytes)`);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.equal(zipped.headers.vary, 'Accept-Encoding');
      assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
      assert.ok(zipped.body.length < plain.body.length / 2, `${zipped.body.length} of ${plain.body.length} bytes`);
      const unzipped = gunzipSync(zipped.body).toString();
      // The page and the metrics carry the time: compare their shape, the offenders exactly.
      if (path === '/offenders') assert.equal(unzipped, plain.body.toString());
      else assert.equal(unzipped.split('\n').length, plain.body.toString().split('\n').length);
      assert.equal(zipped.headers['content-type'], plain.headers['content-type']);
      if (path === '/') assert.equal(zipped.headers['content-security-policy'], plain.headers['content-security-policy'], 'the page keeps its headers');
    });
  }

  it('sends a small body and a refused gzip as they are', async () => {
    const health = await raw(app.admin, '/healthz', { 'accept-encoding': 'gzip' });
    assert.equal(health.headers['content-encoding'], undefined);
    assert.deepEqual(JSON.parse(health.body.toString()), { status: 'ok' });
    const refused = await raw(app.admin, '/metrics', { 'accept-encoding': 'gzip;q=0, identity' });
    assert.equal(refused.headers['content-encoding'], undefined);
    assert.match(refused.body.toString(), /^wormwatch_requests_total/m);
  });
});
