import { strict as assert } from 'node:assert';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wormRequests } from './examples.js';
import { adapt, detections, documentedCommand, readSnippet, startNginx, startWormwatchCli, type Nginx, type WormwatchProcess } from './nginx-support.js';
import { freePort, run, tempDir } from './support.js';

/** Loopback has all of 127/8: this client address is not nginx's, so it must survive. */
const CLIENT = '127.0.0.5';

function httpsGet(port: number, ca: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, localAddress: CLIENT, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('deploy/nginx/front-tls.conf: nginx terminates TLS in front of wormwatch', function () {
  this.timeout(40_000);
  const tmp = tempDir('nginx-tls');
  let origin: Server;
  let seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  let nginx: Nginx;
  let ww: WormwatchProcess;
  let httpsPort: number;
  let ca: string;

  before(async () => {
    const key = join(tmp.path, 'example.key');
    const crt = join(tmp.path, 'example.crt');
    const gen = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', crt]);
    assert.equal(gen.code, 0, gen.stderr);
    ca = readFileSync(crt, 'utf8');

    origin = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.end('hello from the origin');
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const originPort = (origin.address() as { port: number }).port;

    const snippet = readSnippet('front-tls.conf');
    const args = documentedCommand(snippet).map((a) => a.replace('http://127.0.0.1:8000', `http://127.0.0.1:${originPort}`));
    ww = await startWormwatchCli(args);
    const wwPort = ww.port;
    httpsPort = await freePort(); // after wormwatch holds its ports, so never one of them
    const conf = adapt(snippet, {
      'server 127.0.0.1:8080;': `server 127.0.0.1:${wwPort};`,
      'listen 443 ssl;': `listen 127.0.0.1:${httpsPort} ssl;`,
      '/etc/nginx/tls/': `${tmp.path}/`,
    });
    nginx = await startNginx(conf, [httpsPort], { dir: join(tmp.path, 'nginx') });
  });

  after(async () => {
    await nginx?.stop();
    await ww?.stop();
    await new Promise((r) => origin?.close(r));
    tmp.remove();
  });

  beforeEach(() => {
    seen = [];
  });

  it('forwards an ordinary request over TLS to the origin', async () => {
    const res = await httpsGet(httpsPort, ca, '/index.html');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello from the origin');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.url, '/index.html');
  });

  it('records a worm under the client address nginx saw, not a spoofed X-Forwarded-For', async () => {
    const [worm] = wormRequests('request');
    const before = await detections(ww.adminUrl, { signature: worm!.signature });
    const res = await httpsGet(httpsPort, ca, worm!.target, { 'X-Forwarded-For': '203.0.113.9' });
    assert.equal(res.status, 200, 'monitor mode forwards the probe');
    assert.equal(await detections(ww.adminUrl, { signature: worm!.signature }), before + 1);
    const offender = await fetch(`${ww.adminUrl}/offenders/${CLIENT}`);
    assert.equal(offender.status, 200, `no offender ${CLIENT}`);
    const body = (await offender.json()) as { ip: string; signatures: Record<string, number> };
    assert.equal(body.ip, CLIENT);
    assert.ok(body.signatures[worm!.signature]! >= 1);
    assert.equal((await fetch(`${ww.adminUrl}/offenders/203.0.113.9`)).status, 404, 'the spoofed address was believed');
  });
});
