import assert from 'node:assert/strict';
import { formatPrefix, parseAddr, rangeToPrefixes } from '../../src/rdap/prefix.js';
import { backoffDelay, checkMailbox, findAbuseContact, parseRetryAfter } from '../../src/rdap/index.js';
import { parseNetwork } from '../../src/rdap/network.js';
import { deeplyNested, fixture } from './support.js';

const addr = (s: string) => parseAddr(s)!;

describe('RDAP answers: abuse contact (pure)', () => {
  const cases: [string, string, string][] = [
    ['RIPE NCC: abuse entity at the top level', 'ripe-ip.json', 'abuse@ripe-ncc.example'],
    ['ARIN: abuse POC nested under the registrant', 'arin-ip.json', 'network-abuse@google.example'],
    ['APNIC: IRT nested under the registrant', 'apnic-ip.json', 'helpdesk@apnic-labs.example'],
    ['AFRINIC: entities without roles, a mailto: uri value', 'afrinic-ip.json', 'abuse@isp-za.example'],
    ['LACNIC: one entity with administrative, technical and abuse roles (domain lower-cased)', 'lacnic-ip.json', 'operacion.redes@telecom-mx.example'],
  ];
  for (const [what, name, email] of cases) {
    it(`finds the abuse mailbox in the ${what}`, () => {
      assert.deepEqual(findAbuseContact(fixture(name)), { kind: 'found', email });
    });
  }

  it('prefers a top-level abuse entity over a nested one', () => {
    const vcard = (e: string) => ['vcard', [['email', {}, 'text', e]]];
    const answer = { entities: [{ roles: ['registrant'], entities: [{ roles: ['abuse'], vcardArray: vcard('nested@x.example') }] }, { roles: ['abuse'], vcardArray: vcard('top@x.example') }] };
    assert.deepEqual(findAbuseContact(answer), { kind: 'found', email: 'top@x.example' });
  });

  it('ignores the emails of entities that are not abuse contacts', () => {
    assert.equal(findAbuseContact({ entities: [{ roles: ['technical'], vcardArray: ['vcard', [['email', {}, 'text', 'tech@x.example']]] }] }).kind, 'none');
  });

  it('treats "REDACTED FOR PRIVACY" and empty values as no contact', () => {
    const got = findAbuseContact(fixture('arin-redacted.json'));
    assert.equal(got.kind, 'none');
    assert.match((got as { reason: string }).reason, /redacted or a placeholder/);
  });

  it('rejects CRLF, lists and structured values, never returning them', () => {
    const got = findAbuseContact(fixture('hostile-crlf.json'));
    assert.equal(got.kind, 'invalid');
    assert.match((got as { reason: string }).reason, /control characters/);
    assert.doesNotMatch(JSON.stringify(got), /victim/);
  });

  it('stops at a bounded depth in deeply nested entities instead of recursing', () => {
    const got = findAbuseContact(JSON.parse(deeplyNested(5000)));
    assert.equal(got.kind, 'none');
  });

  it('looks at a bounded number of entities', () => {
    const many = { entities: Array.from({ length: 1000 }, () => ({ roles: ['technical'] })).concat([{ roles: ['abuse'], vcardArray: ['vcard', [['email', {}, 'text', 'late@x.example']]] } as never]) };
    assert.equal(findAbuseContact(many).kind, 'none');
  });

  const mailboxes: [unknown, string][] = [
    ['abuse@example.net', 'ok'],
    ["o'brien+abuse@sub.example.co.uk", 'ok'],
    ['abuse@privacyguard.example', 'ok'],
    ['', 'placeholder'],
    ['   ', 'placeholder'],
    ['redacted', 'placeholder'],
    ['REDACTED FOR PRIVACY', 'placeholder'],
    ['redacted@redacted.invalid', 'placeholder'],
    ['n/a', 'placeholder'],
    ['abuse@x.example\r\nBcc: a@b.example', 'the email contains control characters'],
    ['abuse@x.example\u2028', 'the email contains control characters'],
    ['a@b.example, c@d.example', 'the email is not a single mailbox'],
    ['Abuse <abuse@x.example>', 'the email is not a single mailbox'],
    ['"quoted"@x.example', 'the email is not a single mailbox'],
    ['a@b@x.example', 'the email is not a single mailbox'],
    ['abuse', 'the email is not a single mailbox'],
    ['.abuse@x.example', 'the email has an invalid local part'],
    ['abuse@localhost', 'the email has an invalid domain'],
    ['abuse@1.2.3.4', 'the email has an invalid domain'],
    ['abuse@-bad-.example', 'the email has an invalid domain'],
    [`${'a'.repeat(65)}@x.example`, 'the email has an invalid local part'],
    [`abuse@${'a'.repeat(250)}.example`, 'the email is longer than 254 characters'],
    [42, 'the email is not a string'],
  ];
  for (const [value, expected] of mailboxes) {
    it(`classifies ${JSON.stringify(value).slice(0, 50)} as ${expected}`, () => assert.equal(checkMailbox(value), expected));
  }
});

describe('RDAP answers: the network (pure)', () => {
  it('takes the network from startAddress/endAddress and the cidr0 prefixes, sanitised', () => {
    const got = parseNetwork(fixture('ripe-ip.json'), addr('193.0.6.139'));
    assert.ok('ok' in got);
    assert.deepEqual(got.ok.network, { start: '193.0.0.0', end: '193.0.7.255', cidrs: ['193.0.0.0/21'], handle: '193.0.0.0 - 193.0.7.255', name: 'RIPE-NCC', country: 'NL' });
  });

  it('reads fully expanded IPv6 (ARIN) and prefix-suffixed addresses (old RIPE answers)', () => {
    const arin = parseNetwork(fixture('arin-ip6.json'), addr('2001:4860:4860::8888'));
    assert.ok('ok' in arin);
    assert.deepEqual([arin.ok.network.start, arin.ok.network.cidrs], ['2001:4860::', ['2001:4860::/32']]);
    const ripe = parseNetwork(fixture('ripe-ip6.json'), addr('2001:67c:2e8:22::c100:68b'));
    assert.ok('ok' in ripe);
    assert.deepEqual(ripe.ok.network.cidrs, ['2001:67c:2e8::/48']);
  });

  it('strips control characters from names and refuses a country that is not two letters', () => {
    const got = parseNetwork(fixture('hostile-crlf.json'), addr('203.0.113.9'));
    assert.ok('ok' in got);
    assert.equal(got.ok.network.name, 'EVIL X-Injected: yes');
    assert.equal(got.ok.network.country, null);
  });

  it('refuses a network that does not contain the queried address', () => {
    const got = parseNetwork(fixture('ripe-ip.json'), addr('193.0.8.1'));
    assert.deepEqual(got, { error: 'the network in the RDAP answer does not contain the queried address' });
  });

  it('ignores cidr0 prefixes outside the range and splits the range itself', () => {
    const answer = { startAddress: '10.0.0.0', endAddress: '10.0.2.255', cidr0_cidrs: [{ v4prefix: '10.0.0.0', length: 8 }] };
    const got = parseNetwork(answer, addr('10.0.1.1'));
    assert.ok('ok' in got);
    assert.deepEqual(got.ok.network.cidrs, ['10.0.0.0/23', '10.0.2.0/24']);
  });

  it('splits any range into the fewest prefixes', () => {
    const split = (a: string, b: string) => rangeToPrefixes(addr(a), addr(b))!.map(formatPrefix);
    assert.deepEqual(split('192.0.2.0', '192.0.2.255'), ['192.0.2.0/24']);
    assert.deepEqual(split('192.0.2.1', '192.0.2.6'), ['192.0.2.1/32', '192.0.2.2/31', '192.0.2.4/31', '192.0.2.6/32']);
    assert.deepEqual(split('0.0.0.0', '255.255.255.255'), ['0.0.0.0/0']);
    assert.equal(rangeToPrefixes(addr('::'), addr('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe')), null, '127 prefixes exceed the bound of 64');
  });
});

describe('RDAP back-off (pure)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads Retry-After as seconds or an HTTP date, capped at an hour', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:05:00 GMT', now), 300_000);
    assert.equal(parseRetryAfter('99999999', now), 3_600_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0, 'a date in the past');
  });
  it('ignores a Retry-After it cannot read', () => {
    for (const v of [null, '', 'soon', '-5', '1.5', '2026-01-01 bogus']) assert.equal(parseRetryAfter(v, now), null, String(v));
  });
  it('doubles the back-off per failure up to its cap', () => {
    assert.deepEqual([1, 2, 3, 10, 100].map((n) => backoffDelay(n, 1000, 60_000)), [1000, 2000, 4000, 60_000, 60_000]);
  });
});
