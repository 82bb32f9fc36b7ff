import assert from 'node:assert/strict';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { defaultEngine } from '../../src/rules/index.js';
import { classifyRecord } from '../../src/scan/classify.js';
import { ExposureTally, MAX_ADDRESSES_PER_PATH, MAX_EXPOSED_PATHS } from '../../src/scan/exposures.js';
import { runScan, type ScanSummary } from '../../src/scan/index.js';
import { renderSummary } from '../../src/scan/render.js';
import { runCli } from '../cli/run-cli.js';
import { fixtureDir, type FixtureDir } from './fixtures.js';

const engine = defaultEngine();

function line(ip: string, day: number, path: string, status: number): string {
  return `${ip} - - [${String(day).padStart(2, '0')}/Nov/2024:10:00:00 +0000] "GET ${path} HTTP/1.1" ${status} 512 "-" "python-requests/2.31"`;
}

/**
 * A month of a site whose /.env is in the web root: 14 addresses got it (one of them twice, one
 * a 206 range), one got a 404 before it was deployed; /wp-login.php is the site's own page;
 * /.git/config was served once; /.aws/credentials was refused (403).
 */
const ENV_ADDRESSES = Array.from({ length: 14 }, (_, i) => `203.0.113.${i + 1}`);
const MONTH = [
  line('198.51.100.7', 1, '/.env', 404),
  ...ENV_ADDRESSES.map((ip, i) => line(ip, i + 2, '/.env', i === 5 ? 206 : 200)),
  line(ENV_ADDRESSES[0]!, 28, '/.env', 200),
  line('192.0.2.10', 12, '/wp-login.php', 200),
  line('192.0.2.11', 15, '/.git/config', 200),
  line('192.0.2.12', 20, '/.aws/credentials', 403),
];

async function scanMonth(fx: FixtureDir): Promise<{ summary: ScanSummary; events: DetectionEvent[]; file: string }> {
  const file = fx.write('access.log', MONTH);
  const events: DetectionEvent[] = [];
  const summary = await runScan({ files: [file], format: 'auto', topOffenders: 50 }, { engine: () => engine, onDetection: (e) => events.push(e) });
  return { summary, events, file };
}

/** A real exposure event, judged from a log record like the scan's own. */
function exposure(ip: string, path: string, at = new Date('2024-11-01T00:00:00Z')): DetectionEvent {
  const { event } = classifyRecord(engine, { ip, at, method: 'GET', target: path, status: 200 }, () => at);
  assert.equal(event?.answer?.exposure, true, `${path} answered 200 is an exposure`);
  return event;
}

describe('wormwatch scan: exposures in the summary', () => {
  let fx: FixtureDir;
  beforeEach(() => {
    fx = fixtureDir();
  });
  afterEach(() => fx.remove());

  it('names each path served to a hunt with its signature, statuses, distinct addresses and first and last time', async () => {
    const { summary } = await scanMonth(fx);
    assert.deepEqual(summary.exposures, {
      hits: 16,
      unlistedHits: 0,
      paths: [
        { path: '/.env', signature: 'probe-dotenv', statuses: [200, 206], addresses: 14, addressesCapped: false, hits: 15, firstSeen: '2024-11-02T10:00:00Z', lastSeen: '2024-11-28T10:00:00Z' },
        { path: '/.git/config', signature: 'probe-git', statuses: [200], addresses: 1, addressesCapped: false, hits: 1, firstSeen: '2024-11-15T10:00:00Z', lastSeen: '2024-11-15T10:00:00Z' },
      ],
    });
    assert.equal(Object.keys(summary)[0], 'exposures', 'exposures come first in --json too');
  });

  it('counts a hunt refused with 403 (or missed with 404) as a probe by an offender, not as an exposure', async () => {
    const { summary, events } = await scanMonth(fx);
    const refused = events.find((e) => e.ip === '192.0.2.12');
    assert.equal(refused?.verdict.signature.id, 'probe-cloud-credentials');
    assert.deepEqual(refused?.answer, { status: 403, exposure: false, path: '/.aws/credentials' });
    assert.ok(summary.topOffenders.some((o) => o.ip === '192.0.2.12'), 'the 403 hunter is an offender');
    assert.ok(summary.topOffenders.some((o) => o.ip === '198.51.100.7'), 'the 404 hunter is an offender');
    assert.ok(!summary.exposures.paths.some((p) => p.path === '/.aws/credentials'));
    assert.ok(!events.some((e) => e.ip === '192.0.2.10'), '/wp-login.php answered 200 is the site\'s own page');
  });

  it('prints the exposures first, as the line to act on, and neither the owned page nor the refused hunt', async () => {
    const { summary } = await scanMonth(fx);
    const text = renderSummary(summary);
    const [first, ...rest] = text.split('\n');
    assert.equal(first, 'EXPOSED: 16 requests hunting for a secret got it (2xx); treat what was served as leaked:');
    assert.equal(rest[0], '  /.env         served 200/206 to 14 addresses (15 requests) from 2024-11-02T10:00:00Z to 2024-11-28T10:00:00Z  [probe-dotenv]');
    assert.equal(rest[1], '  /.git/config  served 200 to 1 address (1 request) at 2024-11-15T10:00:00Z  [probe-git]');
    assert.doesNotMatch(text, /wp-login|\.aws\/credentials/);
    assert.doesNotMatch(text, /Exposures: none/);
  });

  it('says there were none when no hunt was served', async () => {
    const file = fx.write('clean.log', [line('198.51.100.7', 1, '/.env', 404), line('192.0.2.10', 2, '/wp-login.php', 200)]);
    const summary = await runScan({ files: [file], format: 'auto' }, { engine: () => engine, onDetection: () => undefined });
    assert.deepEqual(summary.exposures, { hits: 0, paths: [], unlistedHits: 0 });
    const text = renderSummary(summary);
    assert.match(text, /^Read 2 lines/);
    assert.match(text, /\nExposures: none \(no hunt for a secret was answered 2xx\)\.\n/);
  });

  it('reports them through the command, in text and in --json', async function () {
    this.timeout(60_000); // two child Node processes with tsx take seconds each on busy cores
    const file = fx.write('access.log', MONTH);
    const args = ['scan', '--notify', 'off', '--data-dir', fx.dir, file];
    const text = await runCli(args);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^EXPOSED: 16 requests .*\n {2}\/\.env +served 200\/206 to 14 addresses /);
    const json = await runCli([...args, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const summary = JSON.parse(json.stdout) as ScanSummary;
    assert.deepEqual(summary.exposures.paths.map((p) => [p.path, p.addresses]), [['/.env', 14], ['/.git/config', 1]]);
  });
});

describe('the exposure tally bounds', () => {
  it(`counts at most ${MAX_ADDRESSES_PER_PATH} addresses per path exactly, then says "at least"`, () => {
    const tally = new ExposureTally();
    const event = exposure('10.0.0.0', '/.env');
    for (let i = 0; i < MAX_ADDRESSES_PER_PATH; i++) tally.record({ ...event, ip: `10.0.${i >> 8}.${i & 255}` });
    tally.record({ ...event, ip: '10.0.0.0' });
    assert.deepEqual([tally.report().paths[0]?.addresses, tally.report().paths[0]?.addressesCapped], [MAX_ADDRESSES_PER_PATH, false], 'a counted address again is no new one');
    tally.record({ ...event, ip: '172.16.0.1' });
    const path = tally.report().paths[0]!;
    assert.deepEqual([path.addresses, path.addressesCapped, path.hits], [MAX_ADDRESSES_PER_PATH, true, MAX_ADDRESSES_PER_PATH + 2]);
  });

  it(`lists at most ${MAX_EXPOSED_PATHS} paths and counts the exposures of the others`, () => {
    const tally = new ExposureTally();
    for (let i = 0; i < MAX_EXPOSED_PATHS + 3; i++) tally.record(exposure('10.0.0.1', `/app${i}/.env`));
    tally.record(exposure('10.0.0.2', '/app0/.env'));
    const report = tally.report();
    assert.equal(report.paths.length, MAX_EXPOSED_PATHS);
    assert.deepEqual([report.hits, report.unlistedHits], [MAX_EXPOSED_PATHS + 4, 3]);
    assert.deepEqual([report.paths[0]?.path, report.paths[0]?.addresses], ['/app0/.env', 2], 'the most addresses first');
    assert.match(renderSummary({ ...emptySummary(), exposures: report }), /\n {2}and 3 requests on paths past the first 100 \(not listed\)\n/);
  });

  it('keeps a line whose time no Date holds, without a time, and without throwing', () => {
    const tally = new ExposureTally();
    tally.record(exposure('10.0.0.1', '/.env', new Date(Number.NaN)));
    assert.deepEqual(tally.report().paths.map((p) => [p.path, p.hits, p.firstSeen, p.lastSeen]), [['/.env', 1, null, null]]);
    tally.record(exposure('10.0.0.1', '/.env', new Date('2024-11-03T00:00:00Z')));
    assert.equal(tally.report().paths[0]?.firstSeen, '2024-11-03T00:00:00Z');
  });
});

function emptySummary(): ScanSummary {
  return {
    exposures: { hits: 0, paths: [], unlistedHits: 0 }, files: [], lines: 0, records: 0, skipped: 0, unparsable: 0, unparsableSamples: [],
    detections: { total: 0, byFamily: {}, byStage: {}, bySignature: {} }, topOffenders: [], topNetworks: [], topCountries: [], seconds: 0, linesPerSecond: 0,
  };
}
