import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { wormRequests } from './examples.js';
import { adapt, detections, documentedCommand, readSnippet, startNginx, startWormwatchCli, type Nginx, type WormwatchProcess } from './nginx-support.js';
import { freePort, httpRequest, startOrigin, tempDir, waitFor } from './support.js';

const CLIENT = '127.0.0.7';

describe('deploy/nginx/mirror.conf: nginx mirrors every request to wormwatch serve --mirror', function () {
  this.timeout(40_000);
  const tmp = tempDir('nginx-mirror');
  let nginx: Nginx;
  let ww: WormwatchProcess;
  let app: Awaited<ReturnType<typeof startOrigin>>;
  let port: number;

  before(async () => {
    app = await startOrigin(200, 'the app answered');
    const snippet = readSnippet('mirror.conf');
    ww = await startWormwatchCli(documentedCommand(snippet));
    const wwPort = ww.port;
    port = await freePort(); // after wormwatch holds its ports, so never one of them
    const conf = adapt(snippet, {
      'server 127.0.0.1:8082;': `server 127.0.0.1:${wwPort};`,
      'listen 80;': `listen 127.0.0.1:${port};`,
      'proxy_pass http://127.0.0.1:8000;': `proxy_pass http://127.0.0.1:${app.port};`,
    });
    nginx = await startNginx(conf, [port], { dir: join(tmp.path, 'nginx') });
  });

  after(async () => {
    await nginx?.stop();
    await ww?.stop();
    await app?.close();
    tmp.remove();
  });

  it('serves the app\'s answer to a worm probe and wormwatch records the copy', async () => {
    const [worm] = wormRequests('request');
    const res = await httpRequest(port, worm!.target, { localAddress: CLIENT });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'the app answered');
    assert.deepEqual(app.seen.map((r) => r.url), [worm!.target], 'only the real request reached the app');
    await waitFor('the mirrored detection', async () => ((await detections(ww.adminUrl, { signature: worm!.signature, stage: 'request' })) === 1 ? true : undefined), 10_000);
    const offender = (await (await fetch(`${ww.adminUrl}/offenders/${CLIENT}`)).json()) as { ip: string };
    assert.equal(offender.ip, CLIENT);
  });

  it('sees ordinary requests too, and flags none of them', async () => {
    const before = await (await fetch(`${ww.adminUrl}/metrics`)).text();
    const flaggedBefore = await detections(ww.adminUrl);
    const observed = (t: string) => Number(/^wormwatch_requests_total\{outcome="observed"\} (\d+)/m.exec(t)?.[1] ?? 0);
    const res = await httpRequest(port, '/products/42?colour=blue', { localAddress: CLIENT });
    assert.equal(res.status, 200);
    await waitFor('the mirrored copy', async () => (observed(await (await fetch(`${ww.adminUrl}/metrics`)).text()) === observed(before) + 1 ? true : undefined), 10_000);
    assert.equal(await detections(ww.adminUrl), flaggedBefore);
  });

  it('passes a POST body to the app intact while wormwatch gets the copy without it', async () => {
    const body = 'name=worm&payload=' + 'x'.repeat(20_000);
    const observed = async () => Number(/^wormwatch_requests_total\{outcome="observed"\} (\d+)/m.exec(await (await fetch(`${ww.adminUrl}/metrics`)).text())?.[1] ?? 0);
    const before = await observed();
    const res = await httpRequest(port, '/form', { method: 'POST', localAddress: CLIENT, body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 200);
    const seen = app.seen.find((r) => r.url === '/form');
    assert.equal(seen?.body, body);
    await waitFor('the mirrored POST', async () => ((await observed()) === before + 1 ? true : undefined), 10_000);
  });
});
