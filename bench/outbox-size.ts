/**
 * The outbox after a day's large scan: N distinct offenders (default 250,000) through the real
 * notifier (outbox mode, default caps: 100 queued an hour, the rest suppressed), fed as fast as
 * the hand-off drains. Prints the file size (database + WAL), bytes per notice, and the peak RSS.
 * A loopback DNS server answers the lookups, so nothing leaves the machine. Host tier only
 * (`--notice-tiers host`): bench/abuse-digest.ts measures the abuse tier.
 * Usage: npx tsx bench/outbox-size.ts [offenders] [--max-rows N]
 */
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMetrics } from '../src/metrics.js';
import { loadOptions } from '../src/config/load.js';
import { builtinCatalogue } from '../src/rules/index.js';
import { createLogger } from '../src/log.js';
import { createNotifier } from '../src/notify/index.js';
import { Outbox } from '../src/notify/outbox.js';
import { startDns } from '../test/notify/support.js';

const count = Number(process.argv[2] ?? 250_000);
const maxRows = process.argv.includes('--max-rows') ? process.argv[process.argv.indexOf('--max-rows') + 1]! : undefined;
const dir = mkdtempSync(join(tmpdir(), 'wormwatch-outbox-size-'));
const dns = await startDns({});
const options = loadOptions({ flags: { notify: 'outbox', noticeTiers: 'host', dataDir: dir, dnsServer: dns.server, dnsTimeout: '200ms', logLevel: 'silent', ...(maxRows ? { outboxMaxRows: maxRows } : {}) }, env: {} });
const notifier = createNotifier(options, { metrics: createMetrics('bench').notices, logger: createLogger(process.env.LOG ?? 'silent') });
await notifier.start();
const reader = new Outbox(dir);
const signature = builtinCatalogue().find((s) => s.id === 'codered-ii')!;
const decided = () => (reader.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'notices'").get() as { seq: number } | undefined)?.seq ?? 0;

const started = performance.now();
const day = Date.now() - 86_400_000;
for (let i = 0; i < count; i += 5_000) {
  const end = Math.min(count, i + 5_000);
  for (let j = i; j < end; j++) {
    const ip = `${11 + (j >> 24)}.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}`;
    const at = new Date(day + Math.floor((j / count) * 86_400_000));
    notifier.notify({ ip, at, action: 'forwarded', requestLine: `GET /default.ida?${'X'.repeat(180)}`, verdict: { signature, stage: 'request', evidence: 'GET /default.ida?XXXX' } });
  }
  while (decided() < end) await sleep(5);
}
const seconds = (performance.now() - started) / 1000;
await notifier.stop();
reader.db.pragma('wal_checkpoint(TRUNCATE)');
const size = (f: string) => (existsSync(join(dir, f)) ? statSync(join(dir, f)).size : 0);
const bytes = size('outbox.sqlite') + size('outbox.sqlite-wal');
const rows = reader.rowCount();
const counts = reader.countsByState();
reader.close();
await dns.close();
rmSync(dir, { recursive: true, force: true });
const mib = (n: number) => (n / 2 ** 20).toFixed(1);
process.stdout.write(`${JSON.stringify({
  offenders: count, rows, queued: counts.queued, suppressed: counts.suppressed, seconds: Number(seconds.toFixed(1)),
  fileMiB: Number(mib(bytes)), bytesPerRow: Math.round(bytes / Math.max(1, rows)), peakRssMiB: Number(mib(process.resourceUsage().maxRSS * 1024)),
})}\n`);
process.exit(0);
