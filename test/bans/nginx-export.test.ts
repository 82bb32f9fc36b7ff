import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NGINX, adapt, documentedCommand, readSnippet, startNginx, type Nginx } from '../deploy/nginx-support.js';
import { CLI, cleanEnv, freePort, httpRequest, run, tempDir, waitFor } from '../deploy/support.js';
import { send, startApp, type TestApp } from '../helpers/app.js';
import { echo, startOrigin, type Origin } from '../helpers/origin.js';

// Linux routes all of 127.0.0.0/8 to lo: each client below is its own loopback address.
const BANNED = '127.0.0.2';
const OTHER = '127.0.0.1';
const BALANCER = '127.0.0.3';
const STRANGER = '127.0.0.4';

/** `serve --key=value …` (the snippet's documented command) as startApp flags. */
function flagsOf(args: string[]): Record<string, string> {
  assert.equal(args[0], 'serve');
  return Object.fromEntries(args.slice(1).map((a) => {
    const m = /^--([a-z-]+)=(.+)$/.exec(a);
    assert.ok(m, `not --flag=value: ${a}`);
    return [m[1]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), m[2]!];
  }));
}

describe('deploy/nginx/bans.conf: nginx refuses what wormwatch bans export wrote, after a reload', function () {
  // Each export is a cold `node --import tsx` start: seconds on a busy CI machine.
  this.timeout(90_000);
  const tmp = tempDir('nginx-bans');
  const include = join(tmp.path, 'wormwatch-bans.conf');
  let origin: Origin;
  let app: TestApp;
  let nginx: Nginx;
  let port: number;

  async function exportBans(...extra: string[]): Promise<string> {
    const r = await run(CLI[0], [...CLI.slice(1), 'bans', 'export', '--format', 'nginx', ...extra, include, '--admin', app.admin], { env: cleanEnv() });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  /** The pids of nginx's workers: the children of the master named in the pid file. */
  function workers(): string[] {
    const master = readFileSync(join(nginx.dir, 'nginx.pid'), 'utf8').trim();
    return readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  }

  /**
   * `nginx -s reload`, as the timer's unit runs it (nginx reads the pid file and signals its
   * master), then waits until every worker is a new one: an old worker finishing its
   * connections still answers with the old bans.
   */
  async function reload(): Promise<void> {
    const old = workers();
    const r = await run(NGINX, ['-p', nginx.dir, '-c', join(nginx.dir, 'nginx.conf'), '-g', `pid ${nginx.dir}/nginx.pid;`, '-s', 'reload']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('only new nginx workers', () => {
      const now = workers();
      return now.length > 0 && now.every((pid) => !old.includes(pid)) ? true : undefined;
    });
  }

  const status = async (localAddress: string, headers: Record<string, string> = {}): Promise<number> => (await httpRequest(port, '/', { localAddress, headers })).status;

  before(async () => {
    origin = await startOrigin({ fallback: echo });
    const snippet = readSnippet('bans.conf');
    app = await startApp({ ...flagsOf(documentedCommand(snippet)), upstream: origin.url, listen: '127.0.0.1:0' });
    assert.match(await exportBans(), /^written .* \(0 bans\)\n$/, 'the include exists before nginx first reads it');
    port = await freePort();
    const conf = adapt(snippet, {
      'listen 80;': `listen 127.0.0.1:${port};`,
      'include /etc/nginx/wormwatch-bans.conf;': `include ${include};`,
      'proxy_pass http://127.0.0.1:8080;': `proxy_pass ${app.url};`,
      // The realip lines as documented, trusting the test's "balancer" address.
      '#set_real_ip_from 192.0.2.10;': `set_real_ip_from ${BALANCER};`,
      '#real_ip_header X-Forwarded-For;': 'real_ip_header X-Forwarded-For;',
      '#real_ip_recursive on;': 'real_ip_recursive on;',
    });
    nginx = await startNginx(conf, [port], { dir: join(tmp.path, 'nginx') });
  });

  after(async () => {
    await nginx?.stop();
    await app?.stop();
    await origin?.close();
    tmp.remove();
  });

  it('passes every client through nginx and wormwatch to the origin while nothing is banned', async () => {
    const r = await httpRequest(port, '/hello', { localAddress: BANNED });
    assert.equal(r.status, 200);
    assert.match(r.body, /"url":"\/hello"/);
    assert.equal(await status(OTHER), 200);
  });

  it('refuses a banned address in nginx itself once exported and reloaded, never reaching wormwatch, while another passes', async () => {
    const banned = await send(app.admin, '/bans', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ip: BANNED, ttl: '1h' }) });
    assert.equal(banned.status, 201, banned.body);
    const atWormwatch = await httpRequest(port, '/', { localAddress: BANNED });
    assert.deepEqual([atWormwatch.status, /ERR_BANNED/.test(atWormwatch.body)], [403, true], 'before the export nginx passes it, and wormwatch refuses it');

    assert.match(await exportBans(), /^written .* \(1 bans\)\n$/);
    assert.match(readFileSync(include, 'utf8'), /^127\.0\.0\.2 1;$/m);
    await reload();
    const refusedByWormwatch = await app.metric('wormwatch_requests_total', { outcome: 'banned' });
    const r = await httpRequest(port, '/', { localAddress: BANNED });
    assert.equal(r.status, 403);
    assert.match(r.body, /<center>nginx[/<]/, 'nginx\'s own 403 page');
    assert.doesNotMatch(r.body, /ERR_BANNED/);
    assert.equal(await app.metric('wormwatch_requests_total', { outcome: 'banned' }), refusedByWormwatch, 'the request never reached wormwatch');
    assert.equal(await status(OTHER), 200);
  });

  it('with the documented realip lines, refuses the banned client behind the trusted balancer and ignores a stranger\'s X-Forwarded-For', async () => {
    assert.equal(await status(BALANCER, { 'X-Forwarded-For': BANNED }), 403);
    assert.equal(await status(BALANCER, { 'X-Forwarded-For': '198.51.100.20' }), 200);
    assert.equal(await status(STRANGER, { 'X-Forwarded-For': BANNED }), 200, 'only the balancer chooses the client address');
  });

  it('lets the address through again once the ban is lifted, exported and reloaded', async () => {
    assert.equal((await send(app.admin, `/bans/${BANNED}`, { method: 'DELETE' })).status, 200);
    assert.match(await exportBans('--if-changed'), /^changed .* \(0 bans\)\n$/);
    assert.doesNotMatch(readFileSync(include, 'utf8'), /127\.0\.0\.2/);
    await reload();
    assert.equal(await status(BANNED), 200);
    assert.equal(await status(OTHER), 200);
  });
});
