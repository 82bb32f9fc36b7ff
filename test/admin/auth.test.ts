import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startServe, tempDir, waitFor, type ServeProcess } from '../notify/support.js';

const TOKEN = 'a'.repeat(32);
const ROTATED = 'b'.repeat(32);

/** A request to the admin port with exactly these headers (node:http lets a test set Host). */
function admin(port: number, path: string, init: { method?: string; token?: string; host?: string; origin?: string } = {}): Promise<number> {
  const headers: Record<string, string> = { host: init.host ?? `127.0.0.1:${port}` };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.origin) headers.origin = init.origin;
  return new Promise((resolve, reject) => {
    http.request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject).end();
  });
}

describe('the admin port needs a key (real serve)', function () {
  this.timeout(60_000);
  let origin: Origin;
  let dir: ReturnType<typeof tempDir>;
  before(async () => {
    origin = await startOrigin();
    dir = tempDir();
  });
  after(async () => {
    await origin.close();
    dir.remove();
  });

  it('refuses to start with the admin server on all interfaces and no token, naming the fix in one line (exit 2)', async () => {
    const run = await runCli(['serve', '--upstream', origin.url, '--listen', '127.0.0.1:0', '--admin-listen', '0.0.0.0:0', '--notify', 'off']);
    assert.equal(run.code, 2);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /--admin-listen 0\.0\.0\.0:0 is reachable from the network.*--admin-token-file/);
    const check = await runCli(['serve', '--upstream', origin.url, '--admin-listen', '0.0.0.0:9090', '--check-config']);
    assert.equal(check.code, 2, 'and --check-config says the same');
  });

  it('refuses a token that is too short to be a secret', async () => {
    const run = await runCli(['serve', '--upstream', origin.url, '--admin-listen', '0.0.0.0:9090', '--admin-token', 'secret', '--check-config']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /at least 16 characters.*openssl rand -hex 32/);
  });

  describe('with a token file', () => {
    let serve: ServeProcess;
    const tokenFile = () => join(dir.path, 'admin-token');
    before(async () => {
      writeFileSync(tokenFile(), `${TOKEN}\n`);
      serve = await startServe({ upstream: origin.url, notify: 'off', 'admin-listen': '0.0.0.0:0', 'admin-token-file': tokenFile(), 'metrics-listen': '127.0.0.1:0' });
    });
    after(() => serve.stop());

    it('serves /metrics, /healthz and /readyz to anyone, every other route only with Authorization: Bearer <token>', async () => {
      for (const path of ['/metrics', '/healthz', '/readyz']) assert.equal(await admin(serve.adminPort, path), 200, path);
      assert.equal(await admin(serve.adminPort, '/offenders'), 401);
      assert.equal(await admin(serve.adminPort, '/offenders', { token: 'x'.repeat(32) }), 401);
      assert.equal(await admin(serve.adminPort, '/offenders', { token: TOKEN }), 200);
      assert.equal(await admin(serve.adminPort, '/reload', { method: 'POST' }), 401);
      assert.equal(await admin(serve.adminPort, '/reload', { method: 'POST', token: TOKEN }), 200);
    });

    it('refuses a state change from another site\'s page even with the token', async () => {
      assert.equal(await admin(serve.adminPort, '/reload', { method: 'POST', token: TOKEN, origin: 'http://evil.example' }), 403);
    });

    it('re-reads the token file on SIGHUP: the rotated token works, the old one no longer does', async () => {
      writeFileSync(tokenFile(), ROTATED);
      serve.child.kill('SIGHUP');
      await waitFor(async () => (await admin(serve.adminPort, '/offenders', { token: ROTATED })) === 200, 5_000, 'the rotated token');
      assert.equal(await admin(serve.adminPort, '/offenders', { token: TOKEN }), 401);
    });
  });

  describe('on loopback without a token', () => {
    let serve: ServeProcess;
    before(async () => {
      serve = await startServe({ upstream: origin.url, notify: 'off', 'metrics-listen': '127.0.0.1:0' });
    });
    after(() => serve.stop());

    it('serves loopback Host names and refuses any other (DNS rebinding)', async () => {
      const port = serve.adminPort;
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost']) assert.equal(await admin(port, '/offenders', { host }), 200, host);
      for (const host of [`evil.example:${port}`, 'attacker.test', `127.0.0.1.nip.io:${port}`]) assert.equal(await admin(port, '/offenders', { host }), 403, host);
      assert.equal(await admin(port, '/metrics', { host: 'evil.example' }), 200, 'the scrape routes stay public');
    });

    it('refuses a POST /reload a browser page from elsewhere sends to 127.0.0.1 (CSRF)', async () => {
      assert.equal(await admin(serve.adminPort, '/reload', { method: 'POST', origin: 'http://evil.example' }), 403);
      assert.equal(await admin(serve.adminPort, '/reload', { method: 'POST', origin: `http://127.0.0.1:${serve.adminPort}` }), 200);
    });
  });

  it('--metrics-listen serves only /metrics, /healthz and /readyz', async () => {
    const serve = await startServe({ upstream: origin.url, notify: 'off', 'metrics-listen': '127.0.0.1:0' });
    try {
      const line = serve.logs.find((l) => l.msg === 'wormwatch listening') as { metrics?: { port: number } } | undefined;
      const port = line?.metrics?.port;
      assert.ok(port);
      for (const path of ['/metrics', '/healthz', '/readyz']) assert.equal(await admin(port, path), 200, path);
      for (const path of ['/offenders', '/notices']) assert.equal(await admin(port, path), 404, path);
      assert.equal(await admin(port, '/reload', { method: 'POST' }), 404);
    } finally {
      await serve.stop();
    }
  });
});
