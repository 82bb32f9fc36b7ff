import assert from 'node:assert/strict';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startDns, startSmtp, type TestDns, type TestSmtp } from '../notify/support.js';
import { HOSTS, MAILBOX, partsOf, startRegistries } from '../notify/abuse-support.js';
import { nextWindow } from './digest-support.js';
import { Outbox } from '../../src/notify/outbox.js';

const CODERED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } });
const sum = async (apps: TestApp[], name: string, labels: Record<string, string> = {}): Promise<number> => (await Promise.all(apps.map((a) => a.metric(name, labels)))).reduce((a, b) => a + b, 0);
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('fleet: one notice per offender per interval across the fleet (real Redis, SMTP and DNS on loopback)', function () {
  this.timeout(40_000);
  let redis: TestRedis;
  let origin: Origin;
  let smtp: TestSmtp;
  let dns: TestDns;
  let apps: TestApp[];
  const start = async (flags: Record<string, unknown> = {}): Promise<void> => {
    for (const name of ['r1', 'r2', 'r3']) {
      apps.push(await startApp({
        upstream: origin.url, trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: name,
        notify: 'smtp', noticeTiers: 'host', smtpUrl: smtp.url, smtpRateLimit: 1000, noticeFrom: 'wormwatch@example.org', noticeAllowPrivate: '198.51.100.0/24,203.0.113.0/24',
        dnsServer: dns.server, dnsTimeout: '300ms', ...flags,
      }));
    }
    await eventually(async () => (await Promise.all(apps.map((a) => a.metric('wormwatch_redis_up')))).every((v) => v === 1), 5000, 'all up');
  };

  /** Three replicas with SMTP sending abuse digests every 2 s (RDAP at `rdapUrl`); returns at the start of a window. */
  const startDigesting = async (noticeTiers: string, rdapUrl: string): Promise<void> => {
    for (const name of ['r1', 'r2', 'r3']) {
      apps.push(await startApp({
        upstream: origin.url, trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: name, notify: 'smtp', noticeTiers, abuseDigestInterval: '2s',
        smtpUrl: smtp.url, smtpRateLimit: 1000, noticeFrom: 'wormwatch@example.org', dnsServer: dns.server, dnsTimeout: '300ms', rdapUrl,
      }));
    }
    await eventually(async () => (await sum(apps, 'wormwatch_redis_up')) === 3, 5000, 'all up');
    await nextWindow(2000);
  };

  beforeEach(async () => {
    [redis, origin, smtp, dns] = await Promise.all([startRedis(), startOrigin(), startSmtp(), startDns({})]);
    apps = [];
  });
  afterEach(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await Promise.all([origin.close(), smtp.close(), dns.close(), redis.stop()]);
  });

  it('an offender probing all three replicas at once gets exactly one notice; the other two count a duplicate', async () => {
    await start();
    await Promise.all(apps.flatMap((a) => [send(a.url, CODERED, from('198.51.100.7')), send(a.url, CODERED, from('198.51.100.7'))]));
    await eventually(() => smtp.received.length >= 1, 10_000, 'a notice');
    await eventually(async () => (await sum(apps, 'wormwatch_notices_duplicate_total')) === 2, 3000, 'two duplicates');
    await settle(500);
    assert.equal(smtp.received.length, 1);
    assert.ok(smtp.received[0]!.to.includes('administrator@[198.51.100.7]'));
    const holder = await redis.client.get('ww:claim:{198.51.100.7}');
    assert.ok(['r1', 'r2', 'r3'].includes(holder ?? ''), `claimed by ${holder}`);
    const ttl = await redis.client.pttl('ww:claim:{198.51.100.7}');
    assert.ok(ttl > 86_000_000 && ttl <= 86_400_000, `the claim lasts --notice-interval (${ttl})`);
  });

  it('the hourly cap and the per-domain cap hold across the fleet, not per replica', async () => {
    await start({ noticeMaxPerHour: '2' });
    for (const [i, app] of apps.entries()) await send(app.url, CODERED, from(`198.51.100.${10 + i}`));
    await send(apps[0]!.url, CODERED, from('198.51.100.13'));
    await eventually(async () => (await sum(apps, 'wormwatch_notices_suppressed_total', { reason: 'hourly-cap' })) === 2, 5000, 'two over the cap');
    await eventually(() => smtp.received.length === 2, 10_000, 'two notices');
    await Promise.all(apps.map((a) => a.stop()));
    apps = [];
    await redis.client.flushall();
    smtp.received.length = 0;
    await start({ noticeMaxPerDomainPerHour: '1', noticeRecipients: 'abuse@example.net' });
    for (const [i, app] of apps.entries()) await send(app.url, CODERED, from(`203.0.113.${10 + i}`));
    await eventually(async () => (await sum(apps, 'wormwatch_notices_suppressed_total', { reason: 'domain-cap' })) === 2, 5000, 'two over the domain cap');
    await settle(300);
    assert.equal(smtp.received.length, 1, 'one mail to example.net in the hour, whichever replica sent it');
  });

  it('with the abuse tier on (the default tiers), the winner queues the host notice in the stream and keeps the hits for the digests alone', async () => {
    for (const name of ['r1', 'r2', 'r3']) {
      apps.push(await startApp({
        upstream: origin.url, trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: name, notify: 'outbox', noticeAllowPrivate: '198.51.100.0/24',
        dnsServer: dns.server, dnsTimeout: '300ms', rdapUrl: 'http://127.0.0.1:9/', // refused at once: nothing leaves loopback
      }));
    }
    await eventually(async () => (await sum(apps, 'wormwatch_redis_up')) === 3, 5000, 'all up');
    await Promise.all(apps.map((a) => send(a.url, CODERED, from('198.51.100.8'))));
    await eventually(async () => (await sum(apps, 'wormwatch_notices_duplicate_total')) === 2, 5000, 'two duplicates');
    await eventually(async () => (await redis.client.xlen('ww:notices')) === 1, 5000, 'one host-tier notice, in the stream (durable beyond any pod)');
    const outboxes = () => apps.map((a) => {
      const box = new Outbox(a.dataDir);
      try {
        return { offender: box.list({ kind: 'offender', limit: 10 }).length, abuse: box.abuse.liveEntry('198.51.100.8') !== undefined };
      } finally {
        box.close();
      }
    });
    await eventually(() => outboxes().some((h) => h.abuse), 5000, 'the host in the winner\'s abuse tier');
    const held = outboxes();
    assert.deepEqual(held.map((h) => h.offender), [0, 0, 0], 'no host-tier row in any outbox: the stream has it');
    assert.equal(held.filter((h) => h.abuse).length, 1, 'the winner keeps the host for the abuse tier');
  });

  it('with both tiers and SMTP on the replicas: one host notice from the stream, one digest listing the host', async () => {
    const { server: rdap, rdapUrl } = await startRegistries();
    try {
      await startDigesting('host,abuse', rdapUrl);
      await Promise.all(apps.map((a) => send(a.url, CODERED, from(HOSTS.ripe))));
      await eventually(() => smtp.received.length >= 2, 15_000, 'the host notice and the digest');
      await settle(2500);
      const toRipe = smtp.received.filter((m) => m.to.includes(MAILBOX.ripe));
      const toHost = smtp.received.filter((m) => m.to.includes(`administrator@[${HOSTS.ripe}]`));
      assert.equal(toHost.length, 1, 'one host-tier notice for the fleet');
      assert.equal(toRipe.length, 1, 'one digest for the fleet');
      assert.match(partsOf(toRipe[0]!)[0]!.body, /HOSTS \(1\)/);
      assert.equal(smtp.received.length, 2);
      assert.equal(await redis.client.xlen('ww:notices'), 0, 'the stream entry acknowledged and deleted once sent');
    } finally {
      await rdap.close();
    }
  });

  it('with the abuse tier on, replicas that noticed different hosts of one network send one abuse digest for the whole fleet', async () => {
    const { server: rdap, rdapUrl } = await startRegistries();
    try {
      await startDigesting('abuse', rdapUrl);
      await send(apps[0]!.url, CODERED, from(HOSTS.ripe));
      await send(apps[1]!.url, CODERED, from(HOSTS.ripeToo));
      await eventually(() => smtp.received.length >= 1, 15_000, 'the digest');
      await eventually(async () => (await sum(apps, 'wormwatch_notices_duplicate_total')) === 1, 5000, 'the other replica covered by the fleet');
      await settle(2500);
      assert.equal(smtp.received.length, 1, 'one digest for the fleet, not one per replica');
      assert.ok(smtp.received[0]!.to.includes(MAILBOX.ripe));
      assert.match(partsOf(smtp.received[0]!)[0]!.body, /HOSTS \(2\)/);
    } finally {
      await rdap.close();
    }
  });

  it('with Redis down each replica dedupes alone (and every request is served); its claims are recorded when Redis returns', async () => {
    await start();
    await redis.kill9();
    await eventually(async () => (await sum(apps, 'wormwatch_redis_up')) === 0, 5000, 'down');
    for (const app of apps.slice(0, 2)) for (let i = 0; i < 2; i++) assert.equal((await send(app.url, CODERED, from('198.51.100.50'))).status, 200);
    await eventually(() => smtp.received.length === 2, 10_000, 'one notice per replica that saw it');
    assert.equal(await apps[0]!.metric('wormwatch_fleet_buffered'), 2, 'its hits and its claim wait for Redis');
    await redis.restart();
    await eventually(async () => (await sum(apps, 'wormwatch_redis_up')) === 3, 15_000, 'all up again');
    await eventually(async () => ['r1', 'r2'].includes((await redis.client.get('ww:claim:{198.51.100.50}')) ?? ''), 10_000, 'the claim recorded');
    await send(apps[2]!.url, CODERED, from('198.51.100.50'));
    await eventually(async () => (await apps[2]!.metric('wormwatch_notices_duplicate_total')) === 1, 5000, 'the third replica defers to it');
    await settle(300);
    assert.equal(smtp.received.length, 2);
  });
});
