import { strict as assert } from 'node:assert';
import http from 'node:http';
import { compileCatalogue } from '../../src/detect/index.js';
import type { Engine, Signature, Stage } from '../../src/detect/types.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest, statusOf } from '../helpers/raw-http.js';

/** Test signatures (not the real catalogue, which its owner changes): one per stage. */
function signature(id: string, stage: Stage, pattern: string, literal: string): Signature {
  return {
    id, family: 'test', title: id, description: 'test signature', references: [], stage,
    match: { target: 'path', pattern, literals: [literal] },
    examples: { positive: [], negative: [] },
  };
}
const testEngine: Engine = compileCatalogue([
  signature('test-overflow', 'request', '/overflow\\.ida$', 'overflow.ida'),
  signature('test-probe', '404', '/probe\\.exe$', 'probe.exe'),
]);

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('proxy detection hook', () => {
  let origin: Origin;
  before(async () => {
    origin = await startOrigin({
      fallback: (req, res) => {
        res.statusCode = req.url!.startsWith('/missing') ? 404 : 200;
        res.end('origin');
      },
    });
  });
  after(() => origin.close());

  describe('monitor mode', () => {
    let proxy: TestProxy;
    before(async () => (proxy = await startProxy({ upstream: origin.url }, { engine: testEngine })));
    after(() => proxy.close());

    it('forwards a request-stage hit and reports it as forwarded', async () => {
      const reply = await get(proxy.port, '/overflow.ida?NNNN');
      assert.equal(reply.status, 200);
      assert.equal(origin.requests.at(-1)!.url, '/overflow.ida?NNNN');
      const event = proxy.detections.at(-1)!;
      assert.equal(event.verdict.signature.id, 'test-overflow');
      assert.equal(event.action, 'forwarded');
      assert.equal(event.ip, '127.0.0.1');
      assert.equal(event.requestLine, event.verdict.evidence);
      assert.equal(await proxy.metric('wormwatch_requests_total', { outcome: 'forwarded' }), 1);
    });

    it('reports a 404-stage hit only when the origin answers 404, and calls onNotFound for every 404', async () => {
      const before = proxy.detections.length;
      await get(proxy.port, '/scripts/probe.exe');
      assert.equal(proxy.detections.length, before, 'origin said 200: no 404-stage detection');
      const reply = await get(proxy.port, '/missing/probe.exe');
      assert.equal(reply.status, 404);
      const event = proxy.detections.at(-1)!;
      assert.equal(event.verdict.signature.id, 'test-probe');
      assert.equal(event.verdict.stage, '404');
      assert.equal(event.action, 'forwarded');
      await get(proxy.port, '/missing/ordinary.html');
      assert.equal(proxy.detections.at(-1), event, 'a benign 404 is no detection');
      assert.deepEqual(proxy.notFound.map((n) => n.req.path), ['/missing/probe.exe', '/missing/ordinary.html']);
      assert.equal(proxy.notFound[0]!.ip, '127.0.0.1');
    });
  });

  it('block mode answers a request-stage hit itself with --block-status; the origin never sees it', async () => {
    const proxy = await startProxy({ upstream: origin.url, mode: 'block', blockStatus: '451' }, { engine: testEngine });
    try {
      const seen = origin.requests.length;
      const reply = await get(proxy.port, '/x/overflow.ida?NNNN');
      assert.equal(reply.status, 451);
      assert.match(reply.body, /ERR_BLOCKED/);
      assert.ok(reply.body.length < 100);
      assert.equal(origin.requests.length, seen);
      assert.equal(proxy.detections.at(-1)!.action, 'blocked');
      assert.equal(await proxy.metric('wormwatch_requests_total', { outcome: 'blocked' }), 1);
      assert.equal((await get(proxy.port, '/fine')).status, 200);
      // Blocking a bodiless request keeps the connection; one with an unread body closes it.
      const both = await rawRequest(proxy.port, 'GET /overflow.ida HTTP/1.1\r\nHost: x\r\n\r\nGET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.deepEqual([...both.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => m[1]), ['451', '200']);
      const upload = await rawRequest(proxy.port, 'POST /overflow.ida HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial');
      assert.equal(statusOf(upload), 451);
      assert.match(upload, /connection: close/i);
    } finally {
      await proxy.close();
    }
  });

  it('blocks a real CodeRed II request with the built-in catalogue', async () => {
    const proxy = await startProxy({ upstream: origin.url, mode: 'block' });
    try {
      const seen = origin.requests.length;
      const codeRed = `/default.ida?${'X'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
      const reply = await get(proxy.port, codeRed);
      assert.equal(reply.status, 403);
      assert.equal(origin.requests.length, seen);
      assert.equal(proxy.detections.at(-1)!.verdict.signature.family, 'codered');
    } finally {
      await proxy.close();
    }
  });

  it('reads the engine through the getter on every request (rules reload)', async () => {
    let current: Engine = compileCatalogue([]);
    const proxy = await startProxy({ upstream: origin.url }, { engine: () => current });
    try {
      await get(proxy.port, '/overflow.ida');
      assert.equal(proxy.detections.length, 0);
      current = testEngine;
      await get(proxy.port, '/overflow.ida');
      assert.equal(proxy.detections.length, 1);
    } finally {
      await proxy.close();
    }
  });

  it('survives a detection listener that throws', async () => {
    const proxy = await startProxy({ upstream: origin.url }, { engine: testEngine, onDetection: () => { throw new Error('listener bug'); } });
    try {
      assert.equal((await get(proxy.port, '/overflow.ida')).status, 200);
      assert.equal(proxy.detections.length, 1);
    } finally {
      await proxy.close();
    }
  });
});
