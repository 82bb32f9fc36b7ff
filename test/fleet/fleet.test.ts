// The whole fleet for real: three `wormwatch serve` processes, one redis-server, a real SMTP and
// DNS server and an origin, all on loopback. Figures (ban spread, failed requests) go to stderr.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startDns, startServe, startSmtp, type ServeProcess, type TestDns, type TestSmtp } from '../notify/support.js';

const CODERED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function get(port: number, path: string, ip: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'x-forwarded-for': ip, ...(init.body ? { 'content-type': 'application/json' } : {}) };
    const req = http.request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
const admin = async (r: ServeProcess, path: string): Promise<Record<string, any>> => JSON.parse((await get(r.adminPort, path, '127.0.0.1')).body) as Record<string, any>;
const figure = (what: string, value: unknown): void => void process.stderr.write(`      figure: ${what}: ${String(value)}\n`);

describe('fleet: three serve replicas, one Redis, real SMTP (the whole story)', function () {
  this.timeout(180_000);
  let redis: TestRedis;
  let origin: Origin;
  let smtp: TestSmtp;
  let dns: TestDns;
  let replicas: ServeProcess[] = [];
  const dirs: string[] = [];

  before(async () => {
    [redis, origin, smtp, dns] = await Promise.all([startRedis(), startOrigin(), startSmtp(), startDns({})]);
    replicas = await Promise.all(['r1', 'r2', 'r3'].map((name) => {
      const dir = mkdtempSync(join(tmpdir(), `wormwatch-fleet-${name}-`));
      dirs.push(dir);
      return startServe({
        upstream: origin.url, 'redis-url': redis.url, 'replica-name': name, 'data-dir': dir, mode: 'block', 'ban-ttl': '1h', 'ban-on': 'storm',
        notify: 'smtp', 'notice-tiers': 'host', 'smtp-url': smtp.url, 'smtp-rate-limit': '1000', 'notice-from': 'wormwatch@example.org', 'notice-allow-private': '198.51.100.0/24',
        'dns-server': dns.server, 'dns-timeout': '300ms', geoip: 'false',
      });
    }));
    await eventually(async () => (await Promise.all(replicas.map((r) => get(r.adminPort, '/metrics', '127.0.0.1')))).every((m) => /^wormwatch_redis_up 1$/m.test(m.body)), 20_000, 'every replica up on Redis');
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([origin.close(), smtp.close(), dns.close(), redis.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    agent.destroy();
  });

  it('an offender seen by all three replicas gets exactly one notice, and every replica shows its fleet-wide hits', async () => {
    for (const r of replicas) assert.equal((await get(r.proxyPort, CODERED, '198.51.100.7')).status, 403);
    await eventually(() => smtp.received.length === 1, 20_000, 'the notice');
    for (const r of replicas) {
      await eventually(async () => (await admin(r, '/offenders/198.51.100.7')).hits === 3, 5000, 'three hits');
      assert.deepEqual((await admin(r, '/offenders/198.51.100.7')).replicas, { r1: 1, r2: 1, r3: 1 });
    }
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(smtp.received.length, 1, 'one notice for the whole fleet');
    figure('notices per offender across the fleet', smtp.received.length);
  });

  it('a ban made on one replica is enforced by the other two within a second', async () => {
    const made = await get(replicas[0]!.adminPort, '/bans', '127.0.0.1', { method: 'POST', body: JSON.stringify({ ip: '203.0.113.9', ttl: '1h' }) });
    assert.equal(made.status, 201);
    const started = Date.now();
    await eventually(async () => (await Promise.all(replicas.slice(1).map((r) => get(r.proxyPort, '/', '203.0.113.9')))).every((x) => x.status === 403), 1000, 'banned on r2 and r3');
    figure('ban spread time (ms, polled every 20 ms)', Date.now() - started);
  });

  it('kill -9 of Redis mid-run: every replica keeps serving with no failed request; the buffered detections arrive once Redis is back', async () => {
    let failed = 0;
    let served = 0;
    let running = true;
    const load = (async () => {
      for (let i = 0; running; i++) {
        const r = replicas[i % 3]!;
        const res = await get(r.proxyPort, `/page/${i}`, `192.0.2.${(i % 200) + 1}`).catch(() => ({ status: 0, body: '' }));
        if (res.status === 200) served++;
        else failed++;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await redis.kill9();
    await eventually(async () => (await Promise.all(replicas.map((r) => get(r.adminPort, '/metrics', '127.0.0.1')))).every((m) => /^wormwatch_redis_up 0$/m.test(m.body)), 10_000, 'every replica sees Redis down');
    assert.equal((await admin(replicas[0]!, '/readyz')).status, 'ready');
    for (let i = 0; i < 4; i++) assert.equal((await get(replicas[0]!.proxyPort, CODERED, '198.51.100.60')).status, 403);
    await new Promise((r) => setTimeout(r, 500));
    await redis.restart();
    await eventually(async () => (await admin(replicas[2]!, '/offenders/198.51.100.60')).hits === 4, 20_000, 'the buffered hits in the fleet');
    running = false;
    await load;
    figure('requests failed while Redis was down', `${failed} of ${served + failed}`);
    assert.equal(failed, 0);
    assert.ok(served > 50, `served ${served}`);
  });
});
