import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { fleetDigestOf, UNLISTED } from '../../src/fleet/digest-scripts.js';
import { DIGEST_LEASE_MS, FleetDigests } from '../../src/fleet/digests.js';
import { RedisLink } from '../../src/fleet/redis-link.js';
import { createLogger } from '../../src/log.js';
import { createFleetMetrics } from '../../src/metrics.js';
import { DIGEST_MAX_HOSTS } from '../../src/notify/abuse.js';
import type { SharedHost } from '../../src/notify/index.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../notify/support.js';

const INTERVAL = 60_000;
const MAILBOX = 'abuse@ripe-ncc.example';
const sig = (id: string) => ({ id, title: `Title of ${id}`, family: 'codered' });
function host(ip: string, hits: number, firstSeen: number, lastSeen: number, lines: string[], sigs = ['codered-ii']): SharedHost {
  return {
    ip, network: 'RIPE-NCC (193.0.0.0/21)',
    facts: { hits, firstSeen, lastSeen, signatures: sigs.map(sig), samples: lines.map((l, i) => [firstSeen + i, l]), network: { asn: null, asOrg: null, country: null } },
  };
}

describe('fleet digests: the window\'s Redis hash (real Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let link: RedisLink;
  let digests: FleetDigests;
  const metrics = createFleetMetrics(new Registry());

  beforeEach(async () => {
    redis = await startRedis();
    link = new RedisLink({ url: new URL(redis.url), commandTimeoutMs: 2000, prefix: 'ww' }, metrics, createLogger('silent'));
    link.start();
    await waitFor(() => link.up, 5000, 'up');
    digests = new FleetDigests(link, { replica: 'r1', intervalMs: INTERVAL, maxPerHour: 100, maxPerDomainPerHour: 100 }, metrics);
  });
  afterEach(async () => {
    await link.stop();
    await redis.stop();
  });

  it('aligns windows on the wall clock and hashes a hostile mailbox into a fixed-size hash tag', () => {
    assert.equal(digests.windowEnd(120_000), 180_000);
    assert.equal(digests.windowEnd(179_999), 180_000);
    const [hash, marker] = digests.keys('x}{y@evil.example' + 'z'.repeat(5000), 180_000);
    assert.match(hash, /^ww:dg:\{[0-9a-f]{16}\}:3$/);
    assert.match(marker, /^ww:dgsend:\{[0-9a-f]{16}\}:3$/);
    assert.equal(digests.keys('ABUSE@Ripe-NCC.example', 180_000)[0], digests.keys(MAILBOX, 180_000)[0], 'one window per mailbox, whatever its case');
  });

  it('merges one host\'s shares: hit counts add up, first and last seen widen, signatures and samples join up to their bounds', async () => {
    const end = digests.windowEnd(Date.now());
    digests.share(MAILBOX, end, host('193.0.6.139', 2, 5000, 6000, ['a', 'b', 'c']));
    digests.share(MAILBOX, end, host('193.0.6.139', 3, 4000, 9000, ['c', 'd', 'e', 'f'], ['codered-ii', 'probe-dotenv']));
    const verdict = await digests.settle(MAILBOX, end);
    assert.equal(verdict.send, 'fleet');
    if (verdict.send !== 'fleet') return;
    assert.equal(verdict.hosts.length, 1);
    const f = verdict.hosts[0]!.facts;
    assert.deepEqual([f.hits, f.firstSeen, f.lastSeen], [5, 4000, 9000]);
    assert.deepEqual(f.signatures.map((s) => s.id), ['codered-ii', 'probe-dotenv']);
    assert.deepEqual(f.samples.map(([, l]) => l), ['a', 'b', 'c', 'd', 'e'], 'five samples at most, each line once');
    assert.equal(verdict.hosts[0]!.network, 'RIPE-NCC (193.0.0.0/21)');
  });

  it('bounds the hash at DIGEST_MAX_HOSTS hosts (the rest counted), expires it after a few intervals, keeps it while taken for a lease and deletes it once the digest is written', async () => {
    const end = digests.windowEnd(Date.now());
    const [hash, marker] = digests.keys(MAILBOX, end);
    for (let i = 0; i < DIGEST_MAX_HOSTS + 5; i++) digests.share(MAILBOX, end, host(`10.${i >> 8}.${i & 255}.1`, 1, 1000 + i, 1000 + i, ['GET /x HTTP/1.0']));
    await waitFor(async () => Number(await redis.client.hget(hash, UNLISTED)) === 5, 10_000, 'the five over the bound counted');
    assert.equal(await redis.client.hlen(hash), DIGEST_MAX_HOSTS + 1, 'the hosts and the #unlisted count');
    const ttl = await redis.client.pttl(hash);
    assert.ok(ttl > 3 * INTERVAL && ttl <= 3 * INTERVAL + 10_000, `expires a few intervals on (${ttl})`);
    const verdict = await digests.settle(MAILBOX, end);
    assert.ok(verdict.send === 'fleet' && verdict.hosts.length === DIGEST_MAX_HOSTS && verdict.unlisted === 5);
    assert.equal(await redis.client.get(marker), 'taking:r1');
    assert.ok((await redis.client.pttl(marker)) <= DIGEST_LEASE_MS, 'taken for a lease');
    assert.equal(await redis.client.exists(hash), 1, 'kept until the digest is written');
    digests.confirm(MAILBOX, end);
    await waitFor(async () => (await redis.client.get(marker)) === 'sent:r1', 5000, 'confirmed');
    assert.equal(await redis.client.exists(hash), 0);
    assert.ok((await redis.client.pttl(marker)) > DIGEST_LEASE_MS && (await redis.client.pttl(marker)) <= 3 * INTERVAL + 10_000);
  });

  it('regression: a replica that took the window and died before writing its digest lost it for the fleet: the lease runs out and another takes over', async () => {
    const lease = 400;
    const [r1, r2] = ['r1', 'r2'].map((replica) => new FleetDigests(link, { replica, intervalMs: INTERVAL, maxPerHour: 100, maxPerDomainPerHour: 100, leaseMs: lease }, metrics));
    const end = r1!.windowEnd(Date.now());
    r1!.share(MAILBOX, end, host('193.0.6.139', 1, 1000, 1000, ['a']));
    r2!.share(MAILBOX, end, host('193.0.6.140', 1, 1000, 1000, ['b']));
    assert.equal((await r1!.settle(MAILBOX, end)).send, 'fleet', 'r1 takes the window, then dies: it never confirms');
    assert.deepEqual(await r2!.settle(MAILBOX, end), { send: 'wait' }, 'was none: r2 suppressed its digest and nobody sent one');
    await new Promise((r) => setTimeout(r, lease + 100));
    const taken = await r2!.settle(MAILBOX, end);
    assert.ok(taken.send === 'fleet', `r2 takes over (${taken.send})`);
    assert.deepEqual(taken.hosts.map((h) => h.ip).sort(), ['193.0.6.139', '193.0.6.140'], 'with every host of the fleet');
    r2!.confirm(MAILBOX, end);
    r1!.confirm(MAILBOX, end); // a late confirm of the lost lease changes nothing
    await waitFor(async () => (await redis.client.get(digests.keys(MAILBOX, end)[1])) === 'sent:r2', 5000, 'r2 confirmed');
  });

  it('a replica that lost the window suppresses its own; one whose share came after the window was taken sends its own', async () => {
    const other = new FleetDigests(link, { replica: 'r2', intervalMs: INTERVAL, maxPerHour: 100, maxPerDomainPerHour: 100 }, metrics);
    const end = digests.windowEnd(Date.now());
    digests.share(MAILBOX, end, host('193.0.6.139', 1, 1000, 1000, ['a']));
    other.share(MAILBOX, end, host('193.0.6.140', 1, 1000, 1000, ['b']));
    const won = await digests.settle(MAILBOX, end);
    assert.ok(won.send === 'fleet' && won.hosts.length === 2);
    assert.equal((await other.settle(MAILBOX, end)).send, 'wait', 'until the winner wrote its digest');
    digests.confirm(MAILBOX, end);
    await waitFor(async () => (await redis.client.get(digests.keys(MAILBOX, end)[1]))?.startsWith('sent:') === true, 5000, 'confirmed');
    assert.equal((await other.settle(MAILBOX, end)).send, 'none');
    const later = digests.windowEnd(Date.now()) + INTERVAL;
    digests.share(MAILBOX, later, host('193.0.6.139', 1, 1000, 1000, ['a']));
    assert.equal((await digests.settle(MAILBOX, later)).send, 'fleet');
    digests.confirm(MAILBOX, later);
    other.share(MAILBOX, later, host('193.0.6.140', 1, 1000, 1000, ['b']));
    const missed = await other.settle(MAILBOX, later);
    assert.equal(missed.send, 'local', 'its host is in no digest yet: it sends its own');
  });

  it('sends its own digest when it shared nothing there (a restart) or Redis is away, and counts the fleet\'s caps when it can', async () => {
    const capped = new FleetDigests(link, { replica: 'r3', intervalMs: INTERVAL, maxPerHour: 100, maxPerDomainPerHour: 0 }, metrics);
    assert.deepEqual(await capped.settle(MAILBOX, digests.windowEnd(Date.now())), { send: 'local', capped: 'domain-cap' });
    await redis.kill9();
    await waitFor(() => !link.up, 5000, 'down');
    const end = digests.windowEnd(Date.now());
    digests.share(MAILBOX, end, host('193.0.6.139', 1, 1000, 1000, ['a']));
    assert.deepEqual(await digests.settle(MAILBOX, end), { send: 'local', capped: null });
  });

  it('reads the fleet\'s copy defensively: damaged values are left out, lists bounded, hosts in the order first seen', () => {
    const good = JSON.stringify({ hits: 2, firstSeen: 5, lastSeen: 6, signatures: {}, samples: [[5, 'GET / HTTP/1.0'], 'junk'], network: null, label: null });
    const early = JSON.stringify({ hits: 1, firstSeen: 1, lastSeen: 1, signatures: [sig('x'), { id: 1 }], samples: [], network: { asn: 3320, asOrg: 'DTAG', country: 'DE' }, label: 'DTAG' });
    const out = fleetDigestOf([UNLISTED, '4', '192.0.2.1', good, '192.0.2.2', '{not json', '192.0.2.3', JSON.stringify({ hits: 'many' }), '192.0.2.4', early]);
    assert.equal(out.unlisted, 4);
    assert.deepEqual(out.hosts.map((h) => h.ip), ['192.0.2.4', '192.0.2.1']);
    assert.deepEqual(out.hosts[1]!.facts.signatures, [], 'cjson writes an empty list as {}');
    assert.equal(out.hosts[1]!.facts.samples.length, 1);
    assert.deepEqual(out.hosts[0]!.facts.signatures, [sig('x')]);
    assert.deepEqual(out.hosts[0]!.facts.network, { asn: 3320, asOrg: 'DTAG', country: 'DE' });
  });
});
