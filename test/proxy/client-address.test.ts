import { strict as assert } from 'node:assert';
import http, { type IncomingMessage } from 'node:http';
import { compileCatalogue } from '../../src/detect/index.js';
import type { Engine } from '../../src/detect/types.js';
import { clientAddressResolver, normaliseAddress } from '../../src/proxy/client-address.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy } from '../helpers/proxy.js';

const engine: Engine = compileCatalogue([
  {
    id: 'test-hit', family: 'test', title: 'hit', description: 'test', references: [], stage: 'request',
    match: { target: 'path', pattern: '/hit$', literals: ['hit'] }, examples: { positive: [], negative: [] },
  },
]);

function send(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/hit', agent: false, headers }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject);
  });
}

/** A request as the resolver sees it: only the socket peer and headers matter. */
function fakeReq(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress }, connection: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('proxy client address', () => {
  let origin: Origin;
  before(async () => (origin = await startOrigin()));
  after(() => origin.close());

  it('takes a /0 --trust-proxy (allowed by --trust-all-proxies), which proxy-addr alone refuses, as every address', () => {
    assert.equal(clientAddressResolver(['0.0.0.0/0'])(fakeReq('198.51.100.1', { 'x-forwarded-for': '203.0.113.1, 192.0.2.1' })), '203.0.113.1');
    assert.equal(clientAddressResolver(['::/0'])(fakeReq('2001:db8::1', { 'x-forwarded-for': '2001:db8::2' })), '2001:db8::2');
  });

  it('normalises IPv4-mapped IPv6 and canonicalises IPv6', () => {
    assert.equal(normaliseAddress('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(normaliseAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(clientAddressResolver([])(fakeReq('::ffff:203.0.113.5')), '203.0.113.5');
    assert.equal(clientAddressResolver(['10.0.0.0/8'])(fakeReq('::ffff:10.1.1.1', { 'x-forwarded-for': '::ffff:198.51.100.2' })), '198.51.100.2');
  });

  it('without --trust-proxy uses the socket peer; X-Forwarded-For cannot spoof it', async () => {
    const proxy = await startProxy({ upstream: origin.url }, { engine });
    try {
      await send(proxy.port, { 'x-forwarded-for': '203.0.113.66' });
      assert.equal(proxy.detections.at(-1)!.ip, '127.0.0.1');
      assert.equal(origin.requests.at(-1)!.headers['x-forwarded-for'], '203.0.113.66, 127.0.0.1');
    } finally {
      await proxy.close();
    }
  });

  it('with --trust-proxy takes the right-most untrusted X-Forwarded-For entry', async () => {
    const proxy = await startProxy({ upstream: origin.url, trustProxy: '127.0.0.0/8,10.0.0.0/8' }, { engine });
    try {
      const cases: Array<[string, string]> = [
        ['203.0.113.9', '203.0.113.9'],
        ['6.6.6.6, 203.0.113.9', '203.0.113.9'],
        ['203.0.113.9, 10.0.0.7', '203.0.113.9'],
        ['not-an-ip, 10.0.0.7', '10.0.0.7'],
      ];
      for (const [xff, expected] of cases) {
        await send(proxy.port, { 'x-forwarded-for': xff });
        assert.equal(proxy.detections.at(-1)!.ip, expected, xff);
      }
      await send(proxy.port, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example' });
      assert.equal(origin.requests.at(-1)!.headers['x-forwarded-proto'], 'https');
      assert.equal(origin.requests.at(-1)!.headers['x-forwarded-host'], 'public.example');
    } finally {
      await proxy.close();
    }
  });

  it('ignores X-Forwarded-* from a peer outside the trusted ranges', async () => {
    const proxy = await startProxy({ upstream: origin.url, trustProxy: '10.0.0.0/8' }, { engine });
    try {
      await send(proxy.port, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'spoof.example' });
      assert.equal(proxy.detections.at(-1)!.ip, '127.0.0.1');
      assert.equal(origin.requests.at(-1)!.headers['x-forwarded-proto'], 'http');
      assert.notEqual(origin.requests.at(-1)!.headers['x-forwarded-host'], 'spoof.example');
    } finally {
      await proxy.close();
    }
  });

  it('believes --client-ip-header only from a trusted peer', async () => {
    const trusted = await startProxy({ upstream: origin.url, trustProxy: '127.0.0.1', clientIpHeader: 'X-Real-IP' }, { engine });
    const untrusted = await startProxy({ upstream: origin.url, trustProxy: '10.0.0.0/8', clientIpHeader: 'X-Real-IP' }, { engine });
    try {
      await send(trusted.port, { 'x-real-ip': '198.51.100.23' });
      assert.equal(trusted.detections.at(-1)!.ip, '198.51.100.23');
      await send(trusted.port, { 'x-real-ip': 'garbage' });
      assert.equal(trusted.detections.at(-1)!.ip, '127.0.0.1');
      await send(untrusted.port, { 'x-real-ip': '198.51.100.23' });
      assert.equal(untrusted.detections.at(-1)!.ip, '127.0.0.1');
    } finally {
      await trusted.close();
      await untrusted.close();
    }
  });
});
