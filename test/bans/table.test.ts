import assert from 'node:assert/strict';
import { banKey, canonicalBanKey, pathKey } from '../../src/bans/key.js';
import { canonicalIp } from '../../src/address.js';
import { banLength, nextBan, triggerOf } from '../../src/bans/policy.js';
import { BanTable, FOREVER, type Ban } from '../../src/bans/table.js';
import { geoEntries, renderNginxGeo } from '../../src/bans/nginx.js';
import { STORM_SIGNATURE } from '../../src/detect/storm.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import type { Signature } from '../../src/detect/types.js';

const lengths = { ttl: 60_000, factor: 2, max: 7 * 86_400_000 };
const ban = (key: string, since: number, until: number, count = 1): Ban => ({ key, since, until, count, reason: 'request', signature: 'codered-ii' });

describe('bans/key: what a ban covers', () => {
  it('bans an IPv4 address as itself, in one spelling however it was written', () => {
    assert.equal(banKey('198.51.100.7', 64), '198.51.100.7');
    assert.equal(banKey('::ffff:198.51.100.7', 64), '198.51.100.7');
  });

  it('bans an IPv6 address by its prefix, so the next address of the same /64 is banned too', () => {
    assert.equal(banKey('2001:db8:1:2:aaaa::1', 64), '2001:db8:1:2::/64');
    assert.equal(banKey('2001:DB8:1:2:ffff:ffff:ffff:ffff', 64), '2001:db8:1:2::/64');
    assert.equal(banKey('2001:db8:1:2:aaaa::1', 48), '2001:db8:1::/48');
    assert.equal(banKey('2001:db8:1:2:aaaa::1', 56), '2001:db8:1::/56');
    assert.equal(banKey('2001:db8:1:2ff:aaaa::1', 56), '2001:db8:1:200::/56');
    assert.equal(banKey('2001:db8::1', 128), '2001:db8::1');
  });

  it('computes the same key on the request path\'s fast way as the sure way, for any address and prefix', () => {
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let k = 0; k < 2000; k++) {
      // Sparse groups, so that runs of zeros (the `::` of RFC 5952) come in every length and place.
      const groups = Array.from({ length: 8 }, () => (rand() % 3 === 0 ? (rand() & 0xffff).toString(16) : '0'));
      const ip = canonicalIp(groups.join(':'))!;
      const prefix = 16 + (rand() % 113);
      assert.equal(canonicalBanKey(ip, prefix), banKey(ip, prefix), `${ip}/${prefix}`);
    }
    assert.equal(canonicalBanKey('198.51.100.7', 64), '198.51.100.7');
    for (const bad of ['not:an:address', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::1', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:']) assert.equal(canonicalBanKey(bad, 64), null, bad);
    assert.equal(canonicalBanKey('::', 64), '::/64');
    assert.equal(canonicalBanKey('::1', 64), '::/64');
  });

  it('refuses what is not an address (a hostile X-Forwarded-For entry cannot become a key)', () => {
    for (const bad of ['', 'unknown', '1', '0x7f.1', '198.51.100.7 1;\ninclude /etc/passwd', 'path:/.env']) assert.equal(banKey(bad, 64), null, bad);
  });
});

describe('bans/policy: how long', () => {
  it('grows a repeat offender\'s ban by the factor, up to the maximum', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => banLength(n, lengths)), [60_000, 120_000, 240_000, 480_000]);
    assert.equal(banLength(40, lengths), lengths.max);
    assert.equal(banLength(5000, lengths), lengths.max, 'an overflowing power is the maximum, not Infinity or NaN');
  });

  it('gives no new ban while one is in force, the next in a row after it ends, and a first one once it is forgotten', () => {
    const first = nextBan(undefined, 'k', 1_000, lengths, 'request', 's')!;
    assert.equal(first.count, 1);
    assert.equal(first.until, 61_000);
    assert.equal(nextBan(first, 'k', 30_000, lengths, 'request', 's'), null, 'an offence during the ban neither extends nor counts');
    const second = nextBan(first, 'k', 62_000, lengths, '404', 's')!;
    assert.deepEqual([second.count, second.until - second.since, second.reason], [2, 120_000, '404']);
    const afresh = nextBan(second, 'k', second.until + lengths.max + 1, lengths, 'request', 's')!;
    assert.equal(afresh.count, 1);
  });

  it('names the trigger of a detection for --ban-on: request stage, 404 stage, storm', () => {
    const sig = (stage: 'request' | '404'): Signature => ({ id: 'x', family: 'f', title: 't', description: 'd', references: [], stage, match: { target: 'path', pattern: 'x' }, examples: { positive: [], negative: [] } });
    const event = (signature: Signature, stage: 'request' | '404'): DetectionEvent => ({ ip: '198.51.100.7', at: new Date(), action: 'forwarded', requestLine: 'GET /', verdict: { signature, stage, evidence: 'GET /' } });
    assert.equal(triggerOf(event(sig('request'), 'request')), 'request');
    assert.equal(triggerOf(event(sig('404'), '404')), '404');
    assert.equal(triggerOf(event(STORM_SIGNATURE, '404')), 'storm');
  });
});

describe('bans/table: bounded, in the order bans began', () => {
  it('answers the time left, and 0 once a ban ended', () => {
    const t = new BanTable(10);
    t.put(ban('198.51.100.7', 0, 5_000));
    assert.equal(t.remaining('198.51.100.7', 1_000), 4_000);
    assert.equal(t.remaining('198.51.100.7', 5_000), 0);
    assert.equal(t.remaining('198.51.100.8', 1_000), 0);
  });

  it('evicts the oldest address bans past its maximum and says which', () => {
    const t = new BanTable(3);
    for (let i = 1; i <= 3; i++) t.put(ban(`198.51.100.${i}`, i, 10_000));
    const evicted = t.put(ban('198.51.100.4', 4, 10_000));
    assert.deepEqual(evicted.map((b) => b.key), ['198.51.100.1']);
    assert.equal(t.size, 3);
    // A re-ban moves to the newest end: the next eviction takes the next oldest.
    t.put(ban('198.51.100.2', 5, 20_000, 2));
    assert.deepEqual(t.put(ban('198.51.100.5', 6, 10_000)).map((b) => b.key), ['198.51.100.3']);
  });

  it('never evicts a blocked path for a flood of addresses', () => {
    const t = new BanTable(2);
    t.put(ban(pathKey('/.env'), 0, FOREVER));
    for (let i = 1; i <= 50; i++) t.put(ban(`198.51.100.${i}`, i, 10_000));
    assert.equal(t.remaining(pathKey('/.env'), 1_000), FOREVER - 1_000);
    assert.ok(t.hasPaths);
  });

  it('forgets bans that ended longer ago than the memory, and keeps count of IPv6 keys', () => {
    const t = new BanTable(10);
    t.put(ban('198.51.100.7', 0, 1_000));
    t.put(ban('2001:db8:1:2::/64', 0, 50_000));
    assert.ok(t.hasIpv6);
    assert.deepEqual(t.purge(12_000, 10_000), ['198.51.100.7']);
    assert.deepEqual(t.countActive(12_000), { addresses: 1, paths: 0 });
    t.delete('2001:db8:1:2::/64');
    assert.equal(t.hasIpv6, false);
  });
});

describe('bans/nginx: the geo include', () => {
  it('lists the address bans in force, one per line, and nothing else', () => {
    const now = new Date(10_000);
    const text = renderNginxGeo([
      ban('198.51.100.7', 0, 20_000), ban('2001:db8:1:2::/64', 0, 20_000), ban('203.0.113.9', 0, 5_000),
      ban(pathKey('/.env'), 0, FOREVER), ban('198.51.100.8; } include /etc/passwd; {', 0, 20_000),
    ], now);
    const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(lines, ['198.51.100.7 1;', '2001:db8:1:2::/64 1;']);
    assert.match(text, /^# wormwatch bans: 2 in force at 1970-01-01T00:00:10.000Z/);
  });

  it('reads back what it renders, and names the first line of anything else (what export refuses to write)', () => {
    const text = renderNginxGeo([ban('198.51.100.7', 0, 20_000), ban('2001:db8:1:2::/64', 0, 20_000)], new Date(10_000));
    assert.deepEqual(geoEntries(text), { entries: ['198.51.100.7 1;', '2001:db8:1:2::/64 1;'] });
    for (const [bad, line] of [
      ['# ok\n198.51.100.7 1;\n}\n', 3], ['include /etc/passwd;\n', 1], ['198.51.100.7 0;\n', 1], ['default 1;\n', 1],
      ['198.51.100.300 1;\n', 1], ['198.51.100.0/33 1;\n', 1], ['2001:db8::/129 1;\n', 1], [' 198.51.100.7 1;\n', 1], ['198.51.100.7 1; 198.51.100.8 1;\n', 1],
    ] as const) {
      assert.deepEqual(geoEntries(bad), { badLine: line }, bad);
    }
  });
});
