// Operator mail in fleet mode: one mail per exposed path per UTC day across the fleet, decided
// when a mail is about to go. Real redis-server; the end-to-end part runs three in-process
// `serve` replicas in front of one leaky origin, with SMTP and DNS on loopback.
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FleetOperatorMail } from '../../src/fleet/operator-mail.js';
import { RedisLink } from '../../src/fleet/redis-link.js';
import { createLogger } from '../../src/log.js';
import { createFleetMetrics } from '../../src/metrics.js';
import { utcDay } from '../../src/notify/operator.js';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { NO_RDAP, startDns, startSmtp, waitFor, type TestDns, type TestSmtp } from '../notify/support.js';

const DAY = utcDay(Date.now());

describe('fleet operator mail: whose turn it is (real Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let link: RedisLink;
  const metrics = createFleetMetrics(new Registry());
  const gate = (replica: string, leaseMs = 60_000) => new FleetOperatorMail(link, replica, leaseMs, metrics);

  beforeEach(async () => {
    redis = await startRedis();
    link = new RedisLink({ url: new URL(redis.url), commandTimeoutMs: 2000, prefix: 'ww' }, metrics, createLogger('silent'));
    link.start();
    await waitFor(() => link.up, 5000, 'up');
  });
  afterEach(async () => {
    await link.stop();
    await redis.stop();
  });

  it('gives the day\'s mail to one replica: the others wait while it sends, take over when its attempt fails, and stand down once it went', async () => {
    const [r1, r2] = [gate('r1'), gate('r2')];
    assert.equal(await r1.take('/.env', DAY), 'send');
    assert.equal(await r2.take('/.env', DAY), 'later');
    assert.equal(await r1.take('/.env', DAY), 'send', 'its own lease, renewed');
    assert.equal(await r2.take('/api/.env', DAY), 'send', 'another path is another mail');
    r1.done('/.env', DAY, false);
    await eventually(async () => (await r2.take('/.env', DAY)) === 'send', 5000, 'r2 takes the day after r1\'s attempt failed');
    r2.done('/.env', DAY, true);
    await eventually(async () => (await r1.take('/.env', DAY)) === 'duplicate', 5000, 'r1 stands down');
    assert.equal(await redis.client.get(r1.key('/.env', DAY)), 'sent:r2');
    assert.ok((await redis.client.pttl(r1.key('/.env', DAY))) > 86_400_000, 'kept past the end of the day');
    assert.equal(await r1.take('/.env', DAY + 86_400_000), 'send', 'the next day mails again');
  });

  it('loses nothing when a replica dies mid-send: its lease runs out and another replica sends', async () => {
    const [r1, r2] = [gate('r1', 300), gate('r2', 300)];
    assert.equal(await r1.take('/.env', DAY), 'send');
    assert.equal(await r2.take('/.env', DAY), 'later');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await r2.take('/.env', DAY), 'send');
    r1.done('/.env', DAY, false); // the dead replica's late word changes nothing
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await redis.client.get(r1.key('/.env', DAY)), 'sending:r2');
  });

  it('hashes a hostile path into a fixed-size key, and lets every replica send while Redis is away', async () => {
    const r1 = gate('r1');
    assert.match(r1.key(`/${'}{'.repeat(4000)}\r\n.env`, DAY), /^ww:opmail:\{[0-9a-f]{16}\}:\d+$/);
    assert.notEqual(r1.key('/.env', DAY), r1.key('/.ENV', DAY), 'paths are compared as served');
    await r1.take('/.env', DAY);
    await redis.kill9();
    await waitFor(() => !link.up, 5000, 'down');
    assert.equal(await gate('r2').take('/.env', DAY), 'send', 'at least once');
  });
});

const DOTENV = 'APP_KEY=base64:Zm9vYmFyYmF6\nDB_PASSWORD=s3cret\n';

describe('fleet operator mail: three serve replicas, one exposed path (real Redis, origin, SMTP and DNS on loopback)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let origin: Origin;
  let smtp: TestSmtp;
  let dns: TestDns;
  let apps: TestApp[] = [];

  beforeEach(async () => {
    [redis, smtp, dns, origin] = await Promise.all([startRedis(), startSmtp(), startDns({}), startOrigin({
      fallback: (req, res) => void (req.url === '/.env' ? res.writeHead(200, { 'content-type': 'text/plain' }).end(DOTENV) : res.writeHead(404).end()),
    })]);
  });
  afterEach(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    apps = [];
    await Promise.all([origin.close(), smtp.close(), dns.close(), redis.stop()]);
  });
  const start = () => Promise.all(['r1', 'r2', 'r3'].map((name) => startApp({
    upstream: origin.url, trustProxy: '127.0.0.1', notify: 'off', smtpUrl: smtp.url, operatorEmail: 'ops@example.net', noticeFrom: 'wormwatch@example.org',
    noticeRetryBase: '50ms', noticeRetryMax: '200ms', smtpRateLimit: 1000, dnsServer: dns.server, rdapUrl: NO_RDAP, redisUrl: redis.url, replicaName: name, geoip: false,
  })));
  const exposeOnEach = async () => {
    await eventually(async () => (await Promise.all(apps.map((a) => a.metric('wormwatch_redis_up')))).every((v) => v === 1), 10_000, 'every replica up on Redis');
    await Promise.all(apps.map((a, i) => send(a.url, '/.env', { headers: { 'x-forwarded-for': `198.51.100.${60 + i}` } })));
  };
  const duplicates = async () => (await Promise.all(apps.map((a) => a.metric('wormwatch_notices_duplicate_total')))).reduce((x, y) => x + y, 0);

  it('mails the operator once, not once per replica: the others stand down as fleet duplicates', async () => {
    apps = await start();
    await exposeOnEach();
    await waitFor(() => smtp.received.find((m) => m.to.includes('ops@example.net')), 10_000, 'the mail');
    await eventually(async () => (await duplicates()) === 2, 15_000, 'the two other replicas standing down');
    assert.equal(smtp.received.length, 1);
    assert.match(smtp.received[0]!.headers.get('subject') ?? '', /^wormwatch: \/\.env was served to 198\.51\.100\.6\d/);
  });

  it('still mails once when the first attempt is refused: another replica (or the same) sends it, none is lost', async () => {
    smtp.tempfailNext = 1;
    apps = await start();
    await exposeOnEach();
    await waitFor(() => smtp.received.find((m) => m.to.includes('ops@example.net')), 15_000, 'the mail after the refusal');
    await eventually(async () => (await duplicates()) === 2, 15_000, 'the two other replicas standing down');
    assert.equal(smtp.received.length, 1);
  });
});
