import assert from 'node:assert/strict';
import { ReverseDns, type LookupResult } from '../../src/notify/dns.js';
import { startDns, type TestDns } from './support.js';

// Public-looking addresses are DATA only: every query goes to the DNS server on 127.0.0.1.
const IP = '45.33.32.156';
const IP6 = '2600:3c01::f03c:91ff:fe18:bb2f';

describe('reverse DNS for notices (real DNS server on loopback)', () => {
  let dns: TestDns;
  let results: LookupResult[];
  const resolver = (timeoutMs = 1000, maxInFlight = 4) =>
    new ReverseDns({ servers: [dns.server], timeoutMs, maxInFlight, cacheTtlMs: 60_000 }, (r) => results.push(r));

  beforeEach(async () => {
    results = [];
    dns = await startDns({
      ptr: { [IP]: ['Host.Example.NET'], [IP6]: ['v6.example.net'] },
      a: { 'host.example.net': [IP] },
      aaaa: { 'v6.example.net': [IP6] },
    });
  });
  afterEach(() => dns.close());

  it('accepts a PTR name whose A record contains the address (forward-confirmed), lower-cased', async () => {
    assert.deepEqual(await resolver().lookup(IP), { hostname: 'host.example.net' });
    assert.deepEqual(results, ['confirmed']);
  });

  it('confirms IPv6 names through AAAA', async () => {
    assert.deepEqual(await resolver().lookup(IP6), { hostname: 'v6.example.net' });
  });

  const hostile: [string, string][] = [
    ['CR/LF inside the name', 'evil\r\n.example.net'],
    ['a header injection', 'x.example.net\r\nBcc: x@y'],
    ['invalid characters', 'bad_name!.example.net'],
    ['a label over 63 characters', `${'a'.repeat(64)}.example.net`],
    ['a name over 253 characters', `${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}.net`],
  ];
  for (const [what, name] of hostile) {
    it(`drops a PTR name with ${what}, even when its forward lookup would confirm it`, async () => {
      dns.zone.ptr = { [IP]: [name] };
      dns.zone.a = { [name.toLowerCase()]: [IP] };
      const got = await resolver().lookup(IP);
      assert.equal(got.hostname, null);
      // An over-long label cannot even be encoded on the wire, so the resolver sees no usable answer.
      assert.ok(['invalid', 'error', 'none'].includes(results[0]!), `rejected (${results[0]})`);
      assert.ok(!('reason' in got) || !/[\r\n]/.test(got.reason), 'the reason carries no CR/LF');
    });
  }

  it('drops a PTR name that does not resolve back to the address', async () => {
    dns.zone.a = { 'host.example.net': ['45.33.32.157'] };
    const got = await resolver().lookup(IP);
    assert.equal(got.hostname, null);
    assert.match((got as { reason: string }).reason, /does not resolve back/);
    assert.deepEqual(results, ['unconfirmed']);
  });

  it('answers "none" for an address without PTR and caches the negative answer', async () => {
    const r = resolver();
    assert.equal((await r.lookup('45.33.32.1')).hostname, null);
    const before = dns.queries.length;
    assert.equal((await r.lookup('45.33.32.1')).hostname, null);
    assert.equal(dns.queries.length, before, 'second lookup served from the cache');
    assert.deepEqual(results, ['none', 'cached']);
  });

  it('gives up after the time-out when the server never answers', async () => {
    dns.zone.hang = true;
    const got = await resolver(200).lookup(IP);
    assert.equal(got.hostname, null);
    assert.match((got as { reason: string }).reason, /timed out/);
    assert.deepEqual(results, ['timeout']);
  });

  it('keeps at most dnsMaxInFlight lookups in flight', async () => {
    dns.zone.hang = true;
    const r = resolver(150, 2);
    let settled = 0;
    const startedWhileSettled: number[] = [];
    const seen = new Set<string>();
    dns.onQuery = (name) => {
      if (!seen.has(name)) (seen.add(name), startedWhileSettled.push(settled));
    };
    const ips = ['45.33.32.1', '45.33.32.2', '45.33.32.3', '45.33.32.4', '45.33.32.5'];
    await Promise.all(ips.map((ip) => r.lookup(ip).then(() => settled++)));
    assert.equal(startedWhileSettled.length, 5);
    // The k-th address (0-based) can only be asked once k-1 lookups have finished.
    startedWhileSettled.forEach((done, k) => assert.ok(done >= k - 1, `address ${k} started with ${done} finished`));
  });
});
