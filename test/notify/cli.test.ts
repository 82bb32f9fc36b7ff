import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { startWormwatch, type Wormwatch } from '../../src/runtime/serve.js';
import { register } from '../../src/cli/notices.js';
import { builtinCatalogue } from '../../src/rules/index.js';
import { createLogger } from '../../src/log.js';
import { notifyExtension } from '../../src/runtime/extensions/notify.js';
import { Outbox } from '../../src/notify/outbox.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { CLI, ROOT, noticeOptions, startDns, startSmtp, tempDir, waitFor, type TestDns, type TestSmtp } from './support.js';
import { stayingLocal } from '../helpers/notice-guard.js';

// Offender addresses are DATA only (X-Forwarded-For from 127.0.0.1); DNS and SMTP are on loopback.
// The server runs in this process (the same startWormwatch as `serve`; the crash test runs the
// binary); the CLI opens the outbox through its own SQLite connection, as from another process.
const probe = builtinCatalogue().find((s) => s.id === 'codered-ii')!.examples.positive[0]!.request.split(' ')[1]!;
const IPS = ['45.33.60.1', '45.33.60.2', '45.33.60.3'];

describe('wormwatch notices, against a running server\'s outbox', function () {
  this.timeout(120_000);
  let origin: Origin;
  let dns: TestDns;
  let smtp: TestSmtp;
  let dir: ReturnType<typeof tempDir>;
  let ww: Wormwatch;
  let outbox: Outbox;

  /** Runs `wormwatch notices ...args` in-process (same code as the binary), capturing output. */
  async function notices(...args: string[]): Promise<{ out: string; err: string }> {
    const io = { out: '', err: '' };
    const program = new Command('wormwatch').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    register(program, { out: (s) => void (io.out += s), err: (s) => void (io.err += s) });
    await program.parseAsync(['node', 'wormwatch', 'notices', ...args, '--data-dir', dir.path]);
    return io;
  }

  before(async () => {
    dir = tempDir();
    origin = await startOrigin();
    dns = await startDns({});
    smtp = await startSmtp('permfail');
    ww = await startWormwatch(stayingLocal(noticeOptions({
      upstream: origin.url, listen: '127.0.0.1:0', adminListen: '127.0.0.1:0', trustProxy: '127.0.0.1/32',
      dataDir: dir.path, smtpUrl: smtp.url, dnsServer: dns.server, dnsTimeout: '300ms', smtpRateLimit: 1000,
    })), { logger: createLogger('silent'), extensions: [notifyExtension] });
    for (const ip of IPS) {
      const res = await fetch(`http://127.0.0.1:${ww.proxyAddress.port}${probe}`, { headers: { 'x-forwarded-for': ip } });
      assert.equal(res.status, 200);
    }
    outbox = new Outbox(dir.path);
    await waitFor(() => outbox.countsByState().failed === IPS.length, 20_000, 'three failed notices');
  });
  after(async () => {
    await ww.stop(0);
    outbox.close();
    await smtp.close();
    await dns.close();
    await origin.close();
    dir.remove();
  });

  it('list --json prints the notices (the binary, as a user runs it)', async () => {
    const { stdout } = await promisify(execFile)(CLI[0]!, [...CLI.slice(1), 'notices', 'list', '--json', '--data-dir', dir.path], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } });
    const rows = JSON.parse(stdout) as { ip: string; state: string; smtpReply: string }[];
    assert.deepEqual(rows.map((r) => r.ip).sort(), IPS);
    assert.ok(rows.every((r) => r.state === 'failed' && /^554 /.test(r.smtpReply)));
  });

  it('list --state filters, and prints a table', async () => {
    const { out } = await notices('list', '--state', 'failed');
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /^ID\tSTATE\tKIND\tIP/);
    assert.match(lines[1]!, /^\d+\tfailed\toffender\t45\.33\.60\.\d\t/);
    assert.equal(lines.length, 1 + IPS.length);
    assert.equal((await notices('list', '--state', 'sent')).out.trim().split('\n').length, 1);
  });

  it('show prints the full rendered message, its state on stderr', async () => {
    const id = outbox.list({ limit: 1 })[0]!.id;
    const { out, err } = await notices('show', String(id));
    assert.match(err, new RegExp(`^notice ${id}: failed \\(554 `));
    assert.match(out, /^Subject: \[wormwatch\] .* from 45\.33\.60\.\d$/m);
    assert.match(out, /^Auto-Submitted: auto-generated$/m);
    assert.match(out, /^X-Wormwatch-Signature: codered-ii$/m);
    assert.match(out, /WHAT IT MEANS AND HOW TO FIX IT/);
  });

  it('retry ID and retry --all-failed make the running server send them', async () => {
    smtp.behaviour = 'accept';
    const first = outbox.list({ limit: 1 })[0]!.id;
    assert.equal((await notices('retry', String(first))).out, 'queued 1 notice(s) again\n');
    await waitFor(() => outbox.get(first)?.state === 'sent', 10_000, 'the retried notice sent');
    assert.equal(outbox.countsByState().failed, IPS.length - 1);
    assert.equal((await notices('retry', '--all-failed')).out, `queued ${IPS.length - 1} notice(s) again\n`);
    await waitFor(() => outbox.countsByState().sent === IPS.length, 10_000, 'all sent');
    assert.equal(smtp.received.length, IPS.length);
  });

  it('purge --older-than deletes finished notices older than the age only', async () => {
    assert.equal((await notices('purge', '--older-than', '30d')).out, 'purged 0 notice(s)\n');
    assert.equal((await notices('purge', '--older-than', '0ms')).out, `purged ${IPS.length} notice(s)\n`);
    assert.equal(outbox.list({ limit: 10 }).length, 0);
  });

  it('rejects bad arguments with one clear line', async () => {
    await assert.rejects(notices('show', '999999'), /no notice 999999 in the outbox/);
    await assert.rejects(notices('retry'), /either a notice ID or --all-failed/);
    await assert.rejects(notices('list', '--state', 'bogus'), /invalid --state bogus/);
    await assert.rejects(notices('purge', '--older-than', 'soon'), /invalid --older-than soon/);
  });
});
