import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, ROOT, runCli, type CliResult } from './run-cli.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function oneLineError(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit status 2, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0]!, /^wormwatch: /);
  assert.match(lines[0]!, pattern);
}

describe('wormwatch CLI', function () {
  // Each case starts a Node process with tsx; on two busy cores that takes seconds.
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wormwatch-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the package version with --version', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), VERSION);
  });

  it('lists the commands with --help, and every option with its variable under serve --help', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: wormwatch/);
    for (const cmd of ['serve', 'demo']) assert.match(top.stdout, new RegExp(`^  ${cmd} `, 'm'));
    const serve = await runCli(['serve', '--help']);
    assert.equal(serve.code, 0);
    for (const text of ['--upstream <url>', '--offender-max <n>', 'WORMWATCH_OFFENDER_MAX', '--config <file>', '--check-config']) {
      assert.ok(serve.stdout.includes(text), `serve --help mentions ${text}`);
    }
  });

  it('rejects an unknown flag, a bad value, an unknown variable and a missing upstream with one line and status 2', async () => {
    const results = await Promise.all([
      runCli(['serve', '--upstreem', 'http://127.0.0.1:1']),
      runCli(['serve', '--upstream', 'http://127.0.0.1:1', '--offender-max', 'lots']),
      runCli(['serve', '--upstream', 'http://127.0.0.1:1'], cleanEnv({ WORMWATCH_OFENDER_TTL: '1h' })),
      runCli(['serve', '--check-config']),
      runCli(['frobnicate']),
    ]);
    oneLineError(results[0]!, /unknown option '--upstreem'.*--upstream/);
    oneLineError(results[1]!, /--offender-max.*"lots"/);
    oneLineError(results[2]!, /WORMWATCH_OFENDER_TTL/);
    oneLineError(results[3]!, /--upstream is required/);
    oneLineError(results[4]!, /unknown command 'frobnicate'/);
  });

  it('validates flags, environment and a YAML file with serve --check-config and exits 0 without listening', async () => {
    const file = join(dir, 'wormwatch.yaml');
    writeFileSync(file, 'upstream: http://127.0.0.1:3000\nmode: block\nadminListen: 127.0.0.1:9191\n');
    const ok = await runCli(['serve', '--check-config', '--config', file, '--listen', '127.0.0.1:8181'], cleanEnv({ WORMWATCH_MODE: 'monitor' }));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /configuration OK \(upstream http:\/\/127\.0\.0\.1:3000, listen 127\.0\.0\.1:8181, admin 127\.0\.0\.1:9191, mode monitor, \d+ signatures\)/);
    writeFileSync(file, 'upstream: http://127.0.0.1:3000\noffenderMaxx: 3\n');
    oneLineError(await runCli(['serve', '--check-config', '--config', file]), /unknown option "offenderMaxx"/);
    oneLineError(await runCli(['serve', '--check-config', '--upstream', 'http://127.0.0.1:3000', '--notify', 'smtp']), /--notify smtp needs --smtp-url/);
  });

  it('in fleet mode takes --notify smtp without --smtp-url (wormwatch mailer sends the host tier), and refuses the abuse tier there in one line', async () => {
    const fleet = ['serve', '--check-config', '--upstream', 'http://127.0.0.1:3000', '--redis-url', 'redis://127.0.0.1:9/', '--notify', 'smtp'];
    const ok = await runCli([...fleet, '--notice-tiers', 'host']);
    assert.equal(ok.code, 0, ok.stderr);
    oneLineError(await runCli(fleet), /--notice-tiers abuse needs --smtp-url on each replica .*set --notice-tiers host/);
  });
});
