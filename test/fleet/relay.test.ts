// A sidecar without SMTP credentials (`--notify smtp`, `--redis-url`, no `--smtp-url`, as the
// Kubernetes fleet overlay runs it): `wormwatch mailer` sends its notices, and those it had to
// keep in its own outbox while Redis was away are handed to the stream when Redis returns.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { RELAYED } from '../../src/notify/delivery.js';
import { Outbox } from '../../src/notify/outbox.js';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { spawnCli } from '../cli/run-cli.js';
import { startDns, startSmtp, waitFor, type TestDns, type TestSmtp } from '../notify/support.js';

const CODERED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } });
const exited = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));

describe('fleet: a replica without --smtp-url relays its notices to the stream (real Redis, SMTP, DNS; `wormwatch mailer`)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let origin: Origin;
  let smtp: TestSmtp;
  let dns: TestDns;
  let app: TestApp;
  let mailer: ChildProcess;

  beforeEach(async () => {
    [redis, origin, smtp, dns] = await Promise.all([startRedis(), startOrigin(), startSmtp(), startDns({})]);
    app = await startApp({
      upstream: origin.url, trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: 'r1', notify: 'smtp', noticeTiers: 'host',
      noticeAllowPrivate: '198.51.100.0/24', noticeFrom: 'wormwatch@example.org', dnsServer: dns.server, dnsTimeout: '300ms', noticeRetryBase: '100ms',
    });
    mailer = spawnCli(['mailer', '--redis-url', redis.url, '--smtp-url', smtp.url, '--notice-lease', '2s', '--dns-server', dns.server, '--dns-timeout', '300ms',
      '--notice-from', 'wormwatch@example.org', '--replica-name', 'm1', '--smtp-rate-limit', '1000', '--notice-allow-private', '198.51.100.0/24']);
    mailer.stdout!.resume();
    mailer.stderr!.resume();
    await eventually(async () => (await app.metric('wormwatch_redis_up')) === 1, 5000, 'up');
  });
  afterEach(async () => {
    mailer.kill('SIGKILL');
    await exited(mailer);
    await app.stop();
    await Promise.all([origin.close(), smtp.close(), dns.close(), redis.stop()]);
  });

  it('notices go through the stream; one kept in the outbox while Redis was away is relayed when it returns, with its Message-ID', async () => {
    await send(app.url, CODERED, from('198.51.100.7'));
    await eventually(() => smtp.received.length === 1, 20_000, 'the notice, sent by the mailer');
    assert.ok(smtp.received[0]!.to.includes('administrator@[198.51.100.7]'));
    // Acknowledged, and past Redis's once-a-second fsync: a kill -9 sooner may forget the XACK,
    // and the mailer then rightly sends that notice again (at least once).
    await eventually(async () => (await redis.client.xlen('ww:notices')) === 0, 5000, 'acknowledged');
    await new Promise((r) => setTimeout(r, 1200));

    await redis.kill9();
    await eventually(async () => (await app.metric('wormwatch_redis_up')) === 0, 5000, 'down');
    await send(app.url, CODERED, from('198.51.100.8'));
    const notices = async () => (JSON.parse((await send(app.admin, '/notices')).body) as { notices: Array<Record<string, any>> }).notices;
    await eventually(async () => (await notices()).some((n) => n.ip === '198.51.100.8' && n.state === 'retrying'), 10_000, 'kept in the outbox, waiting for Redis');
    const waiting = (await notices()).find((n) => n.ip === '198.51.100.8')!;
    assert.match(String(waiting.reason), /fleet's stream: Redis is away/);

    await redis.restart();
    const relayed = await waitFor(() => smtp.received.find((m) => m.to.includes('administrator@[198.51.100.8]')), 30_000, 'the kept notice, relayed and sent by the mailer');
    const row = (await notices()).find((n) => n.ip === '198.51.100.8')!;
    assert.deepEqual([row.state, row.smtpReply], ['sent', RELAYED]);
    const box = new Outbox(app.dataDir);
    try {
      assert.equal(box.get(row.id as number)!.message_id, relayed.headers.get('message-id'), 'the same Message-ID as in the outbox');
    } finally {
      box.close();
    }
    assert.equal(await app.metric('wormwatch_notices_total', { result: 'sent' }), 0, 'the replica sent nothing itself: the mailer counts what it sends');
  });
});
