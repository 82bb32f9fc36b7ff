/**
 * The abuse tier under a scan: N offenders (default 1,000) spread over M networks (default 50,
 * one /24 each, round-robin, as a scan's sources arrive interleaved) whose abuse desks are K
 * mailboxes (default 10: an ISP answers for several networks), through the real notifier in smtp
 * mode (both tiers). Prints the RDAP requests the registry saw (the cache's effect: one per
 * network is the floor), the lookups by result, the digests sent and the hosts each lists, and
 * the time from detection to the host's entry in its digest (median, min-max).
 * Everything is on loopback: an RDAP server (answering after --rdap-delay-ms, as a registry
 * far away would), smtp-server and a dns2 server; nothing leaves the machine.
 *   npx tsx bench/abuse-digest.ts [--offenders 1000] [--networks 50] [--mailboxes 10] [--rdap-delay-ms 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createMetrics } from '../src/metrics.js';
import { loadOptions } from '../src/config/load.js';
import { builtinCatalogue } from '../src/rules/index.js';
import { createLogger } from '../src/log.js';
import { createNotifier } from '../src/notify/index.js';
import { Outbox } from '../src/notify/outbox.js';
import { startDns, startSmtp } from '../test/notify/support.js';

const { values } = parseArgs({ options: {
  offenders: { type: 'string', default: '1000' }, networks: { type: 'string', default: '50' },
  mailboxes: { type: 'string', default: '10' }, 'rdap-delay-ms': { type: 'string', default: '50' },
} });
const offenders = Number(values.offenders);
const networks = Number(values.networks);
const mailboxes = Number(values.mailboxes);
const delayMs = Number(values['rdap-delay-ms']);
if (![offenders, networks, mailboxes].every((n) => Number.isInteger(n) && n > 0) || networks > 250 || !(delayMs >= 0)) throw new Error('bad arguments');

/** Offender i sits in network i % M: 45.60.<net>.<host> (DATA only: the lookups go to 127.0.0.1). */
const ipOf = (i: number): string => `45.60.${i % networks}.${1 + Math.floor(i / networks)}`;

let rdapRequests = 0;
const rdap = http.createServer((req, res) => {
  rdapRequests++;
  const net = Number(/^\/ip\/45\.60\.(\d+)\./.exec(req.url ?? '')?.[1] ?? NaN);
  setTimeout(() => {
    res.setHeader('content-type', 'application/rdap+json');
    if (!Number.isInteger(net)) return void res.writeHead(404).end('{"errorCode":404}');
    res.end(JSON.stringify({
      objectClassName: 'ip network', handle: `BENCH-NET-${net}`, startAddress: `45.60.${net}.0`, endAddress: `45.60.${net}.255`,
      entities: [{ roles: ['abuse'], vcardArray: ['vcard', [['email', {}, 'text', `abuse@isp${net % mailboxes}.example`]]] }],
    }));
  }, delayMs);
});
await new Promise<void>((r) => rdap.listen(0, '127.0.0.1', r));
const [dns, smtp] = await Promise.all([startDns({}), startSmtp('accept')]);
const dir = mkdtempSync(join(tmpdir(), 'wormwatch-abuse-bench-'));
const DIGEST_INTERVAL_MS = 5_000;
const options = loadOptions({ env: {}, flags: {
  notify: 'smtp', smtpUrl: smtp.url, smtpRateLimit: 1000, dataDir: dir, dnsServer: dns.server, dnsTimeout: '300ms', logLevel: 'silent',
  rdapUrl: `http://127.0.0.1:${(rdap.address() as AddressInfo).port}/`, abuseDigestInterval: `${DIGEST_INTERVAL_MS}ms`,
  noticeFrom: 'Bench <security@bench.example>', noticeMaxPerHour: 1_000_000, noticeMaxPerDomainPerHour: 1_000_000,
} });
const metrics = createMetrics('bench');
const notifier = createNotifier(options, { metrics: metrics.notices, logger: createLogger(process.env.LOG ?? 'silent') });
await notifier.start();
const reader = new Outbox(dir);

const signature = builtinCatalogue().find((s) => s.id === 'codered-ii')!;
const detectedAt = new Map<string, number>();
const started = Date.now();
for (let i = 0; i < offenders; i++) {
  const ip = ipOf(i);
  const at = Date.now();
  detectedAt.set(ip, at);
  notifier.notify({ ip, at: new Date(at), action: 'forwarded', requestLine: 'GET /default.ida?NNNN HTTP/1.0', verdict: { signature, stage: 'request', evidence: 'GET /default.ida?NNNN' } });
}
const listed = () => reader.db.prepare('SELECT ip, listed_at FROM abuse_entries WHERE notice_id IS NOT NULL').all() as { ip: string; listed_at: number }[];
while (listed().length < offenders && Date.now() - started < 120_000) await sleep(20);
const entries = listed();
const digests = () => smtp.received.filter((m) => m.headers.get('x-wormwatch-kind') === 'abuse');
while (digests().length < mailboxes && Date.now() - started < DIGEST_INTERVAL_MS + 120_000) await sleep(50);
await sleep(500); // one more look: no digest beyond one per mailbox

const waits = entries.map((e) => e.listed_at - detectedAt.get(e.ip)!).sort((a, b) => a - b);
const lookups = (await metrics.registry.getSingleMetric('wormwatch_rdap_lookups_total')!.get()).values.filter((v) => v.value > 0).map((v) => `${v.labels.result} ${v.value}`);
const hostsPer = reader.list({ kind: 'abuse', limit: 1000 }).map((r) => r.hosts ?? 0).sort((a, b) => a - b);
const median = waits.length ? waits[Math.floor((waits.length - 1) / 2)]! : NaN;
const out = (s: string) => process.stdout.write(`${s}\n`);
out(`abuse tier: ${offenders} offenders over ${networks} networks, ${mailboxes} abuse mailboxes, RDAP answering after ${delayMs} ms (loopback)`);
out(`  RDAP requests to the registry: ${rdapRequests} (${((rdapRequests / offenders) * 1000).toFixed(0)} per 1,000 offenders); lookups by result: ${lookups.join(', ')}`);
out(`  hosts listed: ${entries.length}; digests sent: ${digests().length} (hosts per digest ${hostsPer[0]}-${hostsPer.at(-1)}), host-tier notices sent so far: ${smtp.received.length - digests().length}`);
out(`  detection to digest entry: median ${median} ms, min ${waits[0]} ms, max ${waits.at(-1)} ms`);

reader.close();
await notifier.stop();
await Promise.all([dns.close(), smtp.close(), new Promise((r) => rdap.close(r))]);
rmSync(dir, { recursive: true, force: true });
