import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { installNetworkGuard, isLoopbackHost, NetworkGuardError } from './no-network.js';

// 192.0.2.1 is TEST-NET-1 (RFC 5737): the guard must refuse it before any packet is sent.
const OUTSIDE = '192.0.2.1';

describe('test network guard', () => {
  let uninstall: () => void;
  let server: http.Server;
  let port: number;

  before(async () => {
    server = http.createServer((_q, r) => r.end('loopback ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (uninstall = installNetworkGuard()));
  afterEach(() => uninstall());

  it('refuses net.connect to a non-loopback address, naming it and the fix', () => {
    assert.throws(() => net.connect(80, OUTSIDE), (err: Error) => {
      // By code, not instanceof: with the --import preload the helper may be a second module instance.
      assert.equal((err as NetworkGuardError).code, 'EWORMWATCH_OFF_LOOPBACK');
      assert.match(err.message, /192\.0\.2\.1:80/);
      assert.match(err.message, /point the component at a loopback server/);
      return true;
    });
  });

  it('refuses options-style connects and tls.connect the same way', () => {
    assert.throws(() => net.connect({ host: OUTSIDE, port: 25 }), /192\.0\.2\.1:25/);
    assert.throws(() => new net.Socket().connect(6379, OUTSIDE), /192\.0\.2\.1:6379/);
    assert.throws(() => tls.connect({ host: OUTSIDE, port: 443 }), /192\.0\.2\.1:443/);
  });

  it('refuses host names, which could resolve anywhere', () => {
    assert.throws(() => net.connect(443, 'rdap.arin.net'), /rdap\.arin\.net:443/);
  });

  it('makes fetch to a non-loopback address fail with the guard error as its cause', async () => {
    await assert.rejects(fetch(`http://${OUTSIDE}/ip/1.1.1.1`), (err: Error & { cause?: Error }) => {
      assert.match(String(err.cause?.message), /refused a TCP connection to 192\.0\.2\.1:80/);
      return true;
    });
  });

  it('lets loopback connections through (fetch to 127.0.0.1 works)', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await res.text(), 'loopback ok');
  });

  it('refuses DNS look-ups of names other than localhost, but not of literal addresses', async () => {
    assert.throws(() => dns.lookup('example.com', () => {}), /DNS lookup of example\.com/);
    await assert.rejects(async () => dns.promises.lookup('example.com'), /DNS lookup of example\.com/);
    const { address } = await dns.promises.lookup('127.0.0.1');
    assert.equal(address, '127.0.0.1');
  });

  it('refuses resolver queries against a non-loopback DNS server and allows a loopback one', async () => {
    const outside = new dns.promises.Resolver();
    outside.setServers(['192.0.2.53']);
    await assert.rejects(async () => outside.resolve4('example.com'), /DNS resolve4\(example\.com\) query to 192\.0\.2\.53/);
    const cb = new dns.Resolver();
    cb.setServers(['192.0.2.53:5353']);
    assert.throws(() => cb.reverse('45.33.32.156', () => {}), /query to 192\.0\.2\.53/);
    const inside = new dns.promises.Resolver({ timeout: 200, tries: 1 });
    inside.setServers([`127.0.0.1:${port}`]); // not a DNS server: the query fails, but it was allowed to go
    await assert.rejects(inside.resolve4('example.com'), (err: Error) => (err as Partial<NetworkGuardError>).code !== 'EWORMWATCH_OFF_LOOPBACK');
  });

  it('classifies loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['192.0.2.1', '10.0.0.1', '::2', 'example.com', '128.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
  });

  it('guards a child process when preloaded with --import', () => {
    const script = `
      const net = require('node:net');
      try { net.connect(80, '${OUTSIDE}'); console.log('CONNECTED'); } catch (e) { console.log('REFUSED ' + e.message); }
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/helpers/no-network-preload.ts', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.match(run.stdout, /REFUSED network guard: refused a TCP connection to 192\.0\.2\.1:80/);
    assert.doesNotMatch(run.stdout, /CONNECTED/);
  });
});
