import assert from 'node:assert/strict';
import { Outbox } from '../../src/notify/outbox.js';
import type { Notifier } from '../../src/notify/index.js';
import { detection, noticeOptions, startDns, startNotifier, startSmtp, tempDir, waitFor, type TestDns, type TestSmtp } from './support.js';

// 45.33.32.x are public-looking addresses used as DATA only: recipients are strings handed to
// the SMTP server on 127.0.0.1, and every DNS query goes to the DNS server on 127.0.0.1.
const IP = '45.33.32.156';
const TITLE = detection(IP).verdict.signature.title;

describe('notice delivery over SMTP (real SMTP and DNS servers on loopback)', () => {
  let dns: TestDns;
  let smtp: TestSmtp;
  let dir: ReturnType<typeof tempDir>;
  let notifier: Notifier | undefined;
  let metrics: ReturnType<typeof startNotifier>['metrics'];
  let outbox: Outbox | undefined;

  beforeEach(async () => {
    dir = tempDir();
    dns = await startDns({ ptr: { [IP]: ['host.example.net'] }, a: { 'host.example.net': [IP] } });
  });
  const extraDirs: ReturnType<typeof tempDir>[] = [];
  const tempDirFor = () => {
    const d = tempDir();
    extraDirs.push(d);
    return d.path;
  };
  afterEach(async () => {
    await notifier?.stop();
    notifier = undefined;
    outbox?.close();
    outbox = undefined;
    await smtp?.close();
    await dns.close();
    dir.remove();
    for (const d of extraDirs.splice(0)) d.remove();
  });

  async function run(flags: Record<string, unknown> = {}) {
    const options = noticeOptions({ smtpUrl: smtp.url, dnsServer: dns.server, dnsTimeout: '300ms', dataDir: dir.path, noticeFrom: 'Wormwatch <wormwatch@example.org>', ...flags });
    ({ notifier, metrics } = startNotifier(options));
    await notifier.start();
    outbox = new Outbox(dir.path);
    return notifier;
  }
  const counter = async (result: string) => (await metrics.registry.getSingleMetric('wormwatch_notices_total')!.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

  it('sends one notice to exactly the four default recipients, with the specified headers and body', async () => {
    smtp = await startSmtp();
    const n = await run({ noticeReplyTo: 'abuse@example.org' });
    n.notify(detection(IP, new Date(Date.UTC(2026, 10, 27, 15, 0, 0))));
    const mail = await waitFor(() => smtp.received[0], 10_000, 'the notice');
    assert.deepEqual([...mail.to].sort(), ['administrator@[45.33.32.156]', 'administrator@host.example.net', 'all@[45.33.32.156]', 'root@[45.33.32.156]']);
    assert.equal(mail.from, 'wormwatch@example.org');
    assert.equal(mail.headers.get('subject'), `[wormwatch] ${TITLE} from 45.33.32.156 (host.example.net)`);
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(mail.headers.get('x-wormwatch-signature'), 'codered-ii');
    assert.equal(mail.headers.get('reply-to'), 'abuse@example.org');
    assert.match(mail.headers.get('message-id') ?? '', /^<[0-9a-f-]+@example\.org>$/);
    assert.match(mail.body, /First seen: 2026-11-27 15:00:00 UTC/);
    assert.match(mail.body, /GET \/default\.ida\?NNNNNNNN HTTP\/1\.0/);
    await waitFor(() => outbox!.list({ limit: 5 })[0]?.state === 'sent', 5000, 'state sent');
    assert.equal(await counter('sent'), 1);
  });

  it('writes to the three address literals only, and says why, when the PTR name is not forward-confirmed', async () => {
    dns.zone.a = { 'host.example.net': ['45.33.32.157'] };
    smtp = await startSmtp();
    (await run()).notify(detection(IP));
    const mail = await waitFor(() => smtp.received[0], 10_000, 'the notice');
    assert.deepEqual([...mail.to].sort(), ['administrator@[45.33.32.156]', 'all@[45.33.32.156]', 'root@[45.33.32.156]']);
    assert.equal(mail.headers.get('subject'), `[wormwatch] ${TITLE} from 45.33.32.156`);
    assert.match(mail.body.replace(/\s+/g, ' '), /left out: the reverse DNS name host\.example\.net does not resolve back/);
  });

  it('delivers after a retry when the server first answers 4xx', async () => {
    smtp = await startSmtp();
    smtp.tempfailNext = 1;
    (await run()).notify(detection(IP));
    await waitFor(() => smtp.received.length === 1, 10_000, 'delivery after the retry');
    const row = await waitFor(() => outbox!.list({ limit: 1 }).find((r) => r.state === 'sent'), 5000, 'state sent');
    assert.equal(row.attempts, 2);
    assert.equal(await counter('retried'), 1);
  });

  it('marks the notice failed, with the server reply, on a 5xx', async () => {
    smtp = await startSmtp('permfail');
    (await run()).notify(detection(IP));
    const row = await waitFor(() => outbox!.list({ limit: 1 }).find((r) => r.state === 'failed'), 10_000, 'state failed');
    assert.match(row.smtp_reply ?? '', /^554 .*Relaying denied/);
    assert.equal(row.attempts, 1);
    assert.equal(smtp.received.length, 0);
    assert.equal(await counter('failed'), 1);
  });

  it('upgrades with STARTTLS when required; an unverifiable certificate is retried, not sent in clear', async () => {
    smtp = await startSmtp('accept', 0, true);
    (await run({ smtpRequireTls: true })).notify(detection(IP));
    const row = await waitFor(() => outbox!.list({ limit: 1 }).find((r) => r.state === 'retrying'), 10_000, 'a retry');
    assert.match(row.reason ?? '', /certificate/i);
    assert.equal(smtp.received.length, 0);
    await notifier!.stop();
    outbox!.close();
    (await run({ smtpRequireTls: true, smtpTlsRejectUnauthorized: 'false', dataDir: tempDirFor() })).notify(detection(IP));
    const mail = await waitFor(() => smtp.received[0], 10_000, 'the notice over TLS');
    assert.equal(mail.secure, true);
  });

  it('delivers every notice exactly once when SMTP is down during a burst and comes back', async () => {
    smtp = await startSmtp();
    const port = smtp.port;
    await smtp.close(); // down: connections are refused
    const n = await run({ noticeRetryBase: '50ms', noticeRetryMax: '100ms', smtpRateLimit: 1000 });
    const ips = Array.from({ length: 30 }, (_, i) => `45.33.${40 + Math.floor(i / 10)}.${10 + i}`);
    for (let round = 0; round < 5; round++) for (const ip of ips) n.notify(detection(ip));
    await waitFor(async () => {
      const rows = outbox!.list({ limit: 100 });
      return rows.length === ips.length && rows.every((r) => r.attempts >= 1 && r.state !== 'sent') && (await counter('retried')) >= ips.length;
    }, 10_000, 'every notice to have failed at least once');
    smtp = await startSmtp('accept', port);
    await waitFor(() => outbox!.countsByState().sent === ips.length, 15_000, 'all notices sent');
    const perIp = new Map<string, number>();
    for (const m of smtp.received) {
      const ip = /from (\S+)/.exec(m.headers.get('subject') ?? '')![1]!;
      perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    }
    assert.deepEqual([...perIp.keys()].sort(), [...ips].sort());
    assert.ok([...perIp.values()].every((c) => c === 1), 'none twice');
  });
});
