import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startServe, type ServeProcess } from '../notify/support.js';

describe('fleet: a --workers replica takes the fleet\'s bans into every worker', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  let origin: Origin;
  let single: TestApp;
  let workers: ServeProcess;
  let dir: string;

  before(async () => {
    [redis, origin] = await Promise.all([startRedis(), startOrigin()]);
    dir = mkdtempSync(join(tmpdir(), 'wormwatch-fleet-workers-'));
    single = await startApp({ upstream: origin.url, mode: 'block', banTtl: '1h', trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: 'single' });
    workers = await startServe({ upstream: origin.url, 'redis-url': redis.url, 'replica-name': 'workers', 'data-dir': dir, mode: 'block', 'ban-ttl': '1h', workers: '2', notify: 'off', geoip: 'false' });
  });
  after(async () => {
    await workers.stop();
    await single.stop();
    await Promise.all([origin.close(), redis.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a ban made on another replica is refused by each worker process (fresh connections spread over them)', async () => {
    await eventually(async () => /^wormwatch_redis_up 1$/m.test((await send(`http://127.0.0.1:${workers.adminPort}`, '/metrics')).body), 20_000, 'the workers replica up on Redis');
    const made = await send(single.admin, '/bans', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ip: '203.0.113.40', ttl: '1h' }) });
    assert.equal(made.status, 201);
    await eventually(async () => {
      const statuses = await Promise.all(Array.from({ length: 8 }, () => workers.probe('203.0.113.40', '/')));
      return statuses.every((s) => s === 403);
    }, 2000, 'refused by every worker');
    assert.equal(await workers.probe('203.0.113.41', '/'), 200);
  });
});
