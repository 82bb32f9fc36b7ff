import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Notifier } from '../../src/notify/index.js';
import { Outbox } from '../../src/notify/outbox.js';
import { detection, noticeOptions, startDns, startNotifier, tempDir, waitFor, type TestDns } from './support.js';

// Public-looking addresses are DATA only (outbox mode sends nothing; DNS goes to 127.0.0.1).
const address = (i: number) => `45.${40 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

describe('the outbox stays bounded', function () {
  this.timeout(60_000);
  let dns: TestDns;
  let dir: ReturnType<typeof tempDir>;
  let notifier: Notifier;
  let metrics: ReturnType<typeof startNotifier>['metrics'];
  let outbox: Outbox;

  async function run(flags: Record<string, unknown>): Promise<void> {
    ({ notifier, metrics } = startNotifier(noticeOptions({ dnsServer: dns.server, dnsTimeout: '200ms', dataDir: dir.path, notify: 'outbox', ...flags })));
    await notifier.start();
    outbox = new Outbox(dir.path);
  }
  /** Feeds distinct offenders in slices the hand-off can hold, waiting for each to be written. */
  async function feed(from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i += 2000) {
      const end = Math.min(from + count, i + 2000);
      for (let j = i; j < end; j++) notifier.notify(detection(address(j)));
      await waitFor(() => decided() === end, 20_000, `offender ${end}`);
    }
  }
  /** Notices decided so far: every insert takes the next row id, evicted or not. */
  const decided = () => (outbox.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'notices'").get() as { seq: number } | undefined)?.seq ?? 0;
  const droppedBy = async (reason: string) => (await metrics.registry.getSingleMetric('wormwatch_notices_dropped_total')!.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  const suppressedBy = async (reason: string) => (await metrics.registry.getSingleMetric('wormwatch_notices_suppressed_total')!.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

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

  it('evicts the oldest suppressed rows first and never a queued one', async () => {
    await run({ noticeTiers: 'host', outboxMaxRows: 100, noticeMaxPerHour: 10 });
    await feed(0, 300);
    const counts = outbox.countsByState();
    assert.equal(counts.queued, 10, 'the ten queued notices all kept');
    assert.equal(outbox.rowCount(), 100);
    const oldestSuppressed = outbox.list({ state: 'suppressed', limit: 1000 }).map((r) => r.id).sort((a, b) => a - b)[0]!;
    assert.equal(oldestSuppressed, 211, 'the 200 oldest suppressed rows went first');
  });

  it('suppresses new notices with the reason outbox-full once queued notices fill it, and counts them', async () => {
    await run({ noticeTiers: 'host', outboxMaxRows: 100, noticeMaxPerHour: 1_000_000 });
    await feed(0, 250);
    assert.equal(outbox.countsByState().queued, 100);
    assert.ok(outbox.rowCount() <= 100);
    assert.equal(await suppressedBy('outbox-full'), 150);
  });

  it('keeps a suppressed notice in under 200 bytes of file, so 250,000 offenders fit in 50 MB', async () => {
    await run({ noticeTiers: 'host' });
    await feed(0, 20_000);
    outbox.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = statSync(join(dir.path, 'outbox.sqlite')).size;
    assert.equal(outbox.countsByState().suppressed, 19_900);
    assert.ok(bytes / 20_000 < 200, `${bytes} bytes for 20,000 notices (${(bytes / 20_000).toFixed(0)} per row)`);
  });

  it('with both tiers, hosts waiting for their abuse contact share --outbox-max-rows with queued notices and are never evicted', async () => {
    // RDAP points at a closed loopback port: every lookup fails, so every host keeps waiting.
    await run({ outboxMaxRows: 100, noticeMaxPerHour: 30 });
    await feed(0, 300);
    const waiting = (outbox.db.prepare('SELECT COUNT(*) AS n FROM abuse_entries WHERE notice_id IS NULL').get() as { n: number }).n;
    assert.equal(outbox.countsByState().queued, 30, 'the queued notices all kept');
    assert.equal(waiting, 70, 'waiting hosts filled the rest of the rows, no more');
    assert.ok(outbox.rowCount() <= 100, `${outbox.rowCount()} rows`);
    assert.equal(await droppedBy('digest-full'), 230, 'every host the abuse tier had no room for is counted');
  });
});
