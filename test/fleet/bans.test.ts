import assert from 'node:assert/strict';
import { banMessageOf, banOf } from '../../src/fleet/ban-sync.js';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { runCli } from '../cli/run-cli.js';

const CODERED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } });

/** Polls until every replica refuses `ip` (403), within `ms`; returns how long it took. */
async function refusedEverywhere(apps: TestApp[], ip: string, ms: number): Promise<number> {
  const started = Date.now();
  await eventually(async () => (await Promise.all(apps.map((a) => send(a.url, '/', from(ip))))).every((r) => r.status === 403), ms, `${ip} refused on every replica`);
  return Date.now() - started;
}

describe('fleet: bans reach every replica', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let origin: Origin;
  let apps: TestApp[];

  beforeEach(async () => {
    redis = await startRedis();
    origin = await startOrigin();
    apps = [];
    for (const name of ['r1', 'r2', 'r3']) {
      apps.push(await startApp({ upstream: origin.url, mode: 'block', banTtl: '1h', trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: name }));
    }
    await eventually(async () => (await Promise.all(apps.map((a) => a.metric('wormwatch_redis_up')))).every((v) => v === 1), 5000, 'all up');
  });
  afterEach(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await origin.close();
    await redis.stop();
  });

  it('a detection banned on one replica is refused by the other two within a second, from their own tables', async () => {
    assert.equal((await send(apps[0]!.url, CODERED, from('198.51.100.7'))).status, 403);
    assert.ok(await refusedEverywhere(apps, '198.51.100.7', 1000) <= 1000);
    for (const a of apps.slice(1)) assert.ok(a.app.bans.remaining('198.51.100.7') > 3_500_000, 'held in the local table with the ban\'s own end');
    assert.equal((await send(apps[1]!.url, '/', from('198.51.100.8'))).status, 200, 'another address is not banned');
    const ttl = await redis.client.pttl('ww:ban:198.51.100.7');
    assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `the Redis key expires with the ban (${ttl})`);
  });

  it('`wormwatch bans add` against one replica\'s admin API bans on all three, and a lift on another lifts everywhere', async () => {
    const added = await runCli(['bans', 'add', '203.0.113.50', '--ttl', '10m', '--admin', apps[2]!.admin]);
    assert.equal(added.code, 0, added.stderr);
    await refusedEverywhere(apps, '203.0.113.50', 1000);
    const lifted = await send(apps[0]!.admin, '/bans/203.0.113.50', { method: 'DELETE' });
    assert.equal(lifted.status, 200);
    await eventually(async () => (await Promise.all(apps.map((a) => send(a.url, '/', from('203.0.113.50'))))).every((r) => r.status === 200), 1000, 'lifted everywhere');
    assert.equal(await redis.client.exists('ww:ban:203.0.113.50'), 0);
  });

  it('a ban made while Redis is down reaches the others when it returns; a replica started later loads the bans in force', async () => {
    await redis.kill9();
    await eventually(async () => (await apps[0]!.metric('wormwatch_redis_up')) === 0, 5000, 'down');
    assert.equal((await send(apps[0]!.url, CODERED, from('198.51.100.20'))).status, 403);
    assert.equal((await send(apps[1]!.url, '/', from('198.51.100.20'))).status, 200, 'not yet known elsewhere');
    await redis.restart();
    await refusedEverywhere(apps, '198.51.100.20', 10_000);
    const late = await startApp({ upstream: origin.url, mode: 'block', banTtl: '1h', trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: 'r4' });
    apps.push(late);
    await refusedEverywhere([late], '198.51.100.20', 5000);
  });

  it('a replica hears a ban as remote (not its own, not published again), and only the deciding replica counts it', async () => {
    const changes: unknown[] = [];
    apps[1]!.app.bans.subscribe((c) => changes.push(c));
    await send(apps[0]!.url, CODERED, from('198.51.100.30'));
    await refusedEverywhere(apps, '198.51.100.30', 1000);
    assert.deepEqual(changes.map((c) => (c as { cause?: string }).cause), ['remote']);
    assert.equal(await apps[0]!.metric('wormwatch_bans_total', { reason: 'request' }), 1);
    assert.equal(await apps[1]!.metric('wormwatch_bans_total', { reason: 'request' }), 0, 'counted by the replica that decided it');
  });

  it('a ban whose write timed out while Redis stayed up is sent again, not lost', async () => {
    // CLIENT PAUSE WRITE holds every write for 800 ms: the ban's MULTI outlives --redis-timeout (500 ms).
    await redis.client.call('CLIENT', 'PAUSE', '800', 'WRITE');
    const made = await send(apps[0]!.admin, '/bans', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ip: '203.0.113.77', ttl: '1h' }) });
    assert.equal(made.status, 201);
    await eventually(async () => (await apps[0]!.metric('wormwatch_redis_errors_total', { op: 'bans' })) >= 1, 3000, 'the write failed');
    assert.equal(await apps[0]!.metric('wormwatch_redis_up'), 1, 'Redis never went down');
    await refusedEverywhere(apps, '203.0.113.77', 5000);
  });

  it('a repeat offender gets the longer ban on whichever replica it comes back to: each remembers the bans it heard of', async () => {
    const short = await Promise.all(['r5', 'r6'].map((replicaName) => startApp({ upstream: origin.url, mode: 'block', banTtl: '1500ms', banTtlFactor: 2, trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName })));
    apps.push(...short);
    const [a, b] = short as [TestApp, TestApp];
    await eventually(async () => (await b.metric('wormwatch_redis_up')) === 1, 5000, 'up');
    assert.equal((await send(a.url, CODERED, from('198.51.100.77'))).status, 403);
    await refusedEverywhere([b], '198.51.100.77', 1000);
    await eventually(async () => (await send(b.url, '/', from('198.51.100.77'))).status === 200, 6000, 'the first ban over');
    assert.equal((await send(b.url, CODERED, from('198.51.100.77'))).status, 403, 'back, on the other replica');
    const held = JSON.parse((await send(b.admin, '/bans')).body) as { bans: Array<{ ip: string; count: number; since: string; until: string }> };
    const ban = held.bans.find((x) => x.ip === '198.51.100.77')!;
    assert.equal(ban.count, 2, 'the second ban in a row, though the first was made elsewhere');
    assert.equal(Date.parse(ban.until) - Date.parse(ban.since), 3000, '1.5 s × 2');
  });

  it('a replica\'s own --allow holds against a ban another replica made', async () => {
    const friendly = await startApp({ upstream: origin.url, mode: 'block', banTtl: '1h', trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: 'r4', allow: '198.51.100.99' });
    apps.push(friendly);
    await eventually(async () => (await friendly.metric('wormwatch_redis_up')) === 1, 5000, 'up');
    await send(apps[0]!.url, CODERED, from('198.51.100.99'));
    await refusedEverywhere(apps.slice(0, 3), '198.51.100.99', 1000);
    assert.equal((await send(friendly.url, '/', from('198.51.100.99'))).status, 200);
    assert.equal(friendly.app.bans.remaining('198.51.100.99'), 0);
  });

  describe('what Redis says is checked', () => {
    it('accepts a well-formed ban and refuses bad fields', () => {
      const ban = { key: '198.51.100.7', since: 1, until: 2, count: 1, reason: 'request', signature: 'codered' };
      assert.deepEqual(banOf(ban), ban);
      for (const bad of [{ ...ban, reason: 'because' }, { ...ban, until: 0 }, { ...ban, key: 'x'.repeat(300) }, { ...ban, count: 0 }, { ...ban, since: '1' }, null, 'text']) assert.equal(banOf(bad), null);
    });

    it('refuses a message whose ban names another key, or that is not JSON', () => {
      const ban = { key: '198.51.100.7', since: 1, until: 2, count: 1, reason: 'manual', signature: null };
      assert.equal(banMessageOf(JSON.stringify({ from: 'r1', key: '198.51.100.8', ban })), null);
      assert.equal(banMessageOf('{nope'), null);
      assert.deepEqual(banMessageOf(JSON.stringify({ from: 'r1', key: '198.51.100.7', ban: null })), { from: 'r1', key: '198.51.100.7', ban: null });
    });
  });
});
