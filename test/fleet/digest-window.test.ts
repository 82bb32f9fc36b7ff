import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { fleetDigestOf, UNLISTED } from '../../src/fleet/digest-scripts.js';
import { FleetDigests } from '../../src/fleet/digests.js';
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

  it('bounds the hash at DIGEST_MAX_HOSTS hosts (the rest counted), expires it after a few intervals, and deletes it when taken', async () => {
    const end = digests.windowEnd(Date.now());
    const [hash, marker] = digests.keys(MAILBOX, end);
    for (let i = 0; i < DIGEST_MAX_HOSTS + 5; i++) digests.share(MAILBOX, end, host(`10.${i >> 8}.${i & 255}.1`, 1, 1000 + i, 1000 + i, ['GET /x HTTP/1.0']));
    await waitFor(async () => Number(await redis.client.hget(hash, UNLISTED)) === 5, 10_000, 'the five over the bound counted');
    assert.equal(await redis.client.hlen(hash), DIGEST_MAX_HOSTS + 1, 'the hosts and the #unlisted count');
    const ttl = await redis.client.pttl(hash);
    assert.ok(ttl > 3 * INTERVAL && ttl <= 3 * INTERVAL + 10_000, `expires a few intervals on (${ttl})`);
    const verdict = await digests.settle(MAILBOX, end);
    assert.ok(verdict.send === 'fleet' && verdict.hosts.length === DIGEST_MAX_HOSTS && verdict.unlisted === 5);
    assert.equal(await redis.client.exists(hash), 0);
    assert.equal(await redis.client.get(marker), 'r1');
    assert.ok((await redis.client.pttl(marker)) <= 3 * INTERVAL + 10_000);
  });

  it('a replica that lost the window suppresses its own; one whose share came after the window was taken sends its own', async () => {
    const other = new FleetDigests(link, { replica: 'r2', intervalMs: INTERVAL, maxPerHour: 100, maxPerDomainPerHour: 100 }, metrics);
    const end = digests.windowEnd(Date.now());
    digests.share(MAILBOX, end, host('193.0.6.139', 1, 1000, 1000, ['a']));
    other.share(MAILBOX, end, host('193.0.6.140', 1, 1000, 1000, ['b']));
    const [won, lost] = [await digests.settle(MAILBOX, end), await other.settle(MAILBOX, end)];
    assert.ok(won.send === 'fleet' && won.hosts.length === 2);
    assert.equal(lost.send, 'none');
    const later = digests.windowEnd(Date.now()) + INTERVAL;
    digests.share(MAILBOX, later, host('193.0.6.139', 1, 1000, 1000, ['a']));
    assert.equal((await digests.settle(MAILBOX, later)).send, 'fleet');
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
