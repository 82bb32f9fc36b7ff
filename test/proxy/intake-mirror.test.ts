import { strict as assert } from 'node:assert';
import http from 'node:http';
import { createMetrics } from '../../src/metrics.js';
import { loadOptions } from '../../src/config/load.js';
import { compileCatalogue } from '../../src/detect/index.js';
import { defaultEngine } from '../../src/rules/index.js';
import type { Engine, Signature, Stage } from '../../src/detect/types.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { checkProxyOptions, createProxy } from '../../src/proxy/index.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

function signature(id: string, stage: Stage, pattern: string): Signature {
  return {
    id, family: 'test', title: id, description: 'test', references: [], stage,
    match: { target: 'path', pattern }, examples: { positive: [], negative: [] },
  };
}
const engine: Engine = compileCatalogue([signature('test-overflow', 'request', '/overflow\\.ida$'), signature('test-probe', '404', '/probe\\.exe$')]);

function send(port: number, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('proxy --intake (nginx 404 hand-off)', () => {
  let proxy: TestProxy;
  before(async () => (proxy = await startProxy({ intake: true, trustProxy: '127.0.0.1', clientIpHeader: 'X-Real-IP' }, { engine })));
  after(() => proxy.close());

  it('treats each request as a 404: runs the 404 stage, calls onNotFound, replies with the 404 page', async () => {
    const reply = await send(proxy.port, '/scripts/probe.exe?/c+dir', { 'x-real-ip': '198.51.100.4' });
    assert.equal(reply.status, 404);
    assert.match(reply.type ?? '', /text\/html/);
    assert.match(reply.body, /Not Found/);
    const event = proxy.detections.at(-1)!;
    assert.equal(event.verdict.signature.id, 'test-probe');
    assert.equal(event.verdict.stage, '404');
    assert.equal(event.action, 'observed');
    assert.equal(event.ip, '198.51.100.4');
    assert.deepEqual(proxy.notFound.map((n) => [n.ip, n.req.path]), [['198.51.100.4', '/scripts/probe.exe']]);
  });

  it('runs the request stage too, and answers 404 to a body it does not read', async () => {
    const reply = await send(proxy.port, '/overflow.ida', {}, 'x'.repeat(100_000));
    assert.equal(reply.status, 404);
    assert.equal(proxy.detections.at(-1)!.verdict.stage, 'request');
    assert.equal(proxy.detections.at(-1)!.ip, '127.0.0.1');
    assert.equal(await proxy.metric('wormwatch_requests_total', { outcome: 'observed' }), 2);
  });
});

describe('proxy --mirror (nginx mirror)', () => {
  let proxy: TestProxy;
  before(async () => (proxy = await startProxy({ mirror: true }, { engine })));
  after(() => proxy.close());

  it('inspects at the request stage only and answers 204 at once', async () => {
    const hit = await send(proxy.port, '/overflow.ida?NNNN');
    assert.equal(hit.status, 204);
    assert.equal(proxy.detections.at(-1)!.verdict.signature.id, 'test-overflow');
    assert.equal(proxy.detections.at(-1)!.action, 'observed');
    const probe = await send(proxy.port, '/probe.exe', {}, 'body');
    assert.equal(probe.status, 204);
    assert.equal(proxy.detections.length, 1, 'no 404 stage in mirror mode');
    assert.equal(proxy.notFound.length, 0);
  });
});

describe('proxy option checks', () => {
  function build(flags: Record<string, unknown>): void {
    createProxy({
      options: loadOptions({ flags: { listen: '127.0.0.1:0', ...flags } }),
      engine: defaultEngine,
      metrics: createMetrics('test').proxy,
      logger: createLogger('silent'),
      onDetection: () => {},
    });
  }

  it('requires --upstream unless --intake or --mirror, in one line', () => {
    assert.throws(() => build({}), (err: Error) => err instanceof ConfigError && err.message === '--upstream is required (or use --intake/--mirror)');
  });

  it('refuses --intake with --mirror, and either with --upstream', () => {
    assert.throws(() => checkProxyOptions({ upstream: undefined, intake: true, mirror: true, trustProxy: [], trustAllProxies: false }), /--intake and --mirror cannot be combined/);
    assert.throws(() => checkProxyOptions({ upstream: new URL('http://127.0.0.1:1'), intake: true, mirror: false, trustProxy: [], trustAllProxies: false }), /--upstream cannot be used with --intake/);
    assert.doesNotThrow(() => checkProxyOptions({ upstream: undefined, intake: false, mirror: true, trustProxy: [], trustAllProxies: false }));
  });

  it('rejects a --client-ip-header that is not a header name', () => {
    assert.throws(() => loadOptions({ flags: { clientIpHeader: 'X Real IP' } }), /--client-ip-header/);
  });
});
