import assert from 'node:assert/strict';
import { createRdapClient, type RdapClientOptions, type RdapLookupResult } from '../../src/rdap/index.js';
import { installNetworkGuard } from '../helpers/no-network.js';
import { startRdapServer, type TestRdapServer } from '../helpers/rdap-server.js';
import { deeplyNested, fixture } from './support.js';

const network = (start: string, end: string, email: string) => ({
  objectClassName: 'ip network', startAddress: start, endAddress: end,
  entities: [{ roles: ['abuse'], vcardArray: ['vcard', [['email', {}, 'text', email]]] }],
});

describe('RDAP client: bounds and hostile answers (loopback RDAP server)', () => {
  let server: TestRdapServer;
  let results: RdapLookupResult[];
  let now: number;
  let uninstall: () => void;
  const client = (o: RdapClientOptions = {}) =>
    createRdapClient({ baseUrl: `${server.origin}/rir/`, timeoutMs: 1000, now: () => now, count: (r) => results.push(r), ...o });

  before(() => (uninstall = installNetworkGuard()));
  after(() => uninstall());
  beforeEach(async () => {
    results = [];
    now = 1_700_000_000_000;
    server = await startRdapServer();
  });
  afterEach(() => server.close());

  describe('per-server back-off', () => {
    it('honours a 429 Retry-After in seconds: no request until it has passed', async () => {
      const c = client();
      server.route('/rir/ip/192.0.2.1', { status: 429, retryAfter: '120' });
      server.route('/rir/ip/198.51.100.1', { body: network('198.51.100.0', '198.51.100.255', 'abuse@b.example') });
      const first = await c.lookup('192.0.2.1');
      assert.equal(first.result, 'rate-limited');
      assert.match(first.reason, /HTTP 429.*120 s/);
      const during = await c.lookup('198.51.100.1');
      assert.equal(during.result, 'rate-limited', 'another address on the same server waits too');
      assert.match(during.reason, /backed off/);
      assert.equal(server.requests.length, 1);
      now += 121_000;
      assert.equal((await c.lookup('198.51.100.1')).contact, 'abuse@b.example');
      assert.equal(server.requests.length, 2);
    });

    it('honours a Retry-After HTTP date, and does not cache the rate-limited answer', async () => {
      const c = client();
      server.route('/rir/ip/192.0.2.1', (_p, hit) => (hit === 1 ? { status: 429, retryAfter: new Date(now + 30_000).toUTCString() } : { body: network('192.0.2.0', '192.0.2.255', 'abuse@a.example') }));
      assert.equal((await c.lookup('192.0.2.1')).result, 'rate-limited');
      now += 10_000;
      assert.equal((await c.lookup('192.0.2.1')).result, 'rate-limited');
      now += 21_000;
      assert.equal((await c.lookup('192.0.2.1')).contact, 'abuse@a.example');
      assert.equal(server.requests.length, 2);
    });

    it('caps a hostile Retry-After at the configured maximum', async () => {
      const c = client({ backoff: { retryAfterCapMs: 60_000 } });
      server.route('/rir/ip/192.0.2.1', (_p, hit) => (hit === 1 ? { status: 429, retryAfter: '31536000' } : { status: 404 }));
      await c.lookup('192.0.2.1');
      now += 61_000;
      assert.equal((await c.lookup('192.0.2.1')).result, 'none');
    });

    it('backs a failing server off exponentially after 5xx answers', async () => {
      const c = client({ backoff: { baseMs: 1000, maxMs: 60_000 } });
      server.route('/rir/ip/192.0.2.1', { status: 503 });
      assert.equal((await c.lookup('192.0.2.1')).result, 'error');
      now += 500;
      assert.equal((await c.lookup('192.0.2.1')).result, 'rate-limited');
      now += 600;
      assert.equal((await c.lookup('192.0.2.1')).result, 'error', 'asked again after 1 s, failed again');
      now += 1500;
      assert.equal((await c.lookup('192.0.2.1')).result, 'rate-limited', 'now backed off 2 s');
      now += 600;
      assert.equal((await c.lookup('192.0.2.1')).result, 'error');
      assert.equal(server.requests.length, 3);
    });

    it('times out a slow server and backs it off', async () => {
      const c = client({ timeoutMs: 100 });
      server.route('/rir/ip/192.0.2.1', { body: network('192.0.2.0', '192.0.2.255', 'abuse@a.example'), delayMs: 1000 });
      const got = await c.lookup('192.0.2.1');
      assert.equal(got.result, 'timeout');
      assert.match(got.reason, /did not answer within 100 ms/);
      assert.equal((await c.lookup('192.0.2.9')).result, 'rate-limited');
    });

    it('times out a server that sends headers and then stalls the body', async () => {
      server.route('/rir/ip/192.0.2.1', { body: network('192.0.2.0', '192.0.2.255', 'abuse@a.example'), stallBody: true });
      assert.equal((await client({ timeoutMs: 150 }).lookup('192.0.2.1')).result, 'timeout');
    });
  });

  describe('hostile and malformed answers', () => {
    it('rejects a malformed body as invalid, caching that briefly so it is not asked in a loop', async () => {
      const c = client({ transientTtlMs: 5000 });
      server.route('/rir/ip/192.0.2.1', { body: '{"objectClassName": "ip network", "startAddress": ' });
      const got = await c.lookup('192.0.2.1');
      assert.deepEqual([got.result, got.contact], ['invalid', null]);
      assert.match(got.reason, /not valid JSON/);
      assert.equal((await c.lookup('192.0.2.2')).result, 'cached');
      now += 6000;
      await c.lookup('192.0.2.2');
      assert.equal(server.requests.length, 2);
    });

    it('aborts an over-long body (a 10 MB vCard array) at the cap while it streams', async () => {
      server.route('/rir/ip/192.0.2.1', { streamBytes: 10 * 1024 * 1024 });
      const got = await client({ maxBodyBytes: 512 * 1024 }).lookup('192.0.2.1');
      assert.equal(got.result, 'invalid');
      assert.match(got.reason, /exceeds 524288 bytes/);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(server.streamed < 4 * 1024 * 1024, `the transfer was cut off (${server.streamed} bytes sent)`);
    });

    it('refuses a body whose Content-Length is over the cap without reading it', async () => {
      server.route('/rir/ip/192.0.2.1', { body: network('192.0.2.0', '192.0.2.255', `abuse@${'a'.repeat(600)}.example`) });
      assert.equal((await client({ maxBodyBytes: 256 }).lookup('192.0.2.1')).result, 'invalid');
    });

    it('rejects an email with CRLF in it, and keeps CR/LF out of everything it returns', async () => {
      server.route('/rir/ip/203.0.113.9', { body: fixture('hostile-crlf.json') });
      const got = await client().lookup('203.0.113.9');
      assert.deepEqual([got.result, got.contact], ['invalid', null]);
      assert.doesNotMatch(JSON.stringify(got), /\\r|\\n|Bcc|victim/);
    });

    it('answers "none" for a redacted abuse contact', async () => {
      server.route('/rir/ip/198.51.100.7', { body: fixture('arin-redacted.json') });
      const got = await client().lookup('198.51.100.7');
      assert.deepEqual([got.result, got.contact, got.network?.handle], ['none', null, 'NET-198-51-100-0-1']);
    });

    it('survives 10,000 nested entities (under the body cap) without recursing into them', async () => {
      server.route('/rir/ip/193.0.0.1', { body: deeplyNested(10_000) });
      const got = await client().lookup('193.0.0.1');
      assert.deepEqual([got.result, got.contact], ['none', null]);
    });

    it('refuses an answer about a network that does not contain the address', async () => {
      server.route('/rir/ip/192.0.2.1', { body: network('198.51.100.0', '198.51.100.255', 'abuse@b.example') });
      const got = await client().lookup('192.0.2.1');
      assert.equal(got.result, 'invalid');
      assert.match(got.reason, /does not contain the queried address/);
    });

    it('caches an answer that claims a huge network only for the queried /24', async () => {
      const c = client();
      server.route('/rir/ip/192.0.2.1', { body: network('0.0.0.0', '255.255.255.255', 'abuse@everything.example') });
      server.route('/rir/ip/198.51.100.1', { status: 404 });
      assert.equal((await c.lookup('192.0.2.1')).contact, 'abuse@everything.example');
      assert.equal((await c.lookup('192.0.2.200')).result, 'cached');
      assert.equal((await c.lookup('198.51.100.1')).result, 'none', 'the claim did not absorb other networks');
    });
  });

  describe('in-flight and cache bounds', () => {
    it('never has more than maxInFlight requests open at once', async () => {
      const c = client({ maxInFlight: 2 });
      const ips = Array.from({ length: 8 }, (_, i) => `10.${i}.0.1`);
      for (const ip of ips) server.route(`/rir/ip/${ip}`, { status: 404, delayMs: 40 });
      const got = await Promise.all(ips.map((ip) => c.lookup(ip)));
      assert.ok(got.every((g) => g.result === 'none'));
      assert.equal(server.requests.length, 8);
      assert.equal(server.maxConcurrent, 2);
    });

    it('answers "rate-limited" when the wait queue is full, without a request', async () => {
      const c = client({ maxInFlight: 1, maxQueued: 1 });
      for (const ip of ['10.0.0.1', '10.1.0.1', '10.2.0.1']) server.route(`/rir/ip/${ip}`, { status: 404, delayMs: 50 });
      const got = await Promise.all(['10.0.0.1', '10.1.0.1', '10.2.0.1'].map((ip) => c.lookup(ip)));
      assert.deepEqual(got.map((g) => g.result), ['none', 'none', 'rate-limited']);
      assert.match(got[2]!.reason, /more than 1 RDAP lookups are waiting/);
      assert.equal(server.requests.length, 2);
    });

    it('keeps at most cacheMax networks (least recently used go first)', async () => {
      const c = client({ cacheMax: 2 });
      for (const ip of ['10.0.0.1', '10.1.0.1', '10.2.0.1']) server.route(`/rir/ip/${ip}`, { status: 404 });
      for (const ip of ['10.0.0.1', '10.1.0.1', '10.2.0.1']) await c.lookup(ip);
      assert.equal(c.cacheSize(), 2);
      assert.equal((await c.lookup('10.2.0.1')).result, 'cached');
      assert.equal((await c.lookup('10.0.0.1')).result, 'none', 'the oldest was evicted and asked again');
    });

    it('answers queued lookups with an error once closed, and makes no further requests', async () => {
      const c = client({ maxInFlight: 1 });
      server.route('/rir/ip/10.0.0.1', { status: 404, delayMs: 100 });
      server.route('/rir/ip/10.1.0.1', { status: 404 });
      const first = c.lookup('10.0.0.1');
      const queued = c.lookup('10.1.0.1');
      await new Promise((r) => setTimeout(r, 20));
      c.close();
      assert.equal((await queued).result, 'error');
      assert.notEqual((await first).result, 'found');
      assert.equal(server.hits('/rir/ip/10.1.0.1'), 0);
    });
  });
});
