import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';

const DOTENV = 'APP_NAME=shop\nAPP_KEY=base64:Zm9vYmFyYmF6\nDB_PASSWORD=s3cret\n';
const SPA = '<!doctype html><html><head><title>Shop</title></head><body><div id="app"></div></body></html>';
const from = (ip: string, more: Record<string, string> = {}): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip, ...more } });

/**
 * An origin with a leak: `/.env` is served (plain, or gzip when asked), `/spa/...` answers every
 * path with the same page (a catch-all), `/locked/.env` is refused with 403.
 */
function leakyOrigin(): Promise<Origin> {
  return startOrigin({
    fallback: (req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      if (path.startsWith('/spa/')) return void res.writeHead(200, { 'content-type': 'text/html' }).end(SPA);
      if (path === '/locked/.env') return void res.writeHead(403).end('forbidden');
      if (path === '/.env') {
        if (/gzip/.test(String(req.headers['accept-encoding']))) return void res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(gzipSync(DOTENV));
        return void res.writeHead(200, { 'content-type': 'text/plain' }).end(req.method === 'HEAD' ? undefined : DOTENV);
      }
      res.writeHead(404).end('not found');
    },
  });
}

describe('exposures: a hunt that finds what it hunted for raises the alarm (through the real proxy)', function () {
  this.timeout(20_000);
  let origin: Origin;
  let app: TestApp | undefined;
  beforeEach(async () => {
    origin = await leakyOrigin();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await origin.close();
  });

  it('logs a served /.env at error level with the path and status, counts it, and makes its source an offender; the answer is unchanged', async () => {
    app = await startApp({ upstream: origin.url, trustProxy: '127.0.0.1' });
    const r = await send(app.url, '/.env', from('198.51.100.60'));
    assert.equal(r.status, 200);
    assert.equal(r.body, DOTENV, 'wormwatch reports; the response itself is not changed');
    await eventually(async () => (await app!.metric('wormwatch_exposures_total', { signature: 'probe-dotenv' })) === 1, 2_000, 'the exposure metric');
    const line = app.logs.find((l) => l.event === 'exposure');
    assert.ok(line, 'an exposure log line');
    assert.equal(line.level, 50, 'error level');
    assert.deepEqual([line.path, line.status, line.ip, line.signature], ['/.env', 200, '198.51.100.60', 'probe-dotenv']);
    assert.equal(app.app.offenders.get('198.51.100.60')?.signatures['probe-dotenv'], 1);
    const listed = JSON.parse((await send(app.admin, '/exposures')).body) as { exposures: Array<{ path: string; hits: number; sources: string[]; status: number }> };
    assert.deepEqual(listed.exposures.map((e) => [e.path, e.status, e.hits, e.sources]), [['/.env', 200, 1, ['198.51.100.60']]]);
  });

  it('reads a gzip-encoded body before judging it: asking for gzip does not hide the leak', async () => {
    app = await startApp({ upstream: origin.url, trustProxy: '127.0.0.1' });
    const r = await send(app.url, '/.env', from('198.51.100.61', { 'accept-encoding': 'gzip' }));
    assert.equal(r.headers['content-encoding'], 'gzip');
    await eventually(async () => (await app!.metric('wormwatch_exposures_total', { signature: 'probe-dotenv' })) === 1, 2_000, 'the exposure');
  });

  it('calls a catch-all page a probe, not an exposure (the body does not match the signature\'s confirm)', async () => {
    app = await startApp({ upstream: origin.url, trustProxy: '127.0.0.1' });
    assert.equal((await send(app.url, '/spa/.env', from('198.51.100.62'))).status, 200);
    await eventually(() => app!.app.offenders.get('198.51.100.62') !== undefined, 2_000, 'the probe');
    assert.equal(await app.metric('wormwatch_exposures_total', { signature: 'probe-dotenv' }), 0);
    assert.equal(app.logs.find((l) => l.ip === '198.51.100.62')?.event, 'detection');
  });

  it('judges a hunt refused with 403 a probe, as one answered 404', async () => {
    app = await startApp({ upstream: origin.url, trustProxy: '127.0.0.1' });
    await send(app.url, '/locked/.env', from('198.51.100.63'));
    await eventually(() => app!.app.offenders.get('198.51.100.63') !== undefined, 2_000, 'the probe');
    const line = app.logs.find((l) => l.ip === '198.51.100.63')!;
    assert.deepEqual([line.event, line.status, line.signature], ['detection', 403, 'probe-dotenv']);
  });

  it('--block-exposures: once /.env leaked, every later request for it is refused, however it is spelled, until lifted', async () => {
    app = await startApp({ upstream: origin.url, trustProxy: '127.0.0.1', mode: 'block', blockExposures: true });
    assert.equal((await send(app.url, '/.env', from('198.51.100.64'))).status, 200, 'the first one is only reported');
    await eventually(async () => (await app!.metric('wormwatch_bans', { kind: 'path' })) === 1, 2_000, 'the path block');
    for (const spelling of ['/.env', '//.env', '/x/../.env', '/%2eenv', '/.ENV', '/.env?x=1']) {
      const r = await send(app.url, spelling, from('198.51.100.65'));
      assert.equal(r.status, 403, spelling);
      assert.match(r.body, /ERR_EXPOSED_PATH/);
    }
    assert.equal((await send(app.url, '/other', from('198.51.100.65'))).status, 404, 'other paths pass');
    const blocked = JSON.parse((await send(app.admin, '/exposures')).body) as { blocked: Array<{ path: string }> };
    assert.deepEqual(blocked.blocked.map((b) => b.path), ['/.env']);
    assert.equal((await send(app.admin, '/exposures?path=/.env', { method: 'DELETE' })).status, 200);
    assert.equal((await send(app.url, '/.env', from('198.51.100.66'))).status, 200, 'lifted');
  });
});
