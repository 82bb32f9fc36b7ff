import assert from 'node:assert/strict';
import net, { isIP, type AddressInfo } from 'node:net';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { sendJson } from '../../src/admin/route.js';
import { createAdminServer, type AdminServer } from '../../src/admin/server.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { builtinCatalogue } from '../../src/rules/index.js';
import { OffenderStore } from '../../src/offenders/store.js';
import { VERSION } from '../../src/version.js';
import { parseExposition, REQUIRED_METRICS } from './prom-text.js';

function detection(ip: string, at: Date): DetectionEvent {
  const signature = builtinCatalogue()[0]!;
  return { ip, verdict: { signature, stage: signature.stage, evidence: 'GET /default.ida?XXXX' }, at, action: 'forwarded', requestLine: 'GET /default.ida?XXXX' };
}

function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.connect({ host: '127.0.0.1', port }, () => s.end(bytes));
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
}

describe('admin server', () => {
  let metrics: Metrics;
  let offenders: OffenderStore;
  let admin: AdminServer;
  let base: string;
  let port: number;
  let ready = true;

  before(async () => {
    metrics = createMetrics(VERSION);
    offenders = new OffenderStore({ max: 5000, ttl: 86_400_000, samples: 3, gauge: metrics.offenders });
    admin = createAdminServer({
      metrics,
      offenders,
      isReady: () => ready,
      routes: [
        { method: 'GET', path: '/notices', handle: (_req, res) => sendJson(res, 200, { notices: [] }) },
        { method: 'POST', path: '/reload', handle: (_req, res) => sendJson(res, 202, { reloaded: true }) },
        { method: 'GET', path: '/boom', handle: () => { throw new Error('handler bug'); } },
        { method: 'GET', path: '/boom-async', handle: async () => { throw new Error('async handler bug'); } },
      ],
    });
    const address: AddressInfo = await admin.listen({ host: '127.0.0.1', port: 0 });
    port = address.port;
    base = `http://127.0.0.1:${port}`;
  });
  after(() => admin.close());

  it('answers /healthz with 200 and /readyz with 200 or 503 as readiness says', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    ready = false;
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), { status: 'not ready' });
    ready = true;
  });

  it('serves /metrics in the registry content type with every required metric, its type and bounded labels', async () => {
    offenders.record(detection('198.51.100.7', new Date()));
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), metrics.registry.contentType);
    const { types, samples } = parseExposition(await res.text());
    for (const [name, type] of Object.entries(REQUIRED_METRICS)) assert.equal(types.get(name), type, `# TYPE ${name} ${type}`);
    assert.ok(types.has('process_cpu_user_seconds_total'), 'default process metrics are collected');
    assert.deepEqual(samples.filter((s) => s.name === 'wormwatch_build_info').map((s) => s.labels.version), [VERSION]);
    assert.equal(samples.find((s) => s.name === 'wormwatch_offenders')?.value, offenders.size);
    const outcomes = samples.filter((s) => s.name === 'wormwatch_requests_total').map((s) => s.labels.outcome).sort();
    assert.deepEqual(outcomes, ['aborted', 'banned', 'blocked', 'error', 'forwarded', 'observed']);
    for (const s of samples.filter((x) => x.name.startsWith('wormwatch_'))) {
      for (const v of Object.values(s.labels)) assert.ok(isIP(v) === 0 && !v.includes('/'), `label value ${v} of ${s.name} is bounded`);
    }
  });

  it('lists offenders newest first with a bounded ?limit=', async () => {
    offenders.clear();
    for (let i = 0; i < 1500; i++) offenders.record(detection(`10.0.${i >> 8}.${i & 255}`, new Date(1_000_000 + i)));
    const all = (await (await fetch(`${base}/offenders`)).json()) as { total: number; count: number; offenders: Array<{ ip: string; lastSeen: string }> };
    assert.equal(all.total, 1500);
    assert.equal(all.count, 100, 'default limit');
    assert.equal(all.offenders[0]!.ip, '10.0.5.219', 'the last recorded comes first');
    assert.equal(all.offenders[0]!.lastSeen, new Date(1_000_000 + 1499).toISOString());
    const three = (await (await fetch(`${base}/offenders?limit=3`)).json()) as { offenders: Array<{ ip: string }> };
    assert.deepEqual(three.offenders.map((o) => o.ip), ['10.0.5.219', '10.0.5.218', '10.0.5.217']);
    const capped = (await (await fetch(`${base}/offenders?limit=999999`)).json()) as { count: number };
    assert.equal(capped.count, 1000);
    for (const bad of ['abc', '0', '-1', '1e3']) assert.equal((await fetch(`${base}/offenders?limit=${bad}`)).status, 400, `limit=${bad}`);
  });

  it('shows one offender by address, 404 if unknown, 400 if not an address', async () => {
    offenders.record(detection('::ffff:203.0.113.5', new Date()));
    offenders.record(detection('2001:db8::7', new Date()));
    const one = await fetch(`${base}/offenders/203.0.113.5`);
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as { ip: string; hits: number }).ip, '203.0.113.5');
    assert.equal((await fetch(`${base}/offenders/::ffff:203.0.113.5`)).status, 200, 'v4-mapped spelling');
    assert.equal((await fetch(`${base}/offenders/2001%3Adb8%3A%3A7`)).status, 200, 'percent-encoded IPv6');
    assert.equal((await fetch(`${base}/offenders/192.0.2.200`)).status, 404);
    for (const bad of ['not-an-ip', '%zz', '1', '999.1.1.1', '203.0.113.5/extra']) {
      const res = await fetch(`${base}/offenders/${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(((await res.json()) as { code: string }).code, 'ERR_BAD_REQUEST');
    }
  });

  it('answers unknown paths with 404 JSON and wrong methods with 405 and Allow', async () => {
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, 'ERR_NOT_FOUND');
    const wrong = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET');
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('serves routes added by other concerns, exact and by method', async () => {
    assert.deepEqual(await (await fetch(`${base}/notices`)).json(), { notices: [] });
    assert.equal((await fetch(`${base}/reload`, { method: 'POST' })).status, 202);
    assert.equal((await fetch(`${base}/reload`)).status, 405);
    assert.equal((await fetch(`${base}/notices/extra`)).status, 404, 'a path without a trailing / is exact');
  });

  it('turns a failing handler into a 500 and malformed requests into 4xx, and keeps serving', async () => {
    assert.equal((await fetch(`${base}/boom`)).status, 500);
    assert.equal((await fetch(`${base}/boom-async`)).status, 500);
    assert.match(await rawRequest(port, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.match(await rawRequest(port, 'GET //offenders HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 (400|404)/);
    assert.match(await rawRequest(port, 'GET http://elsewhere.example/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200/);
    assert.match(await rawRequest(port, `GET /offenders?limit=${'9'.repeat(5000)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 400/);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });
});
