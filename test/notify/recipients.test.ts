import assert from 'node:assert/strict';
import { addressLiteral, buildRecipients, forwardConfirms, hostnameProblem, normaliseHostname } from '../../src/notify/recipients.js';

const DEFAULT = ['administrator@{ip}', 'administrator@{hostname}', 'root@{ip}', 'all@{ip}'];

describe('notice recipients (pure)', () => {
  it('writes addresses as RFC 5321 address literals', () => {
    assert.equal(addressLiteral('192.0.2.7'), '[192.0.2.7]');
    assert.equal(addressLiteral('2001:DB8:0::7'), '[IPv6:2001:db8::7]');
    assert.equal(addressLiteral('::ffff:192.0.2.7'), '[192.0.2.7]');
  });

  it('builds the four default recipients with a confirmed host name', () => {
    assert.deepEqual(buildRecipients(DEFAULT, '45.33.32.156', 'host.example.net'), {
      to: ['administrator@[45.33.32.156]', 'administrator@host.example.net', 'root@[45.33.32.156]', 'all@[45.33.32.156]'],
      dropped: [],
    });
  });

  it('drops host-name templates without a confirmed name, and says which', () => {
    assert.deepEqual(buildRecipients(DEFAULT, '2001:db8::7', null), {
      to: ['administrator@[IPv6:2001:db8::7]', 'root@[IPv6:2001:db8::7]', 'all@[IPv6:2001:db8::7]'],
      dropped: ['administrator@{hostname}'],
    });
  });

  it('keeps fixed templates and removes duplicates', () => {
    assert.deepEqual(buildRecipients(['abuse@example.org', 'root@{ip}', 'ROOT@{ip}'], '45.33.32.156', null).to, ['abuse@example.org', 'root@[45.33.32.156]']);
  });

  it('accepts plain LDH host names, lower-cased, trailing dot removed', () => {
    assert.equal(hostnameProblem('host-1.example.net'), null);
    assert.equal(normaliseHostname('Host-1.Example.NET.'), 'host-1.example.net');
    assert.equal(hostnameProblem(`${'a'.repeat(63)}.example.net`), null);
  });

  const bad: [string, RegExp][] = [
    ['evil\r\n.example.net', /control/],
    ['x.example.net\r\nBcc: x@y', /control/],
    ['bad_name.example.net', /characters/],
    ['sp ace.example.net', /characters/],
    ['-lead.example.net', /characters/],
    ['trail-.example.net', /characters/],
    ['a..example.net', /characters/],
    [`${'a'.repeat(64)}.example.net`, /63/],
    [`${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}.net`, /253/],
    ['localhost', /qualified/],
    ['1.2.3.4', /numeric/],
    ['', /empty/],
    ['hôst.example.net', /characters/],
  ];
  for (const [name, why] of bad) {
    it(`rejects the PTR name ${JSON.stringify(name).slice(0, 40)}`, () => {
      assert.match(hostnameProblem(name) ?? 'accepted', why);
      assert.equal(normaliseHostname(name), null);
    });
  }

  it('confirms forward answers by parsed address, not by spelling', () => {
    assert.equal(forwardConfirms('2001:db8::7', ['2001:0db8:0:0:0:0:0:7']), true);
    assert.equal(forwardConfirms('45.33.32.156', ['45.33.32.157', 'junk']), false);
  });
});
