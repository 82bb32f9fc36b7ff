import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, closeSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../src/cli/bans.js';
import { WormwatchError } from '../../src/errors.js';
import { freePort } from '../deploy/support.js';
import { send, startApp, type TestApp } from '../helpers/app.js';
import { echo, startOrigin, type Origin } from '../helpers/origin.js';
import { cleanEnv, runCli, type CliResult } from './run-cli.js';

const TOKEN = 'bans-cli-test-token-0123456789';
const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } });

/** Runs `wormwatch bans ...args` in-process (the code of the binary), capturing what it prints. */
async function bans(...args: string[]): Promise<{ out: string; err: string }> {
  const io = { out: '', err: '' };
  const program = new Command('wormwatch').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  register(program, { out: (s) => void (io.out += s), err: (s) => void (io.err += s) });
  await program.parseAsync(['node', 'wormwatch', 'bans', ...args]);
  return io;
}

/** The rejection of a `bans` run: its exit status and message. */
async function failure(args: string[]): Promise<{ exitCode: number; message: string }> {
  try {
    await bans(...args);
  } catch (err) {
    assert.ok(err instanceof WormwatchError, `an error of the table, got ${String(err)}`);
    return { exitCode: err.exitCode, message: err.message };
  }
  throw new Error(`bans ${args.join(' ')} succeeded`);
}

function oneLine(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit ${code}, got ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

describe('wormwatch bans, against a running server\'s admin API', function () {
  // The spawned cases are cold `node --import tsx` starts: seconds each on two busy cores.
  this.timeout(60_000);
  let origin: Origin;
  let app: TestApp;
  let dir: string;

  before(async () => {
    origin = await startOrigin({ fallback: echo });
    app = await startApp({ upstream: origin.url, mode: 'block', banTtl: '1h', trustProxy: '127.0.0.1', allow: '203.0.113.0/24' });
    dir = mkdtempSync(join(tmpdir(), 'wormwatch-bans-cli-'));
  });
  after(async () => {
    await app.stop();
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const ip of ['198.51.100.7', '198.51.100.8', '2001:db8:1:2::9']) await send(app.admin, `/bans/${encodeURIComponent(ip)}`, { method: 'DELETE' });
  });

  it('add bans an address (the proxy then refuses it), list shows it as a table and as JSON, del lifts it', async () => {
    const added = await bans('add', '198.51.100.7', '--ttl', '2h', '--admin', app.admin);
    assert.match(added.out, /^banned 198\.51\.100\.7 for (2h0m|1h59m), until \d{4}-\d\d-\d\dT[\d:.]+Z \(ban 1 of this address\)\n$/);
    assert.equal((await send(app.url, '/', from('198.51.100.7'))).status, 403, 'the ban is in force at the proxy');

    const table = (await bans('list', '--admin', app.admin)).out.trimEnd().split('\n');
    assert.match(table[0]!, /^IP\s+UNTIL\s+LEFT\s+COUNT\s+REASON\s+SIGNATURE$/);
    assert.equal(table.length, 2);
    assert.match(table[1]!, /^198\.51\.100\.7\s+\S+Z\s+(2h0m|1h59m)\s+1\s+manual\s+-$/);
    const json = JSON.parse((await bans('list', '--json', '--admin', app.admin)).out) as { enabled: boolean; total: number; bans: Array<{ ip: string; reason: string }> };
    assert.deepEqual([json.enabled, json.total, json.bans.map((b) => [b.ip, b.reason])], [true, 1, [['198.51.100.7', 'manual']]]);

    assert.equal((await bans('del', '198.51.100.7', '--admin', app.admin)).out, 'lifted the ban on 198.51.100.7\n');
    assert.equal((await send(app.url, '/', from('198.51.100.7'))).status, 200, 'lifted at the proxy');
  });

  it('add without --ttl takes the server\'s --ban-ttl; an IPv6 address bans its /64, and del takes the prefix as list shows it', async () => {
    assert.match((await bans('add', '198.51.100.8', '--admin', app.admin)).out, /for (1h0m|59m59s),/);
    assert.match((await bans('add', '2001:db8:1:2::9', '--admin', app.admin)).out, /^banned 2001:db8:1:2::\/64 /);
    const listed = JSON.parse((await bans('list', '--json', '--limit', '1', '--admin', app.admin)).out) as { total: number; count: number };
    assert.deepEqual([listed.total, listed.count], [2, 1]);
    assert.equal((await bans('del', '2001:db8:1:2::/64', '--admin', app.admin)).out, 'lifted the ban on 2001:db8:1:2::/64\n');
  });

  it('refuses a bad address, --ttl or --limit before sending anything (usage, exit 2)', async () => {
    // Pointed at a port where nobody listens: had anything been sent, the error would say so (exit 1).
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    for (const [args, pattern] of [
      [['add', '198.51.100.300'], /^invalid address 198\.51\.100\.300: expected an IPv4 or IPv6 address/],
      [['add', '198.51.100.7', '--ttl', 'soon'], /^invalid --ttl soon: expected a duration/],
      [['add', '198.51.100.7', '--ttl', '0s'], /^invalid --ttl 0s:/],
      [['add', '198.51.100.7', '--ttl', '2'], /^invalid --ttl 2: expected a duration with its unit/],
      [['del', 'example.net'], /^invalid address example\.net/],
      [['list', '--limit', '100001'], /^invalid --limit 100001: expected an integer from 1 to 100000/],
    ] as const) {
      const f = await failure([...args, '--admin', nowhere]);
      assert.equal(f.exitCode, 2, f.message);
      assert.match(f.message, pattern);
    }
    assert.match((await failure(['list', '--admin', 'https://127.0.0.1:9090'])).message, /plain http:\/\//);
  });

  it('prints the server\'s 404 and 409 as one line with exit 1, a bad address as one line with exit 2 (the binary)', async () => {
    const [missing, allowed, bad] = await Promise.all([
      runCli(['bans', 'del', '198.51.100.99', '--admin', app.admin]),
      runCli(['bans', 'add', '203.0.113.5', '--admin', app.admin]),
      runCli(['bans', 'add', 'not-an-ip', '--admin', app.admin]),
    ]);
    oneLine(missing, 1, /^wormwatch: no ban covers 198\.51\.100\.99$/);
    oneLine(allowed, 1, /^wormwatch: 203\.0\.113\.5 is in --allow, which is never banned$/);
    oneLine(bad, 2, /^wormwatch: invalid address not-an-ip: /);
  });

  it('names the admin URL in one line, exit 1, when no server listens there (from --admin or WORMWATCH_ADMIN_LISTEN), and finds the server through WORMWATCH_ADMIN_LISTEN', async () => {
    const port = await freePort();
    await send(app.admin, '/bans', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ip":"198.51.100.8"}' });
    const [viaFlag, viaEnv, found] = await Promise.all([
      runCli(['bans', 'list', '--admin', `http://127.0.0.1:${port}`]),
      runCli(['bans', 'list'], cleanEnv({ WORMWATCH_ADMIN_LISTEN: `0.0.0.0:${port}` })),
      runCli(['bans', 'list'], cleanEnv({ WORMWATCH_ADMIN_LISTEN: app.admin.replace('http://', '') })),
    ]);
    oneLine(viaFlag, 1, new RegExp(`^wormwatch: no wormwatch admin server at http://127\\.0\\.0\\.1:${port} \\(is \`wormwatch serve\` running\\? --admin URL\\)$`));
    oneLine(viaEnv, 1, new RegExp(`^wormwatch: no wormwatch admin server at http://127\\.0\\.0\\.1:${port} `));
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /^198\.51\.100\.8 /m);
  });

  describe('with an admin token', () => {
    let secured: TestApp;
    before(async () => {
      secured = await startApp({ upstream: origin.url, mode: 'block', banTtl: '1h', adminToken: TOKEN });
    });
    after(() => secured.stop());

    it('names the token flags on a 401, and works with --admin-token, --admin-token-file, the environment and a --config file', async () => {
      const missing = await failure(['list', '--admin', secured.admin]);
      assert.equal(missing.exitCode, 1);
      assert.match(missing.message, /wants a token: give --admin-token-file FILE or --admin-token TOKEN \(or WORMWATCH_ADMIN_TOKEN_FILE \/ WORMWATCH_ADMIN_TOKEN\)/);
      assert.match((await failure(['list', '--admin', secured.admin, '--admin-token', 'x'.repeat(20)])).message, /refused the token/);

      assert.match((await bans('add', '198.51.100.7', '--admin', secured.admin, '--admin-token', TOKEN)).out, /^banned 198\.51\.100\.7 /);
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, `${TOKEN}\n`);
      assert.match((await bans('list', '--admin', secured.admin, '--admin-token-file', tokenFile)).out, /^198\.51\.100\.7 /m);
      const config = join(dir, 'wormwatch.yaml');
      writeFileSync(config, `adminListen: "${secured.admin.replace('http://', '')}"\nadminTokenFile: ${tokenFile}\n`);
      assert.match((await bans('list', '-c', config)).out, /^198\.51\.100\.7 /m);
      const viaEnv = await runCli(['bans', 'del', '198.51.100.7', '--admin', secured.admin], cleanEnv({ WORMWATCH_ADMIN_TOKEN: TOKEN }));
      assert.equal(viaEnv.code, 0, viaEnv.stderr);
      assert.equal(viaEnv.stdout, 'lifted the ban on 198.51.100.7\n');
    });
  });

  describe('export', () => {
    const file = (): string => join(dir, 'wormwatch-bans.conf');

    it('replaces the file by rename (a reader holding the old one reads it whole), mode 0644 whatever the umask, no temporary file left', async () => {
      await bans('add', '198.51.100.7', '--admin', app.admin);
      assert.match((await bans('export', '--format', 'nginx', file(), '--admin', app.admin)).out, /^written .*wormwatch-bans\.conf \(1 bans\)\n$/);
      const first = readFileSync(file(), 'utf8');
      assert.match(first, /^# wormwatch bans: 1 in force/);
      assert.match(first, /^198\.51\.100\.7 1;$/m);
      const before = statSync(file());
      const held = openSync(file(), 'r');
      await bans('add', '198.51.100.8', '--admin', app.admin);
      const umask = process.umask(0o077);
      try {
        await bans('export', '--format', 'nginx', file(), '--admin', app.admin);
      } finally {
        process.umask(umask);
      }
      const after = statSync(file());
      assert.notEqual(after.ino, before.ino, 'a new file was renamed into place, not the old one rewritten');
      assert.equal(after.mode & 0o777, 0o644);
      const old = Buffer.alloc(before.size + 10);
      assert.equal(old.subarray(0, readSync(held, old, 0, old.length, 0)).toString('utf8'), first, 'the old file is whole for whoever holds it');
      closeSync(held);
      assert.match(readFileSync(file(), 'utf8'), /^198\.51\.100\.8 1;$/m);
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes('wormwatch-bans')), ['wormwatch-bans.conf']);
    });

    it('--if-changed leaves the file alone when only comments or order differ, and says changed or unchanged first', async () => {
      await bans('add', '198.51.100.7', '--admin', app.admin);
      rmSync(file(), { force: true });
      assert.match((await bans('export', '--format', 'nginx', '--if-changed', file(), '--admin', app.admin)).out, /^changed .* \(1 bans\)\n$/);
      await bans('add', '198.51.100.8', '--admin', app.admin);
      assert.match((await bans('export', '--format', 'nginx', '--if-changed', file(), '--admin', app.admin)).out, /^changed .* \(2 bans\)\n$/);
      // Same entries, other comments and order: what an export a moment later looks like to nginx.
      const entries = readFileSync(file(), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      writeFileSync(file(), `# edited at another time\n${[...entries].reverse().join('\n')}\n`);
      const before = statSync(file());
      assert.match((await bans('export', '--format', 'nginx', '--if-changed', file(), '--admin', app.admin)).out, /^unchanged .* \(2 bans\)\n$/);
      const after = statSync(file());
      assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'not touched');
      assert.match(readFileSync(file(), 'utf8'), /^# edited at another time/);
      await bans('del', '198.51.100.8', '--admin', app.admin);
      assert.match((await bans('export', '--format', 'nginx', '--if-changed', file(), '--admin', app.admin)).out, /^changed .* \(1 bans\)\n$/);
      assert.equal((await failure(['export', '--format', 'nginx', '--if-changed', '-', '--admin', app.admin])).exitCode, 2);
    });

    it('writes JSON, whose --if-changed ignores the ticking remainingSeconds; - writes to standard output', async () => {
      await bans('add', '198.51.100.7', '--admin', app.admin);
      const json = join(dir, 'bans.json');
      await bans('export', '--format', 'json', json, '--admin', app.admin);
      const written = JSON.parse(readFileSync(json, 'utf8')) as { total: number; bans: Array<{ ip: string; remainingSeconds: number }> };
      assert.deepEqual([written.total, written.bans[0]!.ip], [1, '198.51.100.7']);
      written.bans[0]!.remainingSeconds -= 5;
      writeFileSync(json, JSON.stringify(written));
      assert.match((await bans('export', '--format', 'json', '--if-changed', json, '--admin', app.admin)).out, /^unchanged /);
      const stdout = (await bans('export', '--format', 'nginx', '-', '--admin', app.admin)).out;
      assert.match(stdout, /^# wormwatch bans: 1 in force[^\n]*\n(?:#[^\n]*\n)*198\.51\.100\.7 1;\n$/);
    });

    it('leaves the file as it was when the server is unreachable or answers lines that are no geo entries', async () => {
      writeFileSync(file(), '# kept\n192.0.2.1 1;\n');
      const before = statSync(file());
      const unreachable = await failure(['export', '--format', 'nginx', file(), '--admin', `http://127.0.0.1:${await freePort()}`]);
      assert.match(unreachable.message, /^no wormwatch admin server at /);
      const hostile = http.createServer((_req, res) => res.end('# looks right\n198.51.100.7 1;\n}\nserver { listen 80; }\n'));
      await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
      try {
        const f = await failure(['export', '--format', 'nginx', file(), '--admin', `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`]);
        assert.deepEqual([f.exitCode, /^line 3 of the answer .* is no "ADDRESS 1;" entry: nothing written/.test(f.message)], [1, true], f.message);
      } finally {
        hostile.close();
      }
      assert.equal(readFileSync(file(), 'utf8'), '# kept\n192.0.2.1 1;\n');
      assert.equal(statSync(file()).ino, before.ino);
      // A rename that fails (over a directory) leaves no temporary file behind.
      mkdirSync(join(dir, 'taken.conf'));
      const taken = await failure(['export', '--format', 'nginx', join(dir, 'taken.conf'), '--admin', app.admin]);
      assert.deepEqual([taken.exitCode, /^cannot write .*taken\.conf \(EISDIR\): the file is left as it was$/.test(taken.message)], [1, true], taken.message);
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    });
  });
});
