import assert from 'node:assert/strict';
import { Outbox } from '../../src/notify/outbox.js';
import type { Notifier } from '../../src/notify/index.js';
import { detection, noticeOptions, startDns, startNotifier, tempDir, waitFor, type TestDns } from './support.js';

// Public-looking addresses are DATA only (outbox mode sends nothing; DNS goes to 127.0.0.1).
describe('notice policy through the outbox (notify=outbox, real DNS server on loopback)', () => {
  let dns: TestDns;
  let dir: ReturnType<typeof tempDir>;
  let notifier: Notifier;
  let metrics: ReturnType<typeof startNotifier>['metrics'];
  let outbox: Outbox;

  async function run(flags: Record<string, unknown> = {}) {
    ({ notifier, metrics } = startNotifier(noticeOptions({ dnsServer: dns.server, dnsTimeout: '300ms', dataDir: dir.path, ...flags })));
    await notifier.start();
    outbox = new Outbox(dir.path);
  }
  const counter = async (result: string) => (await metrics.registry.getSingleMetric('wormwatch_notices_total')!.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  const total = () => (outbox.db.prepare('SELECT COUNT(*) AS n FROM notices').get() as { n: number }).n;

  beforeEach(async () => {
    dir = tempDir();
    dns = await startDns({});
  });
  afterEach(async () => {
    await notifier.stop();
    outbox.close();
    await dns.close();
    dir.remove();
  });

  it('keeps one notice for 1,000 detections from one address, with the hits merged', async () => {
    await run();
    for (let i = 0; i < 1000; i++) notifier.notify(detection('45.33.32.156', new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)), `GET /default.ida?${i % 7}`));
    const row = await waitFor(() => outbox.list({ limit: 10 }).find((r) => r.host_status !== null), 5000, 'the notice');
    assert.equal(total(), 1);
    assert.equal(row.hits, 1000);
    assert.equal(row.state, 'queued');
    assert.equal(JSON.parse(row.samples ?? '[]').length, 5);
    assert.equal(await counter('queued'), 1);
  });

  it('updates the queued notice with hits that arrive later, and adds none within the interval once sent', async () => {
    await run();
    notifier.notify(detection('45.33.32.156'));
    const first = await waitFor(() => outbox.list({ limit: 1 })[0], 5000, 'the notice');
    notifier.notify(detection('45.33.32.156'));
    await waitFor(() => outbox.get(first.id)?.hits === 2, 5000, 'the merged hit');
    outbox.markSent(outbox.get(first.id)!, '250 ok', Date.now());
    notifier.notify(detection('45.33.32.156'));
    notifier.notify(detection('45.33.32.157'));
    await waitFor(() => total() === 2, 5000, 'the other address');
    assert.equal(outbox.get(first.id)?.hits, 2, 'a sent notice is not changed');
    assert.equal(outbox.list({ limit: 10 }).filter((r) => r.ip === '45.33.32.156').length, 1);
  });

  it('queues no more than the hourly cap for 10,000 detections from 2,000 public addresses; the rest are suppressed with a reason', async () => {
    await run({ noticeMaxPerHour: 100 });
    const ips = Array.from({ length: 2000 }, (_, i) => `45.${33 + (i >> 8)}.${i & 255}.7`);
    for (let round = 0; round < 5; round++) for (const ip of ips) notifier.notify(detection(ip));
    await waitFor(() => total() === 2000, 10_000, 'every address decided');
    const counts = outbox.countsByState();
    assert.equal(counts.queued, 100);
    assert.equal(counts.suppressed, 1900);
    assert.equal(outbox.list({ state: 'suppressed', limit: 1 })[0]!.reason, 'hourly-cap');
    await waitFor(async () => (await counter('queued')) === 100, 10_000, 'the lookups of the queued notices');
    assert.equal(await counter('suppressed'), 1900, 'each notice counted once');
  });

  it('queues no notice for private, loopback, CGNAT, link-local, multicast, documentation or --allow addresses, except ranges in noticeAllowPrivate', async () => {
    await run({ allow: '45.33.70.0/24', noticeAllowPrivate: '10.99.0.0/16' });
    const ips = ['10.0.0.1', '192.168.1.2', '127.0.0.1', '::1', '100.64.0.1', '192.0.2.7', '198.51.100.7', '203.0.113.7', '2001:db8::7', 'fe80::1', '224.0.0.1', '45.33.70.5'];
    for (const ip of ips) for (let i = 0; i < 3; i++) notifier.notify(detection(ip));
    notifier.notify(detection('10.99.1.1')); // re-enabled by noticeAllowPrivate
    await waitFor(async () => (await counter('suppressed')) === ips.length && total() === ips.length + 1, 5000, 'all decided');
    assert.deepEqual(outbox.list({ state: 'queued', limit: 10 }).map((r) => r.ip), ['10.99.1.1']);
    const suppressed = outbox.list({ state: 'suppressed', limit: 20 });
    assert.deepEqual(new Set(suppressed.map((r) => r.reason)), new Set(['not-eligible']));
    assert.equal(suppressed.every((r) => r.samples === null), true, 'a suppressed notice keeps facts, not samples');
  });

  it('suppresses notices above the per-domain cap once the host names are known', async () => {
    const ips = ['45.33.32.1', '45.33.32.2', '45.33.32.3'];
    dns.zone.ptr = Object.fromEntries(ips.map((ip, i) => [ip, [`h${i}.example.net`]]));
    dns.zone.a = Object.fromEntries(ips.map((ip, i) => [`h${i}.example.net`, [ip]]));
    const named: string[] = [];
    ({ notifier, metrics } = startNotifier(noticeOptions({ dnsServer: dns.server, dataDir: dir.path, noticeMaxPerDomainPerHour: 2 }), { setHostname: (ip, n) => named.push(`${ip}=${n}`) }));
    await notifier.start();
    outbox = new Outbox(dir.path);
    for (const ip of ips) notifier.notify(detection(ip));
    await waitFor(() => outbox.list({ limit: 10 }).every((r) => r.host_status !== null || r.state === 'suppressed') && total() === 3, 5000, 'lookups done');
    const counts = outbox.countsByState();
    assert.equal(counts.queued, 2);
    assert.equal(counts.suppressed, 1);
    assert.equal(outbox.list({ state: 'suppressed', limit: 1 })[0]!.reason, 'domain-cap');
    assert.deepEqual(named.sort(), ['45.33.32.1=h0.example.net', '45.33.32.2=h1.example.net', '45.33.32.3=h2.example.net']);
  });

  it('hands off without waiting while DNS hangs; the notice is completed after the time-out', async () => {
    dns.zone.hang = true;
    await run({ dnsTimeout: '200ms' });
    notifier.notify(detection('45.33.32.156')); // returns synchronously: nothing here is awaited
    const row = await waitFor(() => outbox.list({ limit: 1 })[0], 5000, 'the queued notice');
    assert.equal(row.host_status, null, 'queued (durable) before the lookup finished');
    await waitFor(() => dns.queries.length > 0, 5000, 'the PTR query');
    const done = await waitFor(() => outbox.get(row.id)?.host_status ?? null, 5000, 'lookup outcome');
    assert.match(done, /timed out/);
  });
});
