import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptions } from '../../src/config/load.js';
import { coversEveryAddress } from '../../src/proxy/validate.js';
import { runCli } from '../cli/run-cli.js';

const UPSTREAM = ['--upstream', 'http://127.0.0.1:1'];

/** `serve --check-config` with these flags: exit 2 and one stderr line matching `names`. */
async function refused(args: string[], names: RegExp): Promise<void> {
  const run = await runCli(['serve', ...UPSTREAM, ...args, '--check-config']);
  assert.equal(run.code, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, names);
}

describe('configuration that refuses nonsense (serve --check-config)', function () {
  this.timeout(60_000);

  it('refuses a time-out of 2^31 ms or more, which a Node timer would fire at once', async () => {
    await refused(['--response-timeout', '30d'], /--response-timeout.*to 24d/);
    await refused(['--connect-timeout', '2147483648'], /--connect-timeout/);
    assert.equal(loadOptions({ env: {}, flags: { responseTimeout: '24d' } }).responseTimeout, 24 * 86_400_000);
  });

  it('refuses --headers-timeout 0 and --client-timeout 0 (slowloris protection off)', async () => {
    await refused(['--headers-timeout', '0'], /--headers-timeout.*0 would turn it off/);
    await refused(['--client-timeout', '0s'], /--client-timeout/);
  });

  it('refuses a --trust-proxy that covers every address unless --trust-all-proxies says it is meant', async () => {
    await refused(['--trust-proxy', '0.0.0.0/0'], /--trust-proxy 0\.0\.0\.0\/0 trusts every IPv4 address.*--trust-all-proxies/);
    await refused(['--trust-proxy', '::/0'], /trusts every IPv6 address/);
    await refused(['--trust-proxy', '10.0.0.0/8,0.0.0.0/1,128.0.0.0/1'], /trusts every IPv4/);
    const ok = await runCli(['serve', ...UPSTREAM, '--trust-proxy', '0.0.0.0/0', '--trust-all-proxies', '--check-config']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('tells ranges that cover every address from ones that do not', () => {
    assert.equal(coversEveryAddress(['::ffff:0:0/96']), 'IPv4');
    assert.equal(coversEveryAddress(['0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/2']), 'IPv4');
    assert.equal(coversEveryAddress(['0.0.0.0/1', '128.0.0.0/2']), null);
    assert.equal(coversEveryAddress(['10.0.0.0/8', '127.0.0.1', '::1/128', 'fc00::/7']), null);
  });

  it('refuses bans that could never apply or grow backwards, and odd ban values', async () => {
    await refused(['--ban-ttl', '1h'], /--ban-ttl needs --mode block/);
    await refused(['--block-exposures'], /--block-exposures needs --mode block/);
    await refused(['--mode', 'block', '--ban-ttl', '8d'], /--ban-ttl-max must be at least --ban-ttl/);
    await refused(['--mode', 'block', '--ban-on', 'request,sometimes'], /--ban-on.*request, 404, storm/);
    await refused(['--mode', 'block', '--ban-ttl-factor', '0.5'], /--ban-ttl-factor.*from 1 to 100/);
    await refused(['--mode', 'block', '--ban-ipv6-prefix', '8'], /--ban-ipv6-prefix.*from 16 to 128/);
    const ok = await runCli(['serve', ...UPSTREAM, '--mode', 'block', '--ban-ttl', '10m', '--ban-on', '404,storm', '--check-config']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /bans 600s/);
  });

  it('refuses an empty --data-dir', async () => {
    await refused(['--data-dir', ''], /--data-dir.*non-empty/);
  });

  it('takes --listen PORT as a port on every interface (it bound 0.0.7.98 before)', async () => {
    assert.deepEqual(loadOptions({ env: {}, flags: { listen: '18900' } }).listen, { host: '0.0.0.0', port: 18900 });
    assert.deepEqual(loadOptions({ env: {}, flags: { listen: ':18901' } }).listen, { host: '0.0.0.0', port: 18901 });
    assert.deepEqual(loadOptions({ env: {}, flags: { listen: '[::1]:80' } }).listen, { host: '::1', port: 80 });
    const run = await runCli(['serve', ...UPSTREAM, '--listen', '18900', '--check-config']);
    assert.match(run.stdout, /listen 0\.0\.0\.0:18900/);
  });

  it('loads and validates --rules files, as start-up would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wormwatch-check-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'signatures:\n  - id: Bad Id\n');
      await refused(['--rules', file], /invalid --rules: .*bad\.yaml/);
      writeFileSync(file, '');
      await refused(['--rules', file], /holds no rules/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wormwatch scan takes the detection and notice options serve does', function () {
  this.timeout(60_000);
  it('accepts --no-builtin-rules, the notice and storm options, and refuses the proxy-only ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wormwatch-scan-opts-'));
    try {
      const log = join(dir, 'access.log');
      writeFileSync(log, '192.0.2.1 - - [10/Oct/2004:04:20:13 -0400] "GET /default.ida?XXXXXXXXXXXXXXXXXXXXXXXXX HTTP/1.0" 404 0 "-" "-"\n');
      const rules = join(dir, 'rules.yaml');
      writeFileSync(rules, 'signatures: []\ndisable: []\n');
      const ok = await runCli(['scan', '--json', '--notify', 'off', '--no-builtin-rules', '--rules', rules, '--storm-threshold', '5', '--notice-max-per-hour', '3', '--outbox-max-rows', '1000', log]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal((JSON.parse(ok.stdout) as { detections: { total: number } }).detections.total, 0, 'no built-in rules');
      const proxyOnly = await runCli(['scan', '--upstream', 'http://127.0.0.1:1', log]);
      assert.equal(proxyOnly.code, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
