import assert from 'node:assert/strict';
import { Command } from 'commander';
import { register } from '../../src/cli/notices.js';
import { ConfigError } from '../../src/errors.js';
import { Outbox } from '../../src/notify/outbox.js';
import { utcDay } from '../../src/notify/operator.js';
import { createLogger } from '../../src/log.js';
import { buildEngine } from '../../src/rules/index.js';
import { startScan } from '../../src/runtime/scan.js';
import { runCli } from '../cli/run-cli.js';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { exposure, NO_RDAP, noticeOptions, startDns, startSmtp, tempDir, waitFor, type ReceivedMail, type TestDns, type TestSmtp } from './support.js';

// Every server here is on 127.0.0.1: the origin, wormwatch, the SMTP server and the DNS server.
// Source addresses are DATA only (X-Forwarded-For from 127.0.0.1, a --trust-proxy peer).
const DOTENV = 'APP_NAME=shop\nAPP_KEY=base64:Zm9vYmFyYmF6\nDB_PASSWORD=s3cret\n';
const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

/** An origin that leaks: `/.env` and `/api/.env` are served with 200 and KEY=value lines. */
const leakyOrigin = (): Promise<Origin> => startOrigin({
  fallback: (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (path === '/.env' || path === '/api/.env') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(DOTENV);
    res.writeHead(404).end('not found');
  },
});

describe('operator mail: an exposure mails --operator-email at once (real origin, proxy, SMTP and DNS on loopback)', function () {
  this.timeout(60_000);
  let origin: Origin;
  let smtp: TestSmtp;
  let dns: TestDns;
  let app: TestApp | undefined;
  let outbox: Outbox | undefined;

  const flags = (more: Record<string, unknown> = {}) => ({
    upstream: origin.url, trustProxy: '127.0.0.1', notify: 'smtp', smtpUrl: smtp.url, operatorEmail: 'ops@example.net',
    noticeFrom: 'wormwatch@example.org', noticeRetryBase: '50ms', noticeRetryMax: '200ms', smtpRateLimit: 1000,
    dnsServer: dns.server, dnsTimeout: '300ms', rdapUrl: NO_RDAP, ...more,
  });
  async function start(more: Record<string, unknown> = {}): Promise<TestApp> {
    app = await startApp(flags(more));
    outbox = new Outbox(app.dataDir);
    return app;
  }
  const operatorRows = () => outbox!.list({ kind: 'operator', limit: 50 });
  const mailAbout = (path: string) => waitFor(() => smtp.received.find((m) => m.headers.get('subject')?.startsWith(`wormwatch: ${path} was served`)), 10_000, `the mail about ${path}`);
  /** No operator mail still waits or is being sent. */
  const settled = () => eventually(() => operatorRows().every((r) => r.state === 'sent'), 10_000, 'every operator mail sent');

  beforeEach(async () => {
    origin = await leakyOrigin();
    smtp = await startSmtp();
    dns = await startDns({});
  });
  afterEach(async () => {
    outbox?.close();
    outbox = undefined;
    await app?.stop();
    app = undefined;
    await smtp.close();
    await dns.close();
    await origin.close();
  });

  it('says what was served, to whom, what to do and how to block it; the secret itself is not in the mail', async () => {
    await start();
    assert.equal((await send(app!.url, '/.env', from('198.51.100.60'))).body, DOTENV, 'the answer is not changed');
    const mail: ReceivedMail = await mailAbout('/.env');
    assert.deepEqual(mail.to, ['ops@example.net']);
    assert.equal(mail.from, 'wormwatch@example.org');
    assert.equal(mail.headers.get('subject'), 'wormwatch: /.env was served to 198.51.100.60 (probe-dotenv)');
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    const body = mail.body.replace(/\s+/g, ' ');
    for (const said of [/Path: \/\.env/, /Status: 200/, /Source: 198\.51\.100\.60/, /Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
      /Signature: Hunt for a \.env secrets file \(probe-dotenv\)/, /Laravel, Symfony/, /rotate every password, key and token/,
      /Remove the file from the web root/, /access logs for other addresses/, /--mode block --block-exposures/, /DELETE \/exposures\?path=\/\.env/]) {
      assert.match(body, said);
    }
    assert.doesNotMatch(mail.raw, /s3cret|Zm9vYmFy/, 'what was served is not repeated');
    await settled();
    const listed = JSON.parse((await send(app!.admin, '/notices?kind=operator')).body) as { notices: Array<Record<string, unknown>> };
    assert.deepEqual(listed.notices.map((n) => [n.kind, n.path, n.status, n.recipient, n.ip, n.state]), [['operator', '/.env', 200, 'ops@example.net', '198.51.100.60', 'sent']]);
    assert.equal(await app!.metric('wormwatch_notices_total', { result: 'sent' }), 1, 'the source (a documentation address) got no notice of its own');
  });

  it('is listed by `wormwatch notices list` with its kind and path, and `notices show` prints it as sent', async () => {
    await start();
    await send(app!.url, '/.env', from('198.51.100.60'));
    const mail = await mailAbout('/.env');
    await settled();
    const io = { out: '', err: '' };
    const notices = async (...args: string[]) => {
      io.out = io.err = '';
      const program = new Command('wormwatch').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
      register(program, { out: (t) => void (io.out += t), err: (t) => void (io.err += t) });
      await program.parseAsync(['node', 'wormwatch', 'notices', ...args, '--data-dir', app!.dataDir]);
      return io;
    };
    const table = (await notices('list', '--kind', 'operator')).out.trim().split('\n');
    assert.equal(table.length, 2, table.join('\n'));
    const [id, state, kind, ip, path, signature] = table[1]!.split('\t');
    assert.deepEqual([state, kind, ip, path, signature], ['sent', 'operator', '198.51.100.60', '/.env', 'probe-dotenv']);
    assert.deepEqual((await notices('list')).out.trim().split('\n').slice(1).map((l) => l.split('\t')[2]).sort(), ['offender', 'operator']);
    const shown = await notices('show', id!);
    assert.match(shown.err, new RegExp(`^notice ${id} \\(operator mail\\): sent, 1 attempt`));
    assert.match(shown.out, /^To: ops@example\.net$/m);
    assert.match(shown.out, new RegExp(`^Message-ID: ${mail.headers.get('message-id')!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(shown.out, /^Subject: wormwatch: \/\.env was served to 198\.51\.100\.60 \(probe-dotenv\)$/m);
  });

  it('mails once per path per UTC day: the same path again is not mailed, another path is mailed at once', async () => {
    await start();
    const first = Date.now();
    await send(app!.url, '/.env', from('198.51.100.60'));
    await mailAbout('/.env');
    await settled();
    await send(app!.url, '/.env', from('198.51.100.61'));
    await send(app!.url, '/api/.env', from('198.51.100.62'));
    const days = new Set([utcDay(first), utcDay(Date.now())]).size; // a run across midnight may mail /.env twice, rightly
    await mailAbout('/api/.env');
    await eventually(() => operatorRows().length === days + 1, 10_000, 'both exposures decided');
    await settled();
    assert.equal(smtp.received.length, days + 1);
    assert.deepEqual(operatorRows().map((r) => r.path).sort(), days > 1 ? ['/.env', '/.env', '/api/.env'] : ['/.env', '/api/.env']);
    assert.equal(operatorRows().find((r) => r.path === '/.env')!.hits, 1, 'a mail that went is not changed afterwards');
    assert.equal(await app!.metric('wormwatch_exposures_total', { signature: 'probe-dotenv' }), 3, 'every exposure is still counted');
  });

  it('retries after a 4xx, and the mail waiting counts the later exposures of its path', async () => {
    smtp.behaviour = 'tempfail';
    await start();
    await send(app!.url, '/.env', from('198.51.100.60'));
    const row = await waitFor(() => operatorRows().find((r) => r.state === 'retrying'), 10_000, 'a refused attempt');
    await send(app!.url, '/.env', from('198.51.100.61'));
    await eventually(() => outbox!.get(row.id)?.hits === 2, 10_000, 'the second exposure added');
    smtp.behaviour = 'accept';
    const mail = await mailAbout('/.env');
    assert.match(mail.body, /Requests: {3}2 before this mail went/);
    assert.match(mail.body, /Source: {5}198\.51\.100\.60 \(the first to fetch it/);
    await settled();
    assert.ok(outbox!.get(row.id)!.attempts >= 2);
    assert.ok((await app!.metric('wormwatch_notices_total', { result: 'retried' })) >= 1);
    assert.equal(smtp.received.length, 1);
  });

  it('regression: an exposure seen while its mail was being sent was lost from the count when that attempt failed', async () => {
    smtp.behaviour = 'hold';
    await start();
    await send(app!.url, '/.env', from('198.51.100.60'));
    const row = await waitFor(() => (smtp.held === 1 ? operatorRows().find((r) => r.state === 'sending') : undefined), 10_000, 'the attempt in flight');
    await send(app!.url, '/.env', from('198.51.100.61'));
    await eventually(async () => (await app!.metric('wormwatch_exposures_total', { signature: 'probe-dotenv' })) === 2, 10_000, 'the second exposure seen');
    await new Promise((r) => setTimeout(r, 150)); // the hand-off drains on the next ticks: decided while the attempt is in flight
    assert.equal(outbox!.get(row.id)!.state, 'sending', 'still in flight when the second exposure was decided');
    smtp.behaviour = 'accept';
    smtp.answerHeld('tempfail');
    const mail = await mailAbout('/.env');
    assert.match(mail.body, /Requests: {3}2 before this mail went/);
    await settled();
    assert.equal(outbox!.get(row.id)!.hits, 2);
    assert.equal(smtp.received.length, 1);
  });

  it('sends the mail still waiting when wormwatch stopped once it is started again', async () => {
    smtp.behaviour = 'tempfail';
    const dataDir = tempDir();
    try {
      await start({ dataDir: dataDir.path });
      await send(app!.url, '/.env', from('198.51.100.60'));
      await waitFor(() => operatorRows().find((r) => r.state === 'retrying'), 10_000, 'the mail waiting');
      outbox!.close();
      await app!.stop(true);
      app = undefined;
      assert.equal(smtp.received.length, 0);
      smtp.behaviour = 'accept';
      await start({ dataDir: dataDir.path });
      const mail = await mailAbout('/.env');
      assert.match(mail.body, /Source: +198\.51\.100\.60/);
      await settled();
      assert.equal(smtp.received.length, 1);
    } finally {
      outbox?.close();
      outbox = undefined;
      await app?.stop(true);
      app = undefined;
      dataDir.remove();
    }
  });

  it('is held back by no offender rule: notice caps at 0, a private source, and no reverse DNS lookup', async () => {
    await start({ noticeMaxPerHour: 0, noticeMaxPerDomainPerHour: 0 });
    await send(app!.url, '/.env', from('45.33.32.156'));
    await send(app!.url, '/api/.env', from('10.1.2.3'));
    await mailAbout('/.env');
    await mailAbout('/api/.env');
    await settled();
    assert.equal(await app!.metric('wormwatch_notices_suppressed_total', { reason: 'hourly-cap' }), 1, 'the public source got no notice: the cap is 0');
    assert.equal(await app!.metric('wormwatch_notices_suppressed_total', { reason: 'not-eligible' }), 1, 'nor the private one');
    assert.deepEqual(dns.queries, [], 'operator mail is never looked up');
  });

  it('--notify off: no notice to the offender, the operator mail still goes', async () => {
    await start({ notify: 'off' });
    await send(app!.url, '/.env', from('45.33.32.157'));
    await mailAbout('/.env');
    await settled();
    assert.deepEqual(outbox!.list({ limit: 10 }).map((r) => r.kind), ['operator']);
    assert.deepEqual(dns.queries, []);
  });
});

describe('operator mail configuration', function () {
  this.timeout(60_000);

  it('refuses --operator-email without --smtp-url: one line naming the option and the fix, exit 2', async () => {
    const run = await runCli(['serve', '--upstream', 'http://127.0.0.1:1', '--operator-email', 'ops@example.net', '--check-config']);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /--operator-email needs --smtp-url.*add --smtp-url smtp:\/\//);
    await assert.rejects(startApp({ upstream: 'http://127.0.0.1:1', notify: 'outbox', operatorEmail: 'ops@example.net', dnsServer: '127.0.0.1:9', rdapUrl: NO_RDAP }), (e: unknown) => e instanceof ConfigError && /--operator-email/.test(e.message));
  });

  it('accepts --operator-email with --smtp-url under --notify off', async () => {
    const run = await runCli(['serve', '--upstream', 'http://127.0.0.1:1', '--operator-email', 'ops@example.net', '--smtp-url', 'smtp://127.0.0.1:1', '--notify', 'off', '--check-config']);
    assert.equal(run.code, 0, run.stderr);
  });

  it('mails nobody about exposures a log scan finds (history, not news), though it still notes the offender', async () => {
    const dir = tempDir();
    const smtp = await startSmtp();
    const dns = await startDns({});
    const options = noticeOptions({ dataDir: dir.path, smtpUrl: smtp.url, notify: 'outbox', operatorEmail: 'ops@example.net', dnsServer: dns.server });
    const scan = await startScan(options, { logger: createLogger('silent'), engine: buildEngine(options) });
    const box = new Outbox(dir.path);
    try {
      scan.onDetection(exposure('45.33.32.158'));
      await waitFor(() => box.list({ limit: 5 }).length > 0, 10_000, 'the offender notice');
      assert.deepEqual(box.list({ limit: 5 }).map((r) => r.kind), ['offender']);
      assert.equal(smtp.received.length, 0);
    } finally {
      box.close();
      await scan.stop();
      await smtp.close();
      await dns.close();
      dir.remove();
    }
  });
});
