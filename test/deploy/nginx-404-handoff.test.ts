import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultEngine } from '../../src/rules/index.js';
import { wormRequests } from './examples.js';
import { adapt, detections, documentedCommand, readSnippet, startNginx, startWormwatchCli, type Nginx, type WormwatchProcess } from './nginx-support.js';
import { freePort, httpRequest, startOrigin, tempDir } from './support.js';

const CLIENT = '127.0.0.6';

describe('deploy/nginx/404-handoff.conf: nginx hands its 404s to wormwatch serve --intake', function () {
  this.timeout(40_000);
  const tmp = tempDir('nginx-404');
  let nginx: Nginx;
  let ww: WormwatchProcess;
  let legacy: Awaited<ReturnType<typeof startOrigin>>;
  let port: number;

  before(async () => {
    const html = join(tmp.path, 'html');
    mkdirSync(html);
    writeFileSync(join(html, 'index.html'), '<h1>legacy site</h1>\n');
    legacy = await startOrigin(404, 'legacy app: no such page');
    const snippet = readSnippet('404-handoff.conf');
    ww = await startWormwatchCli(documentedCommand(snippet));
    const wwPort = ww.port;
    port = await freePort(); // after wormwatch holds its ports, so never one of them
    const conf = adapt(snippet, {
      'server 127.0.0.1:8081;': `server 127.0.0.1:${wwPort};`,
      'listen 80;': `listen 127.0.0.1:${port};`,
      'root /var/www/html;': `root ${html};`,
      'proxy_pass http://127.0.0.1:8000;': `proxy_pass http://127.0.0.1:${legacy.port};`,
    });
    nginx = await startNginx(conf, [port], { dir: join(tmp.path, 'nginx') });
  });

  after(async () => {
    await nginx?.stop();
    await ww?.stop();
    await legacy?.close();
    tmp.remove();
  });

  it('serves existing pages itself without involving wormwatch', async () => {
    const res = await httpRequest(port, '/index.html', { localAddress: CLIENT });
    assert.equal(res.status, 200);
    assert.match(res.body, /legacy site/);
    assert.equal(await detections(ww.adminUrl), 0);
  });

  it('hands a 404 worm probe to wormwatch, which records it under the client address and answers 404', async () => {
    const [worm] = wormRequests('404');
    const res = await httpRequest(port, worm!.target, { localAddress: CLIENT, headers: { 'X-Forwarded-For': '203.0.113.7' } });
    assert.equal(res.status, 404);
    assert.match(res.body, /The requested URL was not found/, 'the 404 page is wormwatch\'s');
    assert.equal(await detections(ww.adminUrl, { signature: worm!.signature, stage: '404' }), 1);
    const offender = (await (await fetch(`${ww.adminUrl}/offenders/${CLIENT}`)).json()) as { ip: string };
    assert.equal(offender.ip, CLIENT);
    assert.equal((await fetch(`${ww.adminUrl}/offenders/203.0.113.7`)).status, 404);
  });

  it('intercepts the legacy app\'s 404s the same way (proxy_intercept_errors)', async () => {
    const engine = defaultEngine();
    const worm = wormRequests('404', 50).find((w) => engine.match(engine.normalise({ method: w.method, target: `/app${w.target}` }), '404')?.signature.id === w.signature);
    assert.ok(worm, 'no 404-stage example that still matches under /app/');
    const before = await detections(ww.adminUrl, { signature: worm.signature });
    const res = await httpRequest(port, `/app${worm.target}`, { localAddress: CLIENT });
    assert.equal(res.status, 404);
    assert.match(res.body, /The requested URL was not found/);
    assert.ok(legacy.seen.some((r) => r.url === `/app${worm.target}`), 'the legacy app was asked first');
    assert.equal(await detections(ww.adminUrl, { signature: worm.signature }), before + 1);
  });

  it('hands over a POST that ends in 404 without its body, and answers at once', async () => {
    const before = await (await fetch(`${ww.adminUrl}/metrics`)).text();
    const observed = (t: string) => Number(/^wormwatch_requests_total\{outcome="observed"\} (\d+)/m.exec(t)?.[1] ?? 0);
    const res = await httpRequest(port, '/cgi-bin/missing.cgi', { method: 'POST', localAddress: CLIENT, body: 'a=1&b=2'.repeat(1000), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 404);
    assert.match(res.body, /The requested URL was not found/);
    assert.equal(observed(await (await fetch(`${ww.adminUrl}/metrics`)).text()), observed(before) + 1);
  });
});
