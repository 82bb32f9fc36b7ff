import assert from 'node:assert/strict';
import { builtinCatalogue } from '../../src/rules/index.js';
import { Outbox } from '../../src/notify/outbox.js';
import { HOSTS, MAILBOX, metricValue, partsOf } from '../notify/abuse-support.js';
import { waitFor } from '../notify/support.js';
import { hit, nextWindow, useDigestFleet } from './digest-support.js';

// Every address here is DATA: RDAP, DNS, SMTP and Redis are servers on 127.0.0.1.
const INTERVAL = 2000;
const CODERED = 'GET /default.ida?NNNNNNNN%u9090 HTTP/1.0';
const DOTENV = 'GET /.env HTTP/1.1';
const titleOf = (id: string) => builtinCatalogue().find((s) => s.id === id)!.title;
/** Where a digest's body lists a host: its own line, two spaces in. */
const listings = (text: string, ip: string) => text.split('\n').filter((l) => l === `  ${ip}` || l.startsWith(`  ${ip} (`)).length;
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('fleet: one abuse digest per mailbox per window across the fleet (real Redis; RDAP, DNS and SMTP on loopback)', function () {
  this.timeout(60_000);
  const fleet = useDigestFleet({ abuseDigestInterval: `${INTERVAL}ms` });
  const toRipe = () => fleet.digests().filter((m) => m.to.includes(MAILBOX.ripe));

  it('three replicas that saw different hosts of one network send exactly one digest, listing every host once with hit counts merged', async () => {
    const [r1, r2, r3] = await fleet.start(['r1', 'r2', 'r3']);
    await nextWindow(INTERVAL);
    const t0 = Date.now();
    r1!.notifier.notify(hit(HOSTS.ripe, 'codered-ii', CODERED, new Date(t0 - 1500)));
    r2!.notifier.notify(hit(HOSTS.ripeToo, 'codered-ii', CODERED));
    // The same host seen by a second replica (a claim that ran out, or Redis away meanwhile): one listing, the hits added up.
    r3!.notifier.notify(hit(HOSTS.ripe, 'probe-dotenv', DOTENV, new Date(t0 - 500)));
    r3!.notifier.notify(hit(HOSTS.ripe, 'probe-dotenv', DOTENV, new Date(t0 - 400)));
    const mail = await waitFor(() => toRipe()[0], 15_000, 'the digest');
    await waitFor(async () => (await fleet.sum('wormwatch_notices_duplicate_total')) === 2, 5000, 'two replicas covered by the fleet');
    await settle(INTERVAL + 500); // one more window: nothing else may come
    assert.equal(toRipe().length, 1, 'one digest for the whole fleet');
    const text = partsOf(mail)[0]!.body;
    assert.match(text, /HOSTS \(2\)/);
    assert.equal(listings(text, HOSTS.ripe), 1);
    assert.equal(listings(text, HOSTS.ripeToo), 1);
    assert.match(text, /Requests: {3}3\n/, 'one hit on r1 and two on r3');
    assert.match(text, /Requests: {3}1\n/);
    assert.ok(text.includes(`${titleOf('codered-ii')} (codered-ii); ${titleOf('probe-dotenv')} (probe-dotenv)`), text);
    assert.match(text, new RegExp(`First seen: ${new Date(t0 - 1500).toISOString().slice(0, 19).replace('T', ' ')} UTC`));
    assert.equal(partsOf(mail)[1]!.body.trimEnd().split('\n').length, 3, 'every distinct sample line of both hosts, in CLF');
    assert.equal(await fleet.sum('wormwatch_notices_total', { result: 'queued' }), 1);
    assert.deepEqual(await fleet.redis.client.keys('ww:dg:*'), [], 'the winner took the fleet\'s copy');
    // The losers keep their own digest, suppressed as covered by the fleet's.
    const reasons = fleet.replicas.map((r) => {
      const box = new Outbox(r.dir.path);
      const row = box.list({ kind: 'abuse', limit: 5 })[0];
      box.close();
      return row?.state === 'suppressed' ? row.reason : row?.state;
    });
    assert.deepEqual(reasons.filter((x) => x === 'fleet-duplicate').length, 2, reasons.join(','));
  });

  it('with Redis down at close time, each replica sends its own digest: every host reaches the mailbox', async () => {
    const [r1, r2] = await fleet.start(['r1', 'r2']);
    await nextWindow(INTERVAL);
    r1!.notifier.notify(hit(HOSTS.ripe, 'codered-ii', CODERED));
    r2!.notifier.notify(hit(HOSTS.ripeToo, 'codered-ii', CODERED));
    await waitFor(async () => (await fleet.redis.client.keys('ww:dg:*')).length === 1 && (await fleet.redis.client.hlen((await fleet.redis.client.keys('ww:dg:*'))[0]!)) === 3, 5000, 'both hosts shared');
    await fleet.redis.kill9();
    await waitFor(() => toRipe().length === 2, 15_000, 'a digest from each replica');
    const listed = toRipe().map((m) => partsOf(m)[0]!.body);
    assert.deepEqual(listed.map((t) => [listings(t, HOSTS.ripe), listings(t, HOSTS.ripeToo)]).sort(), [[0, 1], [1, 0]]);
    assert.equal(await fleet.sum('wormwatch_notices_duplicate_total'), 0);
    assert.equal(await fleet.sum('wormwatch_redis_up'), 0, 'both replicas knew Redis was away');
  });

  it('counts the fleet\'s digest once against the fleet-wide per-domain cap, which then holds on every replica', async () => {
    const [r1, r2, r3] = await fleet.start(['r1', 'r2', 'r3'], { noticeMaxPerDomainPerHour: '1' });
    await nextWindow(INTERVAL);
    r1!.notifier.notify(hit(HOSTS.ripe, 'codered-ii', CODERED));
    r2!.notifier.notify(hit(HOSTS.ripeToo, 'codered-ii', CODERED));
    r3!.notifier.notify(hit(HOSTS.ripe, 'codered-ii', CODERED));
    await waitFor(() => toRipe().length === 1, 15_000, 'the digest');
    await waitFor(async () => (await fleet.sum('wormwatch_notices_duplicate_total')) === 2, 5000, 'the others covered');
    const counted = async (pattern: string) => {
      const keys = await fleet.redis.client.keys(pattern);
      return (await Promise.all(keys.map((k) => fleet.redis.client.get(k)))).reduce((a, v) => a + Number(v), 0);
    };
    assert.equal(await counted('ww:cap:{caps}:domain:*:ripe-ncc.example'), 1, 'one digest counted, not three');
    assert.equal(await counted('ww:cap:{caps}:hour:*'), 1);
    // Next window, a replica that did not send: its own outbox has sent nothing, the fleet's cap refuses.
    const losers: typeof fleet.replicas = [];
    for (const r of fleet.replicas) if ((await metricValue(r.registry, 'wormwatch_notices_duplicate_total')) === 1) losers.push(r);
    await nextWindow(INTERVAL);
    losers[0]!.notifier.notify(hit(HOSTS.ripe, 'codered-ii', CODERED));
    await waitFor(async () => (await metricValue(losers[0]!.registry, 'wormwatch_notices_suppressed_total', { reason: 'domain-cap' })) === 1, 15_000, 'suppressed by the fleet\'s cap');
    await settle(500);
    assert.equal(toRipe().length, 1);
  });
});
