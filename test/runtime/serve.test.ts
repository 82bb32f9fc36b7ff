import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWormwatch, type Wormwatch } from '../../src/runtime/serve.js';
import type { ExtensionContext, WormwatchExtension } from '../../src/runtime/extension.js';
import { loadOptions } from '../../src/config/load.js';
import { compileCatalogue } from '../../src/detect/index.js';
import { defaultEngine } from '../../src/rules/index.js';
import type { NormalisedRequest } from '../../src/detect/types.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { createLogger } from '../../src/log.js';
import { parseExposition } from '../admin/prom-text.js';

const CODERED_II = `/default.ida?${'X'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;

function startOrigin(): Promise<{ server: http.Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(req.url === '/' ? 200 : 404, { 'Content-Type': 'text/plain' });
    res.end(req.url === '/' ? 'home' : 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, seen })));
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('startWormwatch wiring', () => {
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  let app: Wormwatch;
  const logLines: string[] = [];
  const heard: DetectionEvent[] = [];
  const notFound: Array<{ ip: string; request: NormalisedRequest }> = [];
  const calls: string[] = [];
  let ctx: ExtensionContext | undefined;

  before(async () => {
    origin = await startOrigin();
    const options = loadOptions({
      env: {},
      flags: { upstream: `http://127.0.0.1:${origin.port}`, listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', logLevel: 'info' },
    });
    const faulty: WormwatchExtension = { name: 'faulty', onDetection: () => { throw new Error('listener bug'); } };
    app = await startWormwatch(options, {
      logger: createLogger('info', { write: (s: string) => void logLines.push(s) }),
      extensions: [
        faulty,
        (c) => {
          ctx = c;
          return {
            name: 'recorder',
            onDetection: (e) => void heard.push(e),
            onNotFound: (ip, request) => void notFound.push({ ip, request }),
            adminRoutes: [{ method: 'GET', path: '/recorder', handle: (_req, res) => res.end(String(heard.length)) }],
            start: () => void calls.push('start'),
            stop: () => void calls.push('stop'),
          };
        },
      ],
    });
  });
  after(async () => {
    await app?.stop(0);
    origin.server.close();
  });

  it('starts extensions before listening and reports ready', async () => {
    assert.deepEqual(calls, ['start']);
    assert.equal((await fetch(`http://127.0.0.1:${app.adminAddress.port}/readyz`)).status, 200);
  });

  it('sends a worm request through detection to offenders, metrics, the log and every extension', async () => {
    const engine = defaultEngine();
    const expected = engine.match(engine.normalise({ method: 'GET', target: CODERED_II }), 'request');
    assert.ok(expected, 'the catalogue knows CodeRed II');

    const res = await get(app.proxyAddress.port, CODERED_II);
    assert.equal(res.status, 404, 'monitor mode forwards; the origin answers');
    assert.ok(origin.seen.includes(CODERED_II), 'the origin got the request byte for byte');
    await get(app.proxyAddress.port, '/');

    const admin = `http://127.0.0.1:${app.adminAddress.port}`;
    const offender = (await (await fetch(`${admin}/offenders/127.0.0.1`)).json()) as { hits: number; signatures: Record<string, number>; samples: string[] };
    assert.ok(offender.hits >= 1);
    assert.ok(offender.signatures[expected.signature.id]! >= 1);
    assert.match(offender.samples[0]!, /default\.ida/);
    const listed = (await (await fetch(`${admin}/offenders`)).json()) as { offenders: Array<{ ip: string }> };
    assert.deepEqual(listed.offenders.map((o) => o.ip), ['127.0.0.1']);

    const { samples } = parseExposition(await (await fetch(`${admin}/metrics`)).text());
    const counted = samples.find((s) => s.name === 'wormwatch_detections_total' && s.labels.signature === expected.signature.id && s.labels.stage === 'request');
    assert.deepEqual(counted?.labels, { signature: expected.signature.id, family: expected.signature.family, stage: 'request', action: 'forwarded' });
    assert.equal(counted?.value, 1);
    assert.equal(samples.find((s) => s.name === 'wormwatch_offenders')?.value, 1);
    assert.ok(samples.find((s) => s.name === 'wormwatch_requests_total' && s.labels.outcome === 'forwarded')!.value >= 2);

    const detectionLines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'detection');
    assert.ok(detectionLines.length >= 1);
    assert.equal(detectionLines[0]!.ip, '127.0.0.1');
    assert.equal(detectionLines[0]!.signature, expected.signature.id);
    assert.equal(detectionLines[0]!.family, expected.signature.family);
    assert.match(String(detectionLines[0]!.request), /^GET \/default\.ida\?X/);

    assert.ok(heard.some((e) => e.verdict.signature.id === expected.signature.id), 'an extension after a throwing one still hears it');
    assert.ok(notFound.some((n) => n.ip === '127.0.0.1' && n.request.path.includes('default.ida')), 'extensions hear 404s');
    assert.equal(await (await fetch(`${admin}/recorder`)).text(), String(heard.length), 'extension admin route');
    assert.ok(logLines.some((l) => l.includes('listener bug')), 'the failing listener was logged');
  });

  it('lets an extension emit detections and swap the engine', async () => {
    assert.ok(ctx);
    const before = heard.length;
    const signature = defaultEngine().signatures[0]!;
    ctx.emitDetection({ ip: '203.0.113.9', verdict: { signature, stage: '404', evidence: 'GET /x' }, at: new Date(), action: 'observed', requestLine: 'GET /x' });
    assert.equal(heard.length, before + 1);
    assert.equal(app.offenders.get('203.0.113.9')?.hits, 1);

    await ctx.setEngine(compileCatalogue([]));
    assert.equal(app.engine().signatures.length, 0);
    const heardBefore = heard.length;
    await get(app.proxyAddress.port, CODERED_II);
    assert.equal(heard.length, heardBefore, 'the swapped-in empty engine detects nothing');
    await app.setEngine(defaultEngine());
  });

  it('stops extensions and closes both ports on stop()', async () => {
    await app.stop(0);
    assert.deepEqual(calls, ['start', 'stop']);
    await assert.rejects(fetch(`http://127.0.0.1:${app.adminAddress.port}/healthz`));
    await assert.rejects(get(app.proxyAddress.port, '/'));
  });
});

describe('startWormwatch start-up failure', () => {
  it('rejects when the admin port is taken, leaving nothing listening and extensions stopped', async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as AddressInfo).port;
    const calls: string[] = [];
    try {
      const options = loadOptions({ env: {}, flags: { upstream: 'http://127.0.0.1:9', listen: '127.0.0.1:0', adminListen: `127.0.0.1:${taken}`, logLevel: 'silent' } });
      await assert.rejects(
        startWormwatch(options, { extensions: [{ name: 'x', start: () => void calls.push('start'), stop: () => void calls.push('stop') }] }),
        /EADDRINUSE/,
      );
      assert.deepEqual(calls, ['start', 'stop']);
    } finally {
      blocker.close();
    }
  });
});
