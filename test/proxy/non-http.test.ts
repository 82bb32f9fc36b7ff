import assert from 'node:assert/strict';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';
import { eventually, startApp, type TestApp } from '../helpers/app.js';

const TLS_HELLO = Buffer.from('16030100ee010000ea0303' + '4b567ff4bb3431c611b72aac8976ee2b687b0575'.repeat(3), 'hex');
const RDP = Buffer.concat([Buffer.from('030000130ee000000000', 'hex'), Buffer.from('Cookie: mstshash=Administr\r\n', 'latin1'), Buffer.from('0100080003000000', 'hex')]);
const CODERED_BROKEN = `GET /default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a HTTP/1.0\r\nthis is no header\r\n\r\n`;

describe('bytes that are not HTTP are still judged (the client-error hook)', function () {
  this.timeout(20_000);
  let origin: Origin;
  let app: TestApp;
  before(async () => {
    origin = await startOrigin();
    app = await startApp({ upstream: origin.url, mode: 'block' });
  });
  after(async () => {
    await app.stop();
    await origin.close();
  });
  const detections = async (signature: string): Promise<number> => app.metric('wormwatch_detections_total', { signature, stage: 'request', action: 'observed' });

  for (const [name, bytes, signature] of [
    ['a TLS ClientHello', TLS_HELLO, 'non-http-tls-client-hello'],
    ['an SSH banner', Buffer.from('SSH-2.0-Go\r\n'), 'non-http-ssh-banner'],
    ['an RDP connection request', RDP, 'non-http-rdp-connection'],
  ] as const) {
    it(`answers ${name} 400, as before, and counts it as ${signature} against the peer`, async () => {
      assert.equal(statusOf(await rawRequest(Number(new URL(app.url).port), bytes)), 400);
      await eventually(async () => (await detections(signature)) === 1, 2_000, signature);
      assert.equal(app.app.offenders.get('127.0.0.1')?.signatures[signature], 1);
    });
  }

  it('finds a worm inside a request too broken to parse, and still answers 400 (not the block status)', async () => {
    const answer = await rawRequest(Number(new URL(app.url).port), CODERED_BROKEN);
    assert.equal(statusOf(answer), 400);
    await eventually(async () => (await detections('codered-i')) === 1, 2_000, 'codered-i');
    assert.equal(origin.requests.length, 0, 'nothing reached the origin');
  });

  it('flags nothing in an ordinary malformed request', async () => {
    const before = app.app.offenders.get('127.0.0.1')?.hits ?? 0;
    assert.equal(statusOf(await rawRequest(Number(new URL(app.url).port), 'GET /index.html HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n')), 400);
    assert.equal(statusOf(await rawRequest(Number(new URL(app.url).port), 'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n')), 200, 'the proxy serves on');
    assert.equal(app.app.offenders.get('127.0.0.1')?.hits ?? 0, before);
  });
});
