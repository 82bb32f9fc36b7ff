import assert from 'node:assert/strict';
import { afterFailure, retryDelay } from '../../src/notify/backoff.js';
import { domainCap, eligibility, globalCap, recipientDomain } from '../../src/notify/policy.js';

const none = { allow: [], allowPrivate: [] };

describe('notice policy (pure)', () => {
  it('allows a public unicast address', () => {
    assert.deepEqual(eligibility('45.33.32.156', none), { ok: true });
    assert.deepEqual(eligibility('2600:3c01::f03c:91ff:fe18:bb2f', none), { ok: true });
  });

  const special: [string, string][] = [
    ['127.0.0.1', 'loopback'], ['::1', 'loopback'], ['10.1.2.3', 'private'], ['192.168.1.1', 'private'],
    ['172.16.0.1', 'private'], ['169.254.1.1', 'linkLocal'], ['fe80::1', 'linkLocal'], ['100.64.0.1', 'carrierGradeNat'],
    ['192.0.2.7', 'reserved'], ['198.51.100.7', 'reserved'], ['203.0.113.7', 'reserved'], ['2001:db8::7', 'reserved'],
    ['224.0.0.1', 'multicast'], ['ff02::1', 'multicast'], ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['240.0.0.1', 'reserved'], ['fc00::1', 'uniqueLocal'], ['::ffff:10.0.0.1', 'private'],
  ];
  for (const [ip, range] of special) {
    it(`never writes to ${ip} (${range})`, () => {
      const d = eligibility(ip, none);
      assert.equal(d.ok, false);
      assert.match((d as { reason: string }).reason, new RegExp(range));
    });
  }

  it('never writes to an --allow address, by CIDR or single address', () => {
    assert.equal(eligibility('45.33.32.156', { allow: ['45.33.32.0/24'], allowPrivate: [] }).ok, false);
    assert.equal(eligibility('45.33.32.156', { allow: ['45.33.32.156'], allowPrivate: [] }).ok, false);
    assert.equal(eligibility('45.33.33.1', { allow: ['45.33.32.0/24'], allowPrivate: [] }).ok, true);
  });

  it('re-enables notices only for the ranges named in noticeAllowPrivate', () => {
    const rules = { allow: ['45.33.32.0/24'], allowPrivate: ['10.0.0.0/8', '45.33.32.156/32'] };
    assert.equal(eligibility('10.9.9.9', rules).ok, true);
    assert.equal(eligibility('45.33.32.156', rules).ok, true);
    assert.equal(eligibility('192.168.0.1', rules).ok, false);
    assert.equal(eligibility('45.33.32.1', rules).ok, false);
  });

  it('rejects what is not an address', () => {
    assert.equal(eligibility('not-an-ip', none).ok, false);
  });

  it('suppresses once the global hourly cap is reached', () => {
    assert.equal(globalCap({ lastHour: 99, maxPerHour: 100 }), null);
    assert.match(globalCap({ lastHour: 100, maxPerHour: 100 })!, /hourly cap of 100/);
  });

  it('suppresses once any recipient domain reached its hourly cap', () => {
    const counts = new Map([['example.net', 3], ['[45.33.32.156]', 0]]);
    assert.equal(domainCap(['[45.33.32.156]', 'example.net'], counts, 4), null);
    assert.match(domainCap(['[45.33.32.156]', 'example.net'], counts, 3)!, /example\.net/);
  });

  it('counts a host name by its last two labels and an address literal as itself', () => {
    assert.equal(recipientDomain('administrator@c-1-2.hsd1.Example.NET'), 'example.net');
    assert.equal(recipientDomain('root@[45.33.32.156]'), '[45.33.32.156]');
    assert.equal(recipientDomain('root@[IPv6:2001:db8::7]'), '[ipv6:2001:db8::7]');
  });
});

describe('retry back-off (pure)', () => {
  it('doubles from the base, with jitter between half and the full delay, capped at the maximum', () => {
    assert.equal(retryDelay(1, 60_000, 21_600_000, 0), 30_000);
    assert.equal(retryDelay(1, 60_000, 21_600_000, 1), 60_000);
    assert.equal(retryDelay(3, 60_000, 21_600_000, 1), 240_000);
    assert.equal(retryDelay(30, 60_000, 21_600_000, 1), 21_600_000);
    assert.equal(retryDelay(1000, 60_000, 21_600_000, 0.5), 16_200_000);
  });

  const o = { base: 60_000, max: 21_600_000, random: 1 };
  it('retries a 4xx reply and a connection error', () => {
    assert.deepEqual(afterFailure({ responseCode: 451, response: '451 4.3.0 Try again', message: 'x' }, 1, 0, 1e9, o), { kind: 'retry', at: 60_000, reason: '451 4.3.0 Try again' });
    assert.equal(afterFailure({ code: 'ESOCKET', message: 'connect ECONNREFUSED' }, 2, 0, 1e9, o).kind, 'retry');
  });

  it('fails a 5xx reply at once, keeping the reply on one line', () => {
    assert.deepEqual(afterFailure({ responseCode: 554, response: '554 5.7.1 Relaying\r\ndenied', message: 'x' }, 1, 0, 1e9, o), { kind: 'failed', reason: '554 5.7.1 Relaying denied' });
  });

  it('fails when the next retry would pass the maximum age', () => {
    const r = afterFailure({ responseCode: 421, response: '421 busy', message: 'x' }, 5, 1000, 2000, o);
    assert.equal(r.kind, 'failed');
    assert.match((r as { reason: string }).reason, /max age/);
  });
});
