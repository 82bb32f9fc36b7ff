import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { redisUrl } from '../../src/config/parse.js';
import { OffenderSync } from '../../src/fleet/offender-sync.js';
import { RedisLink } from '../../src/fleet/redis-link.js';
import { createLogger } from '../../src/log.js';
import { createFleetMetrics } from '../../src/metrics.js';
import { eventually } from '../helpers/app.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { detection } from '../notify/support.js';

/**
 * The stated bound (README "Fleet"): one offender, seen once with a request line of the longest
 * kept (200 characters), costs Redis at most this many bytes: its hash, its key's expiry and its
 * member of the sorted set. bench/fleet-memory.ts floods 1,000,000 for the figure.
 */
export const BYTES_PER_OFFENDER_MAX = 1_024;
const FLOOD = 20_000;

/** The n-th address of 10.0.0.0/8 onwards (documentation ranges are too small for a flood). */
const nth = (n: number): string => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

describe('fleet: Redis memory under a flood of distinct offenders', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  beforeEach(async () => (redis = await startRedis()));
  afterEach(async () => redis.stop());

  async function flood(max: number): Promise<{ perOffender: number; held: number }> {
    const metrics = createFleetMetrics(new Registry());
    const link = new RedisLink({ url: redisUrl(redis.url), commandTimeoutMs: 5_000, prefix: 'ww' }, metrics, createLogger('silent'));
    const sync = new OffenderSync(link, { replica: 'r1', max, ttlMs: 86_400_000, samples: 5 }, metrics, () => ({ asn: 64_500, asOrg: 'Example Net', country: 'NL' }));
    link.start();
    await eventually(() => link.up, 5000, 'up');
    const before = await redis.info('memory', 'used_memory');
    const line = `GET /${'x'.repeat(190)} HTTP/1.1`.slice(0, 200);
    for (let i = 0; i < FLOOD; i += 5_000) {
      for (let j = i; j < i + 5_000; j++) sync.record(detection(nth(j), new Date(), line));
      await sync.flush();
    }
    const held = await redis.client.zcard('ww:offenders');
    const after = await redis.info('memory', 'used_memory');
    await link.stop();
    return { perOffender: (after - before) / held, held };
  }

  it(`keeps each of ${FLOOD} distinct offenders under ${BYTES_PER_OFFENDER_MAX} bytes of Redis memory`, async () => {
    const { perOffender, held } = await flood(100_000);
    assert.equal(held, FLOOD);
    process.stderr.write(`      figure: Redis bytes per offender (one 200-character sample): ${Math.round(perOffender)}\n`);
    assert.ok(perOffender < BYTES_PER_OFFENDER_MAX, `${Math.round(perOffender)} bytes per offender`);
  });

  it('holds no more than --offender-max offenders however many come, so memory stops growing', async () => {
    const { held } = await flood(5_000);
    assert.equal(held, 5_000);
    assert.equal(await redis.client.dbsize(), 2 * 5_000 + 1, 'the keys of the dropped are gone: a hash and a sample string per offender held, and the index');
  });
});
