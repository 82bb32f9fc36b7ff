import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { redisUrl } from '../../src/config/parse.js';
import { createFleetMetrics } from '../../src/metrics.js';
import { createLogger } from '../../src/log.js';
import { RedisLink, reconnectDelay, redisOptions } from '../../src/fleet/redis-link.js';
import { eventually, send, startApp } from '../helpers/app.js';
import { startOrigin } from '../helpers/origin.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

function linkTo(url: string, timeoutMs = 500) {
  const registry = new Registry();
  const metrics = createFleetMetrics(registry);
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });
  const link = new RedisLink({ url: redisUrl(url), commandTimeoutMs: timeoutMs, prefix: 'ww' }, metrics, logger);
  const gauge = async (): Promise<number> => (await registry.getSingleMetric('wormwatch_redis_up')!.get()).values[0]?.value ?? NaN;
  const changes = (): string[] => logs.filter((l) => l.event === 'redis-up' || l.event === 'redis-down').map((l) => String(l.event));
  return { link, metrics, registry, logs, gauge, changes };
}

describe('fleet: the Redis link', () => {
  describe('--redis-url', () => {
    it('takes redis://, rediss:// and a unix socket (URL or bare path)', () => {
      assert.equal(redisUrl('redis://127.0.0.1:6380/2').port, '6380');
      assert.equal(redisUrl('rediss://cache.example:6380').protocol, 'rediss:');
      assert.equal(redisUrl('unix:///run/redis/redis.sock').pathname, '/run/redis/redis.sock');
      assert.equal(redisUrl('/run/redis/redis.sock').protocol, 'unix:');
    });

    it('refuses other schemes, a query, a non-numeric database and a socket without a path', () => {
      for (const bad of ['http://127.0.0.1:6379', 'redis://h:6379/?x=1', 'redis://h:6379/zero', 'unix://', 'not a url']) {
        assert.throws(() => redisUrl(bad), /redis|unix/, bad);
      }
    });

    it('becomes ioredis options with a command time-out, no offline queue, and TLS or a socket path', () => {
      const tcp = redisOptions({ url: redisUrl('redis://user:p%40ss@10.0.0.5:6390/3'), commandTimeoutMs: 250, prefix: 'ww' });
      assert.deepEqual([tcp.host, tcp.port, tcp.db, tcp.username, tcp.password, tcp.commandTimeout, tcp.enableOfflineQueue, tcp.tls], ['10.0.0.5', 6390, 3, 'user', 'p@ss', 250, false, undefined]);
      assert.equal(redisOptions({ url: redisUrl('rediss://h.example'), commandTimeoutMs: 1, prefix: 'ww' }).tls?.servername, 'h.example');
      assert.equal(redisOptions({ url: redisUrl('/tmp/r.sock'), commandTimeoutMs: 1, prefix: 'ww' }).path, '/tmp/r.sock');
    });

    it('backs off exponentially to a cap of 5 s plus at most 20 % jitter', () => {
      assert.equal(reconnectDelay(1, 0), 50);
      assert.equal(reconnectDelay(4, 0), 400);
      assert.equal(reconnectDelay(50, 0), 5000);
      assert.equal(reconnectDelay(50, 1), 6000);
    });
  });

  describe('against a real redis-server', () => {
    let redis: TestRedis;
    beforeEach(async () => (redis = await startRedis()));
    afterEach(async () => redis.stop());

    it('says up (gauge 1, one log line), then down when Redis is killed, then up again on its return', async () => {
      const t = linkTo(redis.url);
      t.link.start();
      await eventually(() => t.link.up, 5000, 'up');
      assert.equal(await t.gauge(), 1);
      await redis.kill9();
      await eventually(() => !t.link.up, 5000, 'down');
      assert.equal(await t.gauge(), 0);
      // Commands fail at once while it is away (nothing waits in an offline queue).
      await assert.rejects(t.link.redis.set('k', 'v'));
      await new Promise((r) => setTimeout(r, 300));
      await redis.restart();
      await eventually(() => t.link.up, 10_000, 'up again');
      assert.deepEqual(t.changes(), ['redis-up', 'redis-down', 'redis-up'], 'one line per change, not per failed reconnect');
      assert.equal(await t.link.redis.set('k', 'v'), 'OK');
      await t.link.stop();
    });

    it('times out a command Redis does not answer, and counts it by op', async () => {
      const t = linkTo(redis.url, 100);
      t.link.start();
      await eventually(() => t.link.up, 5000, 'up');
      // CLIENT PAUSE holds every client's commands: the link's next one cannot be answered in 100 ms.
      await redis.client.call('CLIENT', 'PAUSE', '400', 'ALL');
      await assert.rejects(t.link.redis.get('k'), /timed out/i);
      t.link.failed('read', new Error('timed out'));
      const errors = (await t.registry.getSingleMetric('wormwatch_redis_errors_total')!.get()).values.find((v) => v.labels.op === 'read');
      assert.equal(errors?.value, 1);
      await t.link.stop();
    });
  });

  it('connects over a unix socket given as a bare path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wormwatch-sock-'));
    const socket = join(dir, 'redis.sock');
    const redis = await startRedis(['--unixsocket', socket, '--unixsocketperm', '700']);
    const t = linkTo(socket);
    try {
      t.link.start();
      await eventually(() => t.link.up, 5000, 'up over the socket');
      assert.equal(await t.link.redis.set(t.link.key('probe'), 'v'), 'OK');
      assert.equal(await redis.client.get('ww:probe'), 'v');
    } finally {
      await t.link.stop();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a replica whose --redis-url answers nothing serves every request and stays ready, with wormwatch_redis_up 0', async () => {
    const origin = await startOrigin();
    // A port nothing listens on: the connection is refused, again and again, behind the back-off.
    const t = await startApp({ upstream: origin.url, redisUrl: 'redis://127.0.0.1:9' });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await send(t.url, '/')).status, 200);
      assert.equal((await send(t.admin, '/readyz')).status, 200);
      assert.equal(await t.metric('wormwatch_redis_up'), 0);
      await eventually(() => t.logs.some((l) => l.event === 'redis-down'), 5000, 'the down line');
      assert.equal(t.logs.filter((l) => l.event === 'redis-down').length, 1);
    } finally {
      await t.stop();
      await origin.close();
    }
  });
});
