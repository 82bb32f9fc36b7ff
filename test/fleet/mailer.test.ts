import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { entryFields, noticeOfEntry } from '../../src/fleet/notice-stream.js';
import { eventually, send, startApp, type TestApp } from '../helpers/app.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startDns, startSmtp, type TestDns, type TestSmtp } from '../notify/support.js';
import { spawnCli } from '../cli/run-cli.js';

const CODERED = `/default.ida?${'N'.repeat(224)}%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a`;
const from = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } });

interface Mailer {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
}

function startMailer(redis: TestRedis, smtp: TestSmtp, dns: TestDns, name: string, extra: string[] = []): Mailer {
  const child = spawnCli(['mailer', '--redis-url', redis.url, '--smtp-url', smtp.url, '--notice-lease', '1s', '--dns-server', dns.server, '--dns-timeout', '300ms',
    '--notice-from', 'wormwatch@example.org', '--replica-name', name, '--smtp-rate-limit', '1000', '--notice-allow-private', '198.51.100.0/24', ...extra]);
  const logs: Array<Record<string, unknown>> = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    const lines = (partial + c).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith('{')) logs.push(JSON.parse(l) as Record<string, unknown>);
  });
  child.stderr!.resume();
  return { child, logs };
}

async function waitForLog(m: Mailer, msg: string): Promise<Record<string, unknown>> {
  await eventually(() => m.logs.some((l) => l.msg === msg), 10_000, msg);
  return m.logs.find((l) => l.msg === msg)!;
}

const exited = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));

describe('fleet: the notice stream and `wormwatch mailer` (real Redis, SMTP and DNS on loopback)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let origin: Origin;
  let smtp: TestSmtp;
  let dns: TestDns;
  let apps: TestApp[];
  let mailers: Mailer[];

  beforeEach(async () => {
    [redis, origin, smtp, dns] = await Promise.all([startRedis(), startOrigin(), startSmtp('hold'), startDns({})]);
    apps = [];
    mailers = [];
    // Sidecars without SMTP credentials: the winner of each claim queues its notice in the stream.
    for (const name of ['r1', 'r2', 'r3']) {
      apps.push(await startApp({ upstream: origin.url, trustProxy: '127.0.0.1', redisUrl: redis.url, replicaName: name, notify: 'outbox', noticeTiers: 'host', noticeAllowPrivate: '198.51.100.0/24', noticeFrom: 'wormwatch@example.org', dnsServer: dns.server }));
    }
    await eventually(async () => (await Promise.all(apps.map((a) => a.metric('wormwatch_redis_up')))).every((v) => v === 1), 5000, 'all up');
  });
  afterEach(async () => {
    for (const m of mailers) m.child.kill('SIGKILL');
    await Promise.all(mailers.map((m) => exited(m.child)));
    await Promise.all(apps.map((a) => a.stop()));
    await Promise.all([origin.close(), smtp.close(), dns.close(), redis.stop()]);
  });

  it('kill -9 of a mailer mid-send: another mailer takes its notices over after --notice-lease and delivers every one (duplicates counted, none lost)', async () => {
    const offenders = Array.from({ length: 8 }, (_, i) => `198.51.100.${100 + i}`);
    for (const [i, ip] of offenders.entries()) await send(apps[i % 3]!.url, CODERED, from(ip));
    await eventually(async () => (await redis.client.xlen('ww:notices')) === 8, 5000, 'eight notices in the stream');
    const first = startMailer(redis, smtp, dns, 'm1');
    mailers.push(first);
    await eventually(() => smtp.held >= 1, 20_000, 'the first mailer mid-send');
    first.child.kill('SIGKILL');
    await exited(first.child);
    const midSend = smtp.held;
    smtp.behaviour = 'accept';
    const second = startMailer(redis, smtp, dns, 'm2', ['--metrics-listen', '127.0.0.1:0']);
    mailers.push(second);
    await eventually(async () => (await redis.client.xlen('ww:notices')) === 0, 20_000, 'every notice acknowledged');
    const ids = smtp.received.map((m) => m.headers.get('message-id'));
    assert.equal(new Set(ids).size, 8, 'every notice delivered');
    assert.deepEqual(new Set(smtp.received.map((m) => m.to[0])), new Set(offenders.map((ip) => `administrator@[${ip}]`)));
    assert.ok(midSend >= 1 && midSend <= 5, `the messages the dead mailer had on the wire (${midSend}) are the possible duplicates`);
    const taken = second.logs.filter((l) => l.msg === 'notices taken over from a consumer past --notice-lease').reduce((n, l) => n + Number(l.notices), 0);
    assert.ok(taken >= midSend, `the second mailer counted ${taken} taken over`);
    const pending = (await redis.client.xpending('ww:notices', 'mailers')) as [number, ...unknown[]];
    assert.equal(pending[0], 0);
    const running = second.logs.find((l) => l.msg === 'wormwatch mailer running') as { metrics: { port: number } };
    const scrape = await (await fetch(`http://127.0.0.1:${running.metrics.port}/metrics`)).text();
    const sample = (line: string): number => Number(scrape.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1]);
    assert.equal(sample('wormwatch_notices_reclaimed_total'), taken, 'its /metrics counts the take-overs');
    assert.equal(sample('wormwatch_notices_total{result="sent"}'), 8);
    assert.equal(sample('wormwatch_redis_up'), 1);
  });

  it('refuses to start without --redis-url or --smtp-url', async () => {
    const child = spawnCli(['mailer', '--smtp-url', smtp.url]);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout!.resume();
    await exited(child);
    assert.equal(child.exitCode, 2);
    assert.match(stderr, /needs --redis-url and --smtp-url/);
  });

  it('reads back what it wrote, and refuses an entry with a bad Message-ID or signature', () => {
    const notice = { facts: { ip: '198.51.100.7', signature: { id: 'codered-i', title: 'CodeRed', description: 'worm', references: [] }, firstSeen: 1, lastSeen: 2, hits: 3, samples: ['GET /x'] }, messageId: '<a@b>', queuedAt: 5, replica: 'r1' };
    assert.deepEqual(noticeOfEntry(entryFields(notice)), notice);
    const fields = entryFields(notice);
    assert.equal(noticeOfEntry(fields.map((f) => (f === '<a@b>' ? '<a@b>\r\nBcc: x@y' : f))), null);
    assert.equal(noticeOfEntry(fields.map((f, i) => (fields[i - 1] === 'sig' ? '{}' : f))), null);
    // The address becomes the recipients: nothing but an address passes, canonical.
    for (const bad of ['1.2.3.4], spam@victim.example, x@[1.2.3.4', 'victim.example', '0x7f.1', '']) assert.equal(noticeOfEntry(fields.map((f, i) => (fields[i - 1] === 'ip' ? bad : f))), null, bad);
    assert.equal(noticeOfEntry(fields.map((f, i) => (fields[i - 1] === 'ip' ? '2001:DB8:0:0::1' : f)))!.facts.ip, '2001:db8::1');
  });

  it('regression: an entry anyone wrote to Redis for a loopback, private or malformed address was mailed (or looped); it is dropped and counted', async () => {
    const base = { signature: { id: 'codered-i', title: 'CodeRed', description: 'worm', references: [] }, firstSeen: 1, lastSeen: 2, hits: 1, samples: ['GET /x'] };
    for (const ip of ['127.0.0.1', '10.1.2.3', '1.2.3.4], spam@victim.example, x@[1.2.3.4']) {
      await redis.client.xadd('ww:notices', '*', ...entryFields({ facts: { ip, ...base }, messageId: '<hostile@example.org>', queuedAt: Date.now(), replica: 'evil' }));
    }
    const mailer = startMailer(redis, smtp, dns, 'm1', ['--metrics-listen', '127.0.0.1:0']);
    mailers.push(mailer);
    smtp.behaviour = 'accept';
    await eventually(async () => (await redis.client.xlen('ww:notices')) === 0, 20_000, 'every hostile entry acknowledged and deleted');
    assert.equal(smtp.received.length, 0, 'nothing mailed');
    const running = await waitForLog(mailer, 'wormwatch mailer running') as { metrics: { port: number } };
    const scrape = await (await fetch(`http://127.0.0.1:${running.metrics.port}/metrics`)).text();
    assert.match(scrape, /^wormwatch_notices_suppressed_total\{reason="not-eligible"\} 2$/m, 'the two real but ineligible addresses');
    assert.ok(mailer.logs.some((l) => l.msg === 'malformed notice in the stream dropped'), 'the injection is malformed');
  });
});
