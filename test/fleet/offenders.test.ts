import assert from 'node:assert/strict';
import { offenderOfHash } from '../../src/fleet/offender-view.js';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const CODERED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } });

async function getJson(base: string, path: string): Promise<Record<string, any>> {
  const r = await send(base, path);
  return { status: r.status, ...(JSON.parse(r.body) as Record<string, any>) };
}

describe('fleet: offenders seen by the whole fleet', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let origin: Origin;
  let apps: TestApp[];
  const start = async (flags: Record<string, unknown> = {}): Promise<void> => {
    for (const name of ['r1', 'r2', 'r3']) apps.push(await startApp({ upstream: origin.url, trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: name, ...flags }));
    await eventually(async () => (await Promise.all(apps.map((a) => a.metric('wormwatch_redis_up')))).every((v) => v === 1), 5000, 'all up');
  };

  beforeEach(async () => {
    redis = await startRedis();
    origin = await startOrigin();
    apps = [];
  });
  afterEach(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await origin.close();
    await redis.stop();
  });

  it('answers GET /offenders and /offenders/:ip on every replica with merged counts, newest first, and which replica saw each hit', async () => {
    await start();
    const [r1, r2, r3] = apps as [TestApp, TestApp, TestApp];
    await send(r1.url, CODERED, from('198.51.100.7'));
    await send(r1.url, CODERED, from('198.51.100.7'));
    await send(r2.url, CODERED, from('198.51.100.7'));
    await send(r3.url, CODERED, from('198.51.100.7'));
    await eventually(async () => (await getJson(r3.admin, '/offenders/198.51.100.7')).hits === 4, 3000, 'four hits in the fleet');
    await new Promise((r) => setTimeout(r, 5));
    await send(r2.url, CODERED, from('203.0.113.9'));
    await eventually(async () => (await getJson(r1.admin, '/offenders')).total === 2, 3000, 'two offenders');
    for (const app of apps) {
      const list = await getJson(app.admin, '/offenders');
      assert.equal(list.fleet, true);
      assert.deepEqual(list.offenders.map((o: { ip: string }) => o.ip), ['203.0.113.9', '198.51.100.7'], 'newest first');
      const one = list.offenders[1];
      assert.equal(one.hits, 4);
      assert.deepEqual(one.replicas, { r1: 2, r2: 1, r3: 1 });
      assert.equal(one.lastReplica, 'r3');
      assert.deepEqual(Object.keys(one.signatures), ['codered-i']);
      assert.deepEqual(one.recent.map((s: { replica: string }) => s.replica), ['r1', 'r1', 'r2', 'r3']);
    }
    assert.equal(r2.app.offenders.get('198.51.100.7')?.hits, 1, 'each replica\'s own store stays its own');
  });

  it('keeps the fleet-wide set within --offender-max and each address within --offender-ttl, dropping the least recently seen', async () => {
    await start({ offenderMax: '20', offenderTtl: '1h', offenderSamples: '2' });
    for (let i = 0; i < 30; i++) {
      await send(apps[i % 3]!.url, CODERED, from(`198.51.100.${i + 1}`));
      await new Promise((r) => setTimeout(r, 3)); // a distinct last-seen millisecond each
    }
    await eventually(async () => (await Promise.all(apps.map((a) => a.metric('wormwatch_fleet_buffered')))).every((n) => n === 0), 3000, 'every replica has written');
    assert.equal(await redis.client.zcard('ww:offenders'), 20);
    assert.equal((await redis.client.keys('ww:o:*')).length, 2 * 20, 'the hashes (and samples) of the dropped are gone too');
    const ips = await redis.client.zrange('ww:offenders', 0, -1);
    assert.deepEqual(ips.sort(), Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 11}`).sort(), 'the ten least recently seen went');
    const ttl = await redis.client.pttl('ww:o:{198.51.100.30}');
    assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `expires with --offender-ttl (${ttl})`);
  });

  it('while Redis is down answers from its own store and buffers; after Redis returns the buffered detections arrive', async () => {
    await start();
    await redis.kill9();
    await eventually(async () => (await apps[0]!.metric('wormwatch_redis_up')) === 0, 5000, 'down');
    for (let i = 0; i < 3; i++) assert.equal((await send(apps[0]!.url, CODERED, from('192.0.2.77'))).status, 200);
    const local = await getJson(apps[0]!.admin, '/offenders');
    assert.equal(local.fleet, false);
    assert.equal(local.offenders[0].ip, '192.0.2.77');
    assert.equal(await apps[0]!.metric('wormwatch_fleet_buffered'), 1);
    await redis.restart();
    await eventually(async () => (await getJson(apps[2]!.admin, '/offenders/192.0.2.77')).hits === 3, 10_000, 'the buffered hits in the fleet');
    assert.equal(await apps[0]!.metric('wormwatch_fleet_buffered'), 0);
  });

  it('reads a hostile hash field by field: bad numbers are 0, samples that are not JSON are none, names are sanitised', () => {
    const o = offenderOfHash('198.51.100.7', { hits: '12', first: '1e99', last: 'x', 's:\u001bevil': '3', 'r:r1': '-4', samples: '{not json', family: 'worm' })!;
    assert.equal(o.hits, 12);
    assert.equal(o.firstSeen.getTime(), 0);
    assert.deepEqual(o.samples, []);
    assert.deepEqual(o.replicas, { r1: 0 });
    assert.ok(!Object.keys(o.signatures)[0]!.includes('\u001b'));
    assert.equal(offenderOfHash('198.51.100.7', {}), null);
  });
});
