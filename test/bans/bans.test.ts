import assert from 'node:assert/strict';
import { echo, startOrigin, type Origin } from '../helpers/origin.js';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';

/** CodeRed II's request line: a request-stage detection. */
const CODERED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } });
const json = (body: unknown): { method: string; headers: Record<string, string>; body: string } => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The app in block mode with bans, clients named by X-Forwarded-For from the trusted loopback peer. */
function banning(origin: Origin, flags: Record<string, unknown> = {}): Promise<TestApp> {
  return startApp({ upstream: origin.url, mode: 'block', banTtl: '1s', trustProxy: '127.0.0.1', stormThreshold: 3, ...flags });
}

describe('bans: an offender is refused until its ban ends (through the real proxy)', function () {
  this.timeout(20_000);
  let origin: Origin;
  let app: TestApp | undefined;
  beforeEach(async () => {
    // Every path under /missing is missing; anything else is echoed with 200.
    origin = await startOrigin({ fallback: (req, res) => ((req.url ?? '').startsWith('/missing') ? void res.writeHead(404).end('no') : echo(req, res)) });
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await origin.close();
  });

  it('refuses every further request of a banned address with --block-status and Retry-After, without reaching the origin, until the ban ends', async () => {
    app = await banning(origin, { blockStatus: 429 });
    assert.equal((await send(app.url, CODERED, from('198.51.100.7'))).status, 429, 'the probe itself is blocked');
    const seen = origin.requests.length;
    const banned = await send(app.url, '/', from('198.51.100.7'));
    assert.equal(banned.status, 429);
    assert.equal(banned.headers['retry-after'], '1');
    assert.match(banned.body, /ERR_BANNED/);
    assert.equal(origin.requests.length, seen, 'a banned request never reaches the origin');
    assert.equal((await send(app.url, '/', from('198.51.100.8'))).status, 200, 'another address is not banned');
    assert.equal(await app.metric('wormwatch_requests_total', { outcome: 'banned' }), 1);
    assert.equal(await app.metric('wormwatch_bans_total', { reason: 'request' }), 1);
    assert.equal(await app.metric('wormwatch_bans', { kind: 'address' }), 1);
    await eventually(async () => (await send(app!.url, '/', from('198.51.100.7'))).status === 200, 5_000, 'the ban to end');
    assert.equal(await app.metric('wormwatch_bans', { kind: 'address' }), 0);
    assert.ok(app.logs.some((l) => l.event === 'ban' && l.key === '198.51.100.7' && l.reason === 'request'), 'the ban is logged');
  });

  it('bans a repeat offender for --ban-ttl-factor times longer each time', async () => {
    app = await banning(origin, { banTtlFactor: '3' });
    await send(app.url, CODERED, from('198.51.100.9'));
    const first = await send(app.admin, '/bans');
    const ban1 = (JSON.parse(first.body) as { bans: Array<{ ip: string; count: number; since: string; until: string }> }).bans[0]!;
    assert.deepEqual([ban1.ip, ban1.count, Date.parse(ban1.until) - Date.parse(ban1.since)], ['198.51.100.9', 1, 1_000]);
    await eventually(async () => (await send(app!.url, '/', from('198.51.100.9'))).status === 200, 5_000, 'the first ban to end');
    await send(app.url, CODERED, from('198.51.100.9'));
    const again = await send(app.url, '/', from('198.51.100.9'));
    assert.equal(again.status, 403);
    assert.equal(again.headers['retry-after'], '3');
    const ban2 = (JSON.parse((await send(app.admin, '/bans')).body) as { bans: Array<{ count: number; since: string; until: string }> }).bans[0]!;
    assert.deepEqual([ban2.count, Date.parse(ban2.until) - Date.parse(ban2.since)], [2, 3_000]);
  });

  it('never bans --allow addresses, loopback or a trusted proxy, though their probes are still blocked', async () => {
    app = await banning(origin, { allow: '198.51.100.0/28' });
    assert.equal((await send(app.url, CODERED, from('198.51.100.5'))).status, 403, 'an allowed address is still inspected and blocked');
    assert.equal((await send(app.url, '/', from('198.51.100.5'))).status, 200, 'but not banned');
    assert.equal((await send(app.url, CODERED)).status, 403, 'the loopback peer itself, no X-Forwarded-For');
    assert.equal((await send(app.url, '/')).status, 200);
    assert.equal(await app.metric('wormwatch_bans_skipped_total', { why: 'allow' }), 1);
    assert.equal(await app.metric('wormwatch_bans_skipped_total', { why: 'loopback' }), 1);
    const refused = await send(app.admin, '/bans', json({ ip: '198.51.100.6', ttl: '1h' }));
    assert.equal(refused.status, 409, 'nor by hand');
    assert.match(refused.body, /--allow/);
  });

  it('bans the whole IPv6 /64 of an offender (--ban-ipv6-prefix), not the next /64', async () => {
    app = await banning(origin, { banTtl: '1h' });
    await send(app.url, CODERED, from('2001:db8:1:2::7'));
    assert.equal((await send(app.url, '/', from('2001:db8:1:2:ffff::99'))).status, 403);
    assert.equal((await send(app.url, '/', from('2001:db8:1:3::7'))).status, 200);
    const list = JSON.parse((await send(app.admin, '/bans')).body) as { bans: Array<{ ip: string }> };
    assert.deepEqual(list.bans.map((b) => b.ip), ['2001:db8:1:2::/64']);
  });

  it('bans on the detections --ban-on names only (here: the 404 storm, not a single hunt)', async () => {
    app = await banning(origin, { banTtl: '1h', banOn: 'storm' });
    await send(app.url, CODERED, from('203.0.113.20'));
    await send(app.url, '/.env', from('203.0.113.20'));
    assert.equal(app.app.offenders.get('203.0.113.20')?.hits, 2);
    assert.equal((await send(app.url, '/', from('203.0.113.20'))).status, 200, 'a request-stage or 404 detection alone does not ban');
    for (const q of ['a', 'b', 'c', 'd']) await send(app.url, `/missing?${q}`, from('203.0.113.21'));
    for (const p of ['/missing/a', '/missing/b', '/missing/c', '/missing/d', '/missing/e']) await send(app.url, p, from('203.0.113.22'));
    await eventually(async () => (await app!.metric('wormwatch_bans_total', { reason: 'storm' })) === 1, 2_000, 'the storm ban');
    assert.equal((await send(app.url, '/', from('203.0.113.22'))).status, 403);
    assert.equal((await send(app.url, '/', from('203.0.113.21'))).status, 200, 'one path asked for with four queries is no storm');
  });

  it('keeps its bans over a restart (bans.sqlite in --data-dir)', async () => {
    app = await banning(origin, { banTtl: '1h' });
    await send(app.url, CODERED, from('198.51.100.30'));
    await app.stop(true);
    const dataDir = app.dataDir;
    app = await banning(origin, { banTtl: '1h', dataDir });
    assert.equal((await send(app.url, '/', from('198.51.100.30'))).status, 403, 'still banned after the restart');
    assert.equal((await send(app.url, '/', from('198.51.100.31'))).status, 200);
    assert.ok(app.logs.some((l) => l.msg === 'bans loaded' && l.bans === 1));
  });

  it('serves GET, POST and DELETE /bans: a manual ban holds, a lifted one is gone', async () => {
    app = await banning(origin);
    const made = await send(app.admin, '/bans', json({ ip: '203.0.113.40', ttl: '1h' }));
    assert.equal(made.status, 201, made.body);
    assert.deepEqual((({ ip, reason, count }) => ({ ip, reason, count }))(JSON.parse(made.body) as { ip: string; reason: string; count: number }), { ip: '203.0.113.40', reason: 'manual', count: 1 });
    assert.equal((await send(app.url, '/', from('203.0.113.40'))).status, 403);
    const list = JSON.parse((await send(app.admin, '/bans')).body) as { enabled: boolean; total: number; bans: Array<{ ip: string; remainingSeconds: number }> };
    assert.equal(list.enabled, true);
    assert.equal(list.total, 1);
    assert.ok(list.bans[0]!.remainingSeconds > 3500);
    assert.equal((await send(app.admin, '/bans/203.0.113.40', { method: 'DELETE' })).status, 200);
    assert.equal((await send(app.url, '/', from('203.0.113.40'))).status, 200);
    assert.equal((await send(app.admin, '/bans/203.0.113.40', { method: 'DELETE' })).status, 404);
    assert.equal(await app.metric('wormwatch_bans_total', { reason: 'manual' }), 1);
  });

  it('refuses a bad ban request with a clear 4xx and changes nothing', async () => {
    app = await banning(origin);
    const cases: Array<[Parameters<typeof send>[2], number]> = [
      [json({ ip: 'not-an-ip', ttl: '1h' }), 400],
      [json({ ip: '203.0.113.41', ttl: 'forever-ish' }), 400],
      [json({ nothing: true }), 400],
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ip": ' }, 400],
      [{ method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"ip":"203.0.113.41","ttl":"1h"}' }, 415],
      [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"ip":"203.0.113.41","pad":"${'x'.repeat(20_000)}"}` }, 413],
      [{ ...json({ ip: '203.0.113.41', ttl: '1h' }), headers: { 'content-type': 'application/json', origin: 'http://evil.example' } }, 403],
    ];
    for (const [opts, status] of cases) assert.equal((await send(app.admin, '/bans', opts)).status, status, JSON.stringify(opts).slice(0, 120));
    assert.equal((await send(app.admin, '/bans/999.1.1.1', { method: 'DELETE' })).status, 400);
    assert.equal((JSON.parse((await send(app.admin, '/bans')).body) as { total: number }).total, 0);
  });

  it('refuses a manual ban in monitor mode, where nothing would be refused', async () => {
    app = await startApp({ upstream: origin.url });
    const r = await send(app.admin, '/bans', json({ ip: '203.0.113.42', ttl: '1h' }));
    assert.equal(r.status, 409);
    assert.match(r.body, /--mode block/);
    assert.equal((JSON.parse((await send(app.admin, '/bans')).body) as { enabled: boolean }).enabled, false);
  });
});
