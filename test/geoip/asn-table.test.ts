import assert from 'node:assert/strict';
import { toLookupAddress } from '../../src/geoip/lookup-address.js';
import { AsnCsvError, AsnRangeTable, MAX_ASN_LINE } from '../../src/geoip/asn-table.js';

function ipv4(text: string): number {
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function ipv6(text: string): bigint {
  const a = toLookupAddress(text);
  assert.ok(a?.version === 6, text);
  return a.words.reduce((n, w) => (n << 32n) | BigInt(w), 0n);
}

function table(v4Lines: string[], v6Lines: string[] = []): AsnRangeTable {
  return AsnRangeTable.fromCsv(Buffer.from(v4Lines.join('\n') + '\n'), Buffer.from(v6Lines.join('\r\n')));
}

function look(t: AsnRangeTable, ip: string): { asn: number | null; asOrg: string | null } {
  const a = toLookupAddress(ip);
  assert.ok(a, ip);
  return t.lookup(a);
}

describe('geoip ASN range table', () => {
  it('finds the range holding an address, both ends included, and nothing between ranges', () => {
    const t = table([`${ipv4('8.8.8.0')},${ipv4('8.8.8.255')},15169,Google LLC`, `${ipv4('9.9.9.0')},${ipv4('9.9.9.255')},19281,Quad9`]);
    assert.deepEqual(look(t, '8.8.8.0'), { asn: 15169, asOrg: 'Google LLC' });
    assert.deepEqual(look(t, '8.8.8.255'), { asn: 15169, asOrg: 'Google LLC' });
    assert.deepEqual(look(t, '8.8.9.0'), { asn: null, asOrg: null });
    assert.deepEqual(look(t, '9.9.9.9'), { asn: 19281, asOrg: 'Quad9' });
    assert.deepEqual(look(t, '8.8.7.255'), { asn: null, asOrg: null });
    assert.deepEqual(look(t, '223.255.255.255'), { asn: null, asOrg: null });
  });

  it('reads 128-bit IPv6 bounds and CRLF line ends', () => {
    const t = table([], [
      `${ipv6('2001:4860::')},${ipv6('2001:4860:ffff:ffff:ffff:ffff:ffff:ffff')},15169,Google LLC`,
      `${ipv6('2a00:1450::')},${ipv6('2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff')},15169,Google LLC`,
    ]);
    assert.deepEqual(look(t, '2001:4860:4860::8888'), { asn: 15169, asOrg: 'Google LLC' });
    assert.deepEqual(look(t, '2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff'), { asn: 15169, asOrg: 'Google LLC' });
    assert.deepEqual(look(t, '2a00:1451::'), { asn: null, asOrg: null });
    assert.equal(t.stats.systems, 1, 'one shared record per distinct AS and organisation');
  });

  it('reads quoted organisations with commas and doubled quotes, and sanitises them', () => {
    const t = table([
      `${ipv4('1.1.1.0')},${ipv4('1.1.1.255')},13335,"Cloudflare, Inc."`,
      `${ipv4('2.2.2.0')},${ipv4('2.2.2.255')},201907,"LLC ""SPUTNIK"""`,
      `${ipv4('3.3.3.0')},${ipv4('3.3.3.255')},64496,Evil\u001b[2J\u202eNet`,
    ]);
    assert.equal(look(t, '1.1.1.1').asOrg, 'Cloudflare, Inc.');
    assert.equal(look(t, '2.2.2.2').asOrg, 'LLC "SPUTNIK"');
    assert.equal(look(t, '3.3.3.3').asOrg, 'Evil [2J Net');
  });

  it('lets a range that starts inside the previous one win from its start on', () => {
    // As in the packaged data: 214.95.0.0-215.0.255.255 (AS749), then 215.0.0.0-215.1.3.255 (AS721).
    const t = table([`${ipv4('214.95.0.0')},${ipv4('215.0.255.255')},749,DoD`, `${ipv4('215.0.0.0')},${ipv4('215.1.3.255')},721,DoD NIC`]);
    assert.equal(look(t, '214.255.1.2').asn, 749);
    assert.equal(look(t, '215.0.0.1').asn, 721);
    assert.equal(look(t, '215.1.3.255').asn, 721);
    assert.equal(look(t, '215.1.4.0').asn, null);
  });

  it('drops and counts rows out of order, with end before start, AS 0 or an address past 32 bits', () => {
    const t = table([
      `${ipv4('9.0.0.0')},${ipv4('9.0.0.255')},1,A`,
      `${ipv4('8.0.0.0')},${ipv4('8.0.0.255')},2,out of order`,
      `${ipv4('9.1.0.255')},${ipv4('9.1.0.0')},3,reversed`,
      `${ipv4('9.2.0.0')},${ipv4('9.2.0.255')},0,no AS`,
      `${ipv4('9.3.0.0')},4294967296,4,too big`,
      `${ipv4('9.4.0.0')},${ipv4('9.4.0.255')},5,E`,
    ]);
    assert.equal(t.stats.ipv4Ranges, 2);
    assert.equal(t.stats.skippedRows, 4);
    assert.equal(look(t, '8.0.0.1').asn, null);
    assert.equal(look(t, '9.4.0.1').asn, 5);
  });

  it('builds the same table from chunks of any size, lines split across them', () => {
    const lines = [`${ipv4('1.1.1.0')},${ipv4('1.1.1.255')},13335,"Cloudflare, Inc."`, `${ipv4('8.8.8.0')},${ipv4('8.8.8.255')},15169,Google LLC`, `${ipv4('9.9.9.0')},${ipv4('9.9.9.255')},19281,Quad9`];
    const whole = Buffer.from(lines.join('\r\n'));
    for (const size of [1, 2, 7, 16, 64]) {
      const t = new AsnRangeTable();
      const buf = Buffer.alloc(size + MAX_ASN_LINE + 2);
      let kept = 0;
      for (let at = 0; ; at += size) {
        const chunk = whole.subarray(at, at + size);
        chunk.copy(buf, kept);
        const length = kept + chunk.length;
        const used = t.feed(4, buf, length, chunk.length === 0);
        if (chunk.length === 0) break;
        buf.copy(buf, 0, used, length);
        kept = length - used;
      }
      t.done();
      assert.deepEqual(t.stats, { ipv4Ranges: 3, ipv6Ranges: 0, systems: 3, skippedRows: 0 }, `chunks of ${size}`);
      assert.equal(look(t, '1.1.1.1').asOrg, 'Cloudflare, Inc.', `chunks of ${size}`);
      assert.equal(look(t, '9.9.9.9').asn, 19281, `chunks of ${size}`);
    }
  });

  it('refuses a line that never ends instead of buffering it', () => {
    const t = new AsnRangeTable();
    const buf = Buffer.alloc(MAX_ASN_LINE + 10, 0x31);
    assert.throws(() => t.feed(4, buf, buf.length, false), /IPv4 file, line 1: longer than 1024 bytes/);
  });

  it('refuses a malformed line with its number and file, instead of guessing', () => {
    const cases: [string[], RegExp][] = [
      [['1,2,3,ok', 'garbage'], /IPv4 file, line 2: expected 4 comma-separated fields/],
      [['1,2,3,ok', '1,x,3,bad'], /line 2: expected a decimal/],
      [['10,20,3,"unterminated'], /line 1: unterminated quoted field/],
      [[`10,20,3,${'a'.repeat(MAX_ASN_LINE)}`], /line 1: longer than 1024 bytes/],
      [['-1,20,3,neg'], /line 1: expected a decimal/],
    ];
    for (const [lines, message] of cases) {
      assert.throws(() => table(lines), (err: unknown) => err instanceof AsnCsvError && message.test(err.message));
    }
    assert.throws(() => table([], ['1,2,3']), /IPv6 file, line 1/);
  });
});
