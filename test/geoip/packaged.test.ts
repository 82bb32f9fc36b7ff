import assert from 'node:assert/strict';
import { AS_ORG_MAX, ISO_COUNTRY_CODES, openGeoIp, formatGeoInfo, type GeoIp, type GeoInfo } from '../../src/geoip/index.js';

function assertWellFormed(info: GeoInfo, label: string): void {
  assert.ok(info.asn === null || (Number.isInteger(info.asn) && info.asn >= 1 && info.asn <= 0xffffffff), label);
  assert.ok(info.asOrg === null || (info.asOrg.length > 0 && Array.from(info.asOrg).length <= AS_ORG_MAX && !/[\p{Cc}\p{Cf}]/u.test(info.asOrg)), label);
  assert.ok(info.country === null || ISO_COUNTRY_CODES.has(info.country), label);
}

describe('geoip with the packaged databases', () => {
  let geo: GeoIp;

  before(async () => {
    geo = await openGeoIp();
  });

  it('names Google for 8.8.8.8: AS15169, US', () => {
    const info = geo.lookup('8.8.8.8');
    assert.equal(info.asn, 15169);
    assert.match(info.asOrg ?? '', /google/i);
    assert.equal(info.country, 'US');
  });

  it('names Cloudflare for 1.1.1.1: AS13335, with an ISO country', () => {
    const info = geo.lookup('1.1.1.1');
    assert.equal(info.asn, 13335);
    assert.match(info.asOrg ?? '', /cloudflare/i);
    // Registered to APNIC's research prefix (AU) in RIR data, used by Cloudflare (US): either is right.
    assert.ok(info.country === 'AU' || info.country === 'US', String(info.country));
  });

  it('formats the notice text for scanme.nmap.org (45.33.32.156, AS63949)', () => {
    assert.match(formatGeoInfo(geo.lookup('45.33.32.156')), /^\(AS63949, (Akamai|Linode)[^)]*, US\)$/);
  });

  it('looks up IPv6 addresses: Google and Cloudflare resolvers', () => {
    assert.deepEqual({ ...geo.lookup('2001:4860:4860::8888'), asOrg: null }, { asn: 15169, asOrg: null, country: 'US' });
    assert.equal(geo.lookup('2606:4700:4700::1111').asn, 13335);
  });

  it('gives an IPv4-mapped IPv6 address the answer of its IPv4 address', () => {
    assert.deepEqual(geo.lookup('::ffff:8.8.8.8'), geo.lookup('8.8.8.8'));
    assert.deepEqual(geo.lookup('::ffff:2d21:209c'), geo.lookup('45.33.32.156'));
  });

  it('gives nulls for documentation, private and loopback addresses (the data puts 2001:db8::/32 in JP)', () => {
    for (const ip of ['192.0.2.1', '198.51.100.7', '203.0.113.9', '2001:db8::1', '10.0.0.1', '127.0.0.1', '::1', 'fe80::1']) {
      assert.deepEqual(geo.lookup(ip), { asn: null, asOrg: null, country: null }, ip);
    }
  });

  it('never throws, and gives nulls, for garbage of any type and size', () => {
    const garbage: unknown[] = ['', 'garbage', '1.2.3', '0x8.8.8.8', '8.8.8.8\n', '::ffff:999.1.1.1', 'x'.repeat(1_000_000), '%', '::ffff:', undefined, null, 7, {}, Symbol('x')];
    for (const input of garbage) {
      assert.deepEqual(geo.lookup(input as string), { asn: null, asOrg: null, country: null }, String(input).slice(0, 20));
    }
  });

  it('answers well-formed values for 20,000 pseudo-random IPv4 and IPv6 addresses', () => {
    let seed = 12345;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    let withAsn = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = next();
      const ip = i % 4 === 3
        ? `2${(n >>> 20).toString(16).padStart(3, '0')}:${(n & 0xffff).toString(16)}::${(next() & 0xffff).toString(16)}`
        : `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      const info = geo.lookup(ip);
      assertWellFormed(info, ip);
      if (info.asn !== null) withAsn++;
    }
    assert.ok(withAsn > 5_000, `only ${withAsn} of 20,000 addresses have an AS`);
  });

  it('says which data it uses, how old it is, and the credit its licences ask for', () => {
    assert.equal(geo.sources.asn.origin, 'packaged');
    assert.match(geo.sources.asn.description, /^@ip-location-db\/asn@\d+\.\d+\.\d{10}$/);
    assert.match(geo.sources.asn.built ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.match(geo.sources.country.description, /^@ip-location-db\/geo-whois-asn-country-mmdb/);
    assert.match(geo.attribution, /DB-IP/);
    assert.match(geo.attribution, /CC BY 4\.0/);
  });
});
