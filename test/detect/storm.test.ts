import assert from 'node:assert/strict';
import http from 'node:http';
import { startWormwatch, type Wormwatch } from '../../src/runtime/serve.js';
import { loadOptions } from '../../src/config/load.js';
import { defaultEngine } from '../../src/rules/index.js';
import { createStormDetector, compileIgnore, STORM_SIGNATURE } from '../../src/detect/storm.js';
import { stormExtension } from '../../src/runtime/extensions/storm.js';
import type { NormalisedRequest } from '../../src/detect/types.js';
import { createLogger } from '../../src/log.js';
import { startOrigin, type Origin } from '../helpers/origin.js';

const engine = defaultEngine();
const req = (target: string): NormalisedRequest => engine.normalise({ method: 'GET', target });
const at = (seconds: number): Date => new Date(Date.UTC(2024, 11, 10, 0, 0, 0) + seconds * 1000);

describe('404-storm detector', () => {
  it('reports an address on its 11th distinct 404 path within 60 s, as a scanner, once per window', () => {
    const storm = createStormDetector();
    for (let i = 0; i < 10; i++) assert.equal(storm.observe('198.51.100.7', req(`/probe-${i}.php`), at(i)), null);
    const event = storm.observe('198.51.100.7', req('/probe-10.php'), at(10));
    assert.ok(event);
    assert.equal(event.ip, '198.51.100.7');
    assert.equal(event.verdict.signature, STORM_SIGNATURE);
    assert.equal(event.verdict.signature.family, 'scanner');
    assert.equal(event.verdict.signature.id, 'http-404-storm');
    assert.equal(event.verdict.stage, '404');
    assert.match(event.verdict.evidence, /^11 distinct 404 paths within 60s, last GET \/probe-10\.php/);
    assert.equal(event.at.getTime(), at(10).getTime());
    for (let i = 11; i < 30; i++) assert.equal(storm.observe('198.51.100.7', req(`/probe-${i}.php`), at(11 + i)), null, 'not again within the window');
    assert.ok(storm.observe('198.51.100.7', req('/probe-99.php'), at(75)), 'again once a window has passed');
  });

  it('counts distinct paths only: the same missing page asked for again and again is no storm', () => {
    const storm = createStormDetector();
    for (let i = 0; i < 50; i++) assert.equal(storm.observe('198.51.100.8', req(`/old-page.html?page=${i}`), at(i)), null);
  });

  it('forgets 404s older than the window (sliding)', () => {
    const storm = createStormDetector({ threshold: 3, windowMs: 10_000 });
    for (let i = 0; i < 3; i++) storm.observe('198.51.100.9', req(`/a${i}`), at(i));
    assert.equal(storm.observe('198.51.100.9', req('/late'), at(30)), null, 'the first three are out of the window');
    storm.observe('198.51.100.9', req('/b1'), at(31));
    storm.observe('198.51.100.9', req('/b2'), at(32));
    assert.ok(storm.observe('198.51.100.9', req('/b3'), at(33)));
  });

  it('starts afresh when time jumps back by more than a window (older log files read after newer ones)', () => {
    const storm = createStormDetector({ threshold: 2 });
    storm.observe('192.0.2.7', req('/n1'), at(1000));
    storm.observe('192.0.2.7', req('/n2'), at(1001));
    assert.equal(storm.observe('192.0.2.7', req('/o1'), at(0)), null, 'paths from the newer file do not count');
    storm.observe('192.0.2.7', req('/o2'), at(1));
    assert.ok(storm.observe('192.0.2.7', req('/o3'), at(2)));
  });

  it('keeps addresses apart', () => {
    const storm = createStormDetector({ threshold: 2 });
    storm.observe('192.0.2.1', req('/x1'), at(0));
    storm.observe('192.0.2.2', req('/x2'), at(0));
    assert.equal(storm.observe('192.0.2.1', req('/x3'), at(1)), null);
    assert.ok(storm.observe('192.0.2.1', req('/x4'), at(2)));
  });

  it('ignores favicon, robots.txt, apple-touch-icon*.png, sitemap.xml and .well-known/ by default', () => {
    const storm = createStormDetector({ threshold: 2 });
    const ignored = ['/favicon.ico', '/robots.txt', '/apple-touch-icon.png', '/apple-touch-icon-120x120-precomposed.png', '/sitemap.xml', '/.well-known/security.txt', '/.well-known/acme-challenge/x', '/blog/favicon.ico'];
    for (const [i, path] of ignored.entries()) assert.equal(storm.observe('192.0.2.3', req(path), at(i)), null, path);
    storm.observe('192.0.2.3', req('/.env'), at(20));
    storm.observe('192.0.2.3', req('/.git/config'), at(21));
    assert.ok(storm.observe('192.0.2.3', req('/wp-login.php'), at(22)), 'real probes still count');
  });

  it('matches ignore entries by last segment, whole path, or prefix', () => {
    const ignored = compileIgnore(['favicon.ico', 'static/*.map', '.well-known/']);
    assert.equal(ignored('/favicon.ico'), true);
    assert.equal(ignored('/a/b/favicon.ico'), true);
    assert.equal(ignored('/favicon.ico.php'), false);
    assert.equal(ignored('/static/app.js.map'), true);
    assert.equal(ignored('/static/deep/app.js.map'), false);
    assert.equal(ignored('/.well-known/x/y'), true);
    assert.equal(ignored('/x/.well-known/y'), false);
  });

  it('bounds memory: at most maxAddresses addresses are tracked', () => {
    const storm = createStormDetector({ maxAddresses: 3 });
    for (let i = 0; i < 20; i++) storm.observe(`203.0.113.${i}`, req('/missing'), at(i));
    assert.equal(storm.size, 3);
  });

  it('bounds memory per address: a scanner with thousands of paths is still reported once per window', () => {
    const storm = createStormDetector({ threshold: 5 });
    let reports = 0;
    for (let i = 0; i < 5000; i++) if (storm.observe('203.0.113.200', req(`/p${i}`), at(i / 100))) reports++;
    assert.equal(reports, 1, '5000 paths in 50 s: one window, one report');
  });
});

describe('404-storm through the real proxy', () => {
  let origin: Origin;
  let app: Wormwatch;

  before(async () => {
    origin = await startOrigin({
      fallback: (req, res) => {
        req.resume();
        res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain' });
        res.end(req.url === '/' ? 'home' : 'not found');
      },
    });
    const options = loadOptions({
      env: {},
      flags: { upstream: origin.url, listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', logLevel: 'silent', stormThreshold: '4' },
    });
    app = await startWormwatch(options, { logger: createLogger('silent'), extensions: [stormExtension] });
  });
  after(async () => {
    await app?.stop(0);
    await origin?.close();
  });

  it('makes an address drawing more than N distinct 404s a scanner offender, though no request matches a signature', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const path of ['/', '/favicon.ico', '/robots.txt', '/a.php', '/b.php', '/c.php', '/d.php']) {
        assert.equal(engine.match(req(path), 'request'), null);
        assert.equal(engine.match(req(path), '404'), null, `${path} is not a signature by itself`);
        await get(agent, app.proxyAddress.port, path);
      }
      assert.equal(app.offenders.get('127.0.0.1'), undefined, '4 distinct 404s (favicon and robots.txt ignored) are within the threshold');
      await get(agent, app.proxyAddress.port, '/e.php');
      await get(agent, app.proxyAddress.port, '/f.php');
    } finally {
      agent.destroy();
    }
    const offender = app.offenders.get('127.0.0.1');
    assert.ok(offender, 'the 5th distinct 404 makes it an offender');
    assert.equal(offender.family, 'scanner');
    assert.deepEqual(offender.signatures, { 'http-404-storm': 1 }, 'reported once in the window');
    const metrics = await app.metrics.registry.getSingleMetricAsString('wormwatch_detections_total');
    assert.match(metrics, /wormwatch_detections_total\{signature="http-404-storm",family="scanner",stage="404",action="observed"\} 1/);
  });
});

function get(agent: http.Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}
