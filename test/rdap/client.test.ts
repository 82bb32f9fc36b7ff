import assert from 'node:assert/strict';
import { createRdapClient, type RdapClientOptions, type RdapLookupResult } from '../../src/rdap/index.js';
import { installNetworkGuard } from '../helpers/no-network.js';
import { startRdapServer, type TestRdapServer } from '../helpers/rdap-server.js';
import { fixture, loopbackBootstrap } from './support.js';

// Public addresses here are DATA: every request goes to the RDAP server on 127.0.0.1.
describe('RDAP client: finding the abuse contact (loopback RDAP server)', () => {
  let server: TestRdapServer;
  let results: RdapLookupResult[];
  let uninstall: () => void;
  const client = (o: RdapClientOptions = {}) => createRdapClient({ bootstrap: loopbackBootstrap(server.origin), timeoutMs: 2000, count: (r) => results.push(r), ...o });

  before(() => (uninstall = installNetworkGuard()));
  after(() => uninstall());
  beforeEach(async () => {
    results = [];
    server = await startRdapServer({
      '/ripe/ip/193.0.6.139': { body: fixture('ripe-ip.json') },
      '/ripe/ip/2001:67c:2e8:22::c100:68b': { body: fixture('ripe-ip6.json') },
      '/arin/ip/8.8.8.8': { body: fixture('arin-ip.json') },
      '/arin/ip/2001:4860:4860::8888': { body: fixture('arin-ip6.json') },
      '/afrinic/ip/41.1.2.3': { body: fixture('afrinic-ip.json') },
      '/lacnic/ip/200.57.141.161': { body: fixture('lacnic-ip.json') },
    });
  });
  afterEach(() => server.close());

  const registries: [string, string, string, string][] = [
    ['RIPE NCC (top-level abuse entity)', '193.0.6.139', 'abuse@ripe-ncc.example', '/ripe/'],
    ['RIPE NCC over IPv6', '2001:67c:2e8:22::c100:68b', 'abuse@ripe-ncc.example', '/ripe/'],
    ['ARIN (abuse nested under the registrant)', '8.8.8.8', 'network-abuse@google.example', '/arin/'],
    ['ARIN over IPv6 (expanded addresses)', '2001:4860:4860::8888', 'network-abuse@google.example', '/arin/'],
    ['AFRINIC (entities without roles, mailto: value)', '41.1.2.3', 'abuse@isp-za.example', '/afrinic/'],
    ['LACNIC (combined roles)', '200.57.141.161', 'operacion.redes@telecom-mx.example', '/lacnic/'],
  ];
  for (const [what, ip, email, path] of registries) {
    it(`asks the registry the bootstrap names and finds the contact: ${what}`, async () => {
      const got = await client().lookup(ip);
      assert.equal(got.contact, email);
      assert.equal(got.result, 'found');
      assert.equal(got.registry, `${server.origin}${path}`);
      assert.deepEqual(server.requests.map((r) => r.path), [`${path}ip/${ip}`]);
      assert.match(server.requests[0]!.accept ?? '', /application\/rdap\+json/);
      assert.deepEqual(results, ['found']);
    });
  }

  it('returns the network it came from, and answers any address inside it from the cache', async () => {
    const c = client();
    const first = await c.lookup('193.0.6.139');
    assert.deepEqual(first.network, { start: '193.0.0.0', end: '193.0.7.255', cidrs: ['193.0.0.0/21'], handle: '193.0.0.0 - 193.0.7.255', name: 'RIPE-NCC', country: 'NL' });
    const second = await c.lookup('193.0.1.200');
    assert.equal(second.contact, 'abuse@ripe-ncc.example');
    assert.equal(second.result, 'cached');
    assert.equal(server.requests.length, 1, 'no second request');
    assert.deepEqual(results, ['found', 'cached']);
    assert.equal(c.cacheSize(), 1);
  });

  it('does not answer an address outside the cached network from the cache', async () => {
    const c = client();
    await c.lookup('193.0.6.139');
    server.route('/ripe/ip/193.0.8.1', { status: 404 });
    const got = await c.lookup('193.0.8.1');
    assert.equal(got.result, 'none');
    assert.equal(server.requests.length, 2);
  });

  it('treats 404 as no contact and caches the negative answer', async () => {
    const c = client();
    server.route('/ripe/ip/193.0.9.9', { status: 404 });
    const got = await c.lookup('193.0.9.9');
    assert.deepEqual([got.contact, got.result], [null, 'none']);
    assert.match(got.reason, /HTTP 404/);
    const again = await c.lookup('193.0.9.10');
    assert.equal(again.result, 'cached');
    assert.equal(again.contact, null);
    assert.equal(server.hits('/ripe/ip/193.0.9.'), 1);
  });

  it('forgets a negative answer after its own TTL, and a positive one after its own', async () => {
    let now = 1_000_000;
    const c = client({ now: () => now, negativeTtlMs: 60_000, positiveTtlMs: 3_600_000 });
    server.route('/ripe/ip/193.0.9.9', { status: 404 });
    await c.lookup('193.0.9.9');
    await c.lookup('193.0.6.139');
    now += 120_000;
    assert.equal((await c.lookup('193.0.9.9')).result, 'none', 'asked again after the negative TTL');
    assert.equal((await c.lookup('193.0.6.139')).result, 'cached', 'still within the positive TTL');
    now += 3_600_000;
    assert.equal((await c.lookup('193.0.6.139')).result, 'found');
    assert.equal(server.requests.length, 4);
  });

  it('follows an RIR-to-RIR redirect (HTTP 301 with Location)', async () => {
    server.route('/arin/ip/203.0.113.7', { status: 301, location: `${server.origin}/apnic/ip/203.0.113.7` });
    server.route('/apnic/ip/203.0.113.7', { body: { ...(fixture('apnic-ip.json') as object), startAddress: '203.0.113.0', endAddress: '203.0.113.255', cidr0_cidrs: [] } });
    const got = await client().lookup('203.0.113.7');
    assert.equal(got.contact, 'helpdesk@apnic-labs.example');
    assert.equal(got.registry, `${server.origin}/apnic/`);
    assert.deepEqual(server.requests.map((r) => r.path), ['/arin/ip/203.0.113.7', '/apnic/ip/203.0.113.7']);
  });

  it('follows a `related` link from a registry that holds no contact for the address', async () => {
    server.route('/arin/ip/1.1.1.1', { body: fixture('arin-referral-to-apnic.json', server.origin) });
    server.route('/apnic/ip/1.1.1.1', { body: fixture('apnic-ip.json') });
    const got = await client().lookup('1.1.1.1');
    assert.equal(got.contact, 'helpdesk@apnic-labs.example');
    assert.deepEqual(got.network?.cidrs, ['1.1.1.0/24']);
    assert.deepEqual(server.requests.map((r) => r.path), ['/arin/ip/1.1.1.1', '/apnic/ip/1.1.1.1']);
  });

  it('stops after 3 hops of a redirect loop', async () => {
    server.route('/arin/ip/198.51.100.1', { status: 302, location: '/ripe/ip/198.51.100.1' });
    server.route('/ripe/ip/198.51.100.1', { status: 307, location: '/arin/ip/198.51.100.1' });
    const got = await client().lookup('198.51.100.1');
    assert.equal(got.result, 'error');
    assert.match(got.reason, /more than 3 RDAP redirects or referrals/);
    assert.equal(server.requests.length, 4, 'the first request and three hops');
  });

  it('refuses a redirect to a host that is not a registry in the bootstrap (no request is made)', async () => {
    server.route('/arin/ip/198.51.100.2', { status: 301, location: 'http://192.0.2.1/ip/198.51.100.2' });
    const got = await client().lookup('198.51.100.2');
    assert.equal(got.result, 'invalid');
    assert.match(got.reason, /http:\/\/192\.0\.2\.1 is not a registry in the bootstrap/);
    assert.equal(server.requests.length, 1);
  });

  it('refuses a redirect that is not an ip query, or that has no Location', async () => {
    server.route('/arin/ip/198.51.100.3', { status: 301, location: '/admin/delete' });
    server.route('/arin/ip/198.51.100.4', { status: 302 });
    assert.match((await client().lookup('198.51.100.3')).reason, /not an RDAP ip query/);
    assert.match((await client().lookup('198.51.100.4')).reason, /no Location header/);
  });

  it('sends every lookup to one base URL with --rdap-url (baseUrl), ignoring the bootstrap', async () => {
    server.route('/mirror/ip/8.8.8.8', { body: fixture('arin-ip.json') });
    const got = await client({ baseUrl: `${server.origin}/mirror` }).lookup('8.8.8.8');
    assert.equal(got.contact, 'network-abuse@google.example');
    assert.equal(got.registry, `${server.origin}/mirror/`);
    assert.deepEqual(server.requests.map((r) => r.path), ['/mirror/ip/8.8.8.8']);
  });

  it('refuses a --rdap-url that is not an http(s) base URL, at creation', () => {
    for (const bad of ['rdap.example.net', 'ftp://rdap.example.net/', 'https://u:p@rdap.example.net/', 'https://rdap.example.net/?q=1']) {
      assert.throws(() => createRdapClient({ baseUrl: bad }), /--rdap-url must be an http\(s\) base URL/, bad);
    }
  });

  it('answers "none" without a request for space no registry in the bootstrap covers', async () => {
    const got = await client().lookup('100.64.0.1');
    assert.deepEqual([got.result, server.requests.length], ['none', 0]);
    assert.match(got.reason, /no RDAP registry is listed/);
  });

  it('answers "invalid" for something that is not an address, without a request', async () => {
    for (const bad of ['not-an-ip', '193.0.6.0/24', '', '127.1']) assert.equal((await client().lookup(bad)).result, 'invalid', bad);
    assert.equal(server.requests.length, 0);
  });

  it('shares one lookup among concurrent callers in the same network', async () => {
    server.route('/ripe/ip/193.0.6.139', { body: fixture('ripe-ip.json'), delayMs: 150 });
    server.route('/ripe/ip/193.0.6.1', { body: fixture('ripe-ip.json'), delayMs: 150 });
    const c = client();
    const got = await Promise.all(['193.0.6.139', '193.0.6.1', '193.0.6.139', '193.0.6.1'].map((ip) => c.lookup(ip)));
    assert.ok(got.every((g) => g.contact === 'abuse@ripe-ncc.example'));
    assert.equal(server.requests.length, 1);
    assert.deepEqual([...results].sort(), ['cached', 'cached', 'cached', 'found']);
  });

  it('counts every lookup under a small fixed set of results', async () => {
    const c = client();
    server.route('/ripe/ip/193.0.9.9', { status: 404 });
    server.route('/ripe/ip/193.0.10.1', { status: 429, retryAfter: '30' });
    await c.lookup('193.0.6.139');
    await c.lookup('193.0.6.140');
    await c.lookup('193.0.9.9');
    await c.lookup('193.0.10.1');
    await c.lookup('bogus');
    assert.deepEqual(results, ['found', 'cached', 'none', 'rate-limited', 'invalid']);
  });
});
