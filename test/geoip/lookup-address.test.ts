import assert from 'node:assert/strict';
import ipaddr from 'ipaddr.js';
import { MAX_ADDRESS_TEXT, toLookupAddress } from '../../src/geoip/lookup-address.js';

describe('geoip address parsing', () => {
  it('reads a global IPv4 address as one 32-bit number', () => {
    assert.deepEqual(toLookupAddress('8.8.4.4'), { version: 4, text: '8.8.4.4', value: 0x08080404 });
    assert.equal((toLookupAddress('200.1.2.3') as { value: number }).value, 0xc8010203, 'high bit set stays unsigned');
  });

  it('reads a global IPv6 address as four 32-bit words', () => {
    assert.deepEqual(toLookupAddress('2001:4860:4860::8888'), {
      version: 6,
      text: '2001:4860:4860::8888',
      words: [0x20014860, 0x48600000, 0, 0x8888],
    });
  });

  it('unwraps IPv4-mapped IPv6 to the IPv4 address, in both spellings', () => {
    assert.deepEqual(toLookupAddress('::ffff:8.8.8.8'), { version: 4, text: '8.8.8.8', value: 0x08080808 });
    assert.deepEqual(toLookupAddress('::ffff:0808:0808'), { version: 4, text: '8.8.8.8', value: 0x08080808 });
  });

  it('drops an IPv6 zone id instead of handing it to the reader', () => {
    assert.equal(toLookupAddress('2001:4860:4860::8888%eth0')?.text, '2001:4860:4860::8888');
  });

  it('gives null for private, loopback, link-local, documentation, multicast and transition ranges', () => {
    for (const ip of [
      '0.0.0.0', '10.1.2.3', '100.64.0.1', '127.0.0.1', '169.254.1.1', '172.16.0.1', '192.0.2.1',
      '192.168.1.1', '198.18.0.1', '198.51.100.7', '203.0.113.5', '224.0.0.1', '240.0.0.1', '255.255.255.255',
      '::', '::1', 'fe80::1', 'fc00::1', 'ff02::1', '2001:db8::1', '2002:c000:201::1', '2001::1', '64:ff9b::808:808',
    ]) {
      assert.equal(toLookupAddress(ip), null, ip);
    }
  });

  it('agrees with ipaddr.js on which IPv4 addresses are global unicast, over 100,000 addresses and every range edge', () => {
    let seed = 99;
    const next = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    const edges = ['0.255.255.255', '1.0.0.0', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0',
      '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.0.1.0', '192.0.3.0', '192.88.98.255', '192.88.100.0',
      '192.167.255.255', '192.169.0.0', '198.17.255.255', '198.20.0.0', '203.0.112.255', '203.0.114.0', '223.255.255.255', '224.0.0.0'];
    const samples = [...edges, ...Array.from({ length: 100_000 }, () => { const n = next(); return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`; })];
    for (const ip of samples) {
      assert.equal(toLookupAddress(ip) !== null, ipaddr.IPv4.parse(ip).range() === 'unicast', ip);
    }
  });

  it('looks up IPv6 only in 2000::/3, outside the IETF, documentation and 6to4 blocks', () => {
    for (const ip of ['2001:200::1', '2001:4860::1', '2a00::1', '2c0f:ffff::1', '3ffe::1', '3ffe:ffff::1']) assert.ok(toLookupAddress(ip), ip);
    for (const ip of ['2001:1ff:ffff::1', '2001:2::1', '2001:db8:ffff::1', '2002::1', '3fff::1', '3fff:fff::1', '4000::1', '1fff::1', '5f00::1', 'fec0::1']) {
      assert.equal(toLookupAddress(ip), null, ip);
    }
  });

  it('refuses loose spellings the mmdb reader would read as some other address', () => {
    for (const ip of ['1.2.3', '1.2.3.4.5', '300.1.1.1', '0x8.8.8.8', '08.8.8.8', '8.8.8.8 ', ' 8.8.8.8', '8.8.8.8\n', '٨.٨.٨.٨', '134744072', '[2001:4860::1]', '8.8.8.8/24']) {
      assert.equal(toLookupAddress(ip), null, JSON.stringify(ip));
    }
  });

  it('gives null for garbage, non-strings and overlong text without parsing it', () => {
    for (const input of ['', 'garbage', 'localhost', ':::', '1'.repeat(MAX_ADDRESS_TEXT + 1), 'x'.repeat(1_000_000), undefined, null, 42, {}, ['8.8.8.8']]) {
      assert.equal(toLookupAddress(input), null, String(input).slice(0, 20));
    }
  });
});
