import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapFor } from '../../src/notify/index.js';
import { baseUrlsFor, SHIPPED_BOOTSTRAP } from '../../src/rdap/index.js';
import { startRdapServer, type TestRdapServer } from '../helpers/rdap-server.js';
import { runCli } from './run-cli.js';

// A loopback HTTP server stands in for data.iana.org (--from); nothing leaves the machine.
const file = (prefix: string, url: string) => JSON.stringify({ version: '1.0', publication: '2026-06-01T00:00:00Z', description: 'test', services: [[[prefix], [url]]] });

describe('wormwatch rdap update-bootstrap, --rdap-bootstrap and --rdap-url (CLI)', function () {
  this.timeout(60_000);
  let iana: TestRdapServer;
  let dir: string;
  const ipv4 = file('193.0.0.0/8', 'https://rdap.db.ripe.example/');
  const ipv6 = file('2001:600::/23', 'https://rdap.db.ripe.example/');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ww-rdap-cli-'));
    iana = await startRdapServer({ '/rdap/ipv4.json': { body: ipv4, headers: { 'content-type': 'application/json' } }, '/rdap/ipv6.json': { body: ipv6 } });
  });
  afterEach(async () => {
    await iana.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches ipv4.json and ipv6.json from --from into --to, unchanged, and says what it wrote', async () => {
    const to = join(dir, 'bootstrap');
    const run = await runCli(['rdap', 'update-bootstrap', '--from', `${iana.origin}/rdap/`, '--to', to]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(readFileSync(join(to, 'ipv4.json'), 'utf8'), ipv4);
    assert.equal(readFileSync(join(to, 'ipv6.json'), 'utf8'), ipv6);
    assert.match(run.stdout, /wrote .*ipv4\.json: published 2026-06-01T00:00:00Z, 1 registries, 1 prefixes/);
    assert.deepEqual(iana.requests.map((r) => r.path).sort(), ['/rdap/ipv4.json', '/rdap/ipv6.json']);
  });

  it('writes into --data-dir by default, which the abuse tier then prefers to the shipped copy', async () => {
    const run = await runCli(['rdap', 'update-bootstrap', '--from', `${iana.origin}/rdap/`, '--data-dir', dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /serve uses it from its next start/);
    const used = await bootstrapFor({ dataDir: dir, rdapBootstrap: undefined });
    assert.deepEqual(baseUrlsFor('193.0.6.139', used), ['https://rdap.db.ripe.example/']);
    assert.notDeepEqual(baseUrlsFor('193.0.6.139', SHIPPED_BOOTSTRAP), ['https://rdap.db.ripe.example/']);
  });

  it('keeps the old copy and exits non-zero with one line when the registry answers an error', async () => {
    const to = join(dir, 'bootstrap');
    assert.equal((await runCli(['rdap', 'update-bootstrap', '--from', `${iana.origin}/rdap/`, '--to', to])).code, 0);
    iana.route('/rdap/ipv6.json', { status: 503 });
    const run = await runCli(['rdap', 'update-bootstrap', '--from', `${iana.origin}/rdap/`, '--to', to]);
    assert.notEqual(run.code, 0);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /ipv6\.json answered HTTP 503/);
    assert.equal(readFileSync(join(to, 'ipv4.json'), 'utf8'), ipv4, 'the good copy stays');
  });

  it('refuses --to with --shipped, and a --from that is not an http(s) URL', async () => {
    const both = await runCli(['rdap', 'update-bootstrap', '--shipped', '--to', dir]);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /--to DIR or --shipped, not both/);
    const ftp = await runCli(['rdap', 'update-bootstrap', '--from', 'ftp://data.iana.example/', '--to', dir]);
    assert.match(ftp.stderr, /invalid --from/);
    assert.equal(iana.requests.length, 0);
  });

  it('checks --rdap-bootstrap and --rdap-url at --check-config: exit 2, one line each', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{oops');
    const checks: [string[], RegExp][] = [
      [['--rdap-bootstrap', bad], /invalid --rdap-bootstrap: .*not valid JSON/],
      [['--rdap-bootstrap', join(dir, 'missing')], /invalid --rdap-bootstrap: .*ENOENT/],
      [['--rdap-url', 'http://127.0.0.1:9/', '--rdap-bootstrap', bad], /--rdap-url sends every lookup to one server/],
      [['--rdap-url', 'ftp://rdap.example/'], /--rdap-url/],
    ];
    for (const [flags, why] of checks) {
      const run = await runCli(['serve', '--check-config', '--upstream', 'http://127.0.0.1:1', '--data-dir', dir, ...flags]);
      assert.equal(run.code, 2, `${flags.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, why);
    }
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ ipv4: JSON.parse(ipv4), ipv6: JSON.parse(ipv6) }));
    assert.equal((await runCli(['serve', '--check-config', '--upstream', 'http://127.0.0.1:1', '--data-dir', dir, '--rdap-bootstrap', good])).code, 0);
    assert.equal(existsSync(join(dir, 'outbox.sqlite')), false, '--check-config opens nothing');
  });
});
