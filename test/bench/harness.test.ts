import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStat } from '../../bench/lib/cpu.js';
import { nginxConfig } from '../../bench/lib/nginx.js';
import { ratioOf, scenarioRatioOf, summariseTargets, type RunRecord } from '../../bench/lib/report.js';
import { parseSettings, UsageError } from '../../bench/lib/settings.js';
import { median, ratio, roundRatios, spread, warmedUp } from '../../bench/lib/stats.js';
import { benignRequests, wormMix, wormRequests } from '../../bench/lib/traffic.js';
import { parseDuration, parseWrkOutput, parseWrkText, type WrkResult } from '../../bench/lib/wrk-parse.js';
import { rotationScript } from '../../bench/lib/wrk-scripts.js';
import { runWrk } from '../../bench/lib/wrk.js';

const WRK_TEXT = `Running 10s test @ http://127.0.0.1:8080/1k
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.21ms    1.02ms  41.20ms   91.10%
    Req/Sec    15.62k     1.10k   17.00k    72.00%
  Latency Distribution
     50%    3.05ms
     75%    3.50ms
     90%    4.10ms
     99%  812.00us
  155432 requests in 10.01s, 172.04MB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 1554
Requests/sec:  15527.67
Transfer/sec:     17.19MB
`;

function wrkResult(rps: number, p99Ms: number): WrkResult {
  return { requests: rps, durationS: 1, rps, p50Ms: p99Ms / 2, p99Ms, socketErrors: 0, non2xx3xx: 0 };
}

describe('bench harness (pure parts)', () => {
  describe('wrk output', () => {
    it('reads the request count, rate, percentiles and errors from wrk --latency text', () => {
      const r = parseWrkText(WRK_TEXT);
      assert.equal(r.requests, 155432);
      assert.equal(r.durationS, 10.01);
      assert.equal(r.rps, 15527.67);
      assert.equal(r.p50Ms, 3.05);
      assert.equal(r.p99Ms, 0.812);
      assert.equal(r.socketErrors, 6);
      assert.equal(r.non2xx3xx, 1554);
    });

    it('prefers the exact WRK_JSON line of the Lua done hook', () => {
      const line = 'WRK_JSON {"requests":2000,"duration_us":4000000,"bytes":1,"p50_us":1500.0,"p99_us":9000.5,"connect":0,"read":1,"write":0,"status":7,"timeout":2}';
      const r = parseWrkOutput(`${WRK_TEXT}${line}\n`);
      assert.equal(r.requests, 2000);
      assert.equal(r.rps, 500);
      assert.equal(r.p50Ms, 1.5);
      assert.equal(r.p99Ms, 9.0005);
      assert.equal(r.socketErrors, 3);
      assert.equal(r.non2xx3xx, 7);
    });

    it('converts every wrk duration unit and rejects text that is not one', () => {
      assert.equal(parseDuration('250.00us'), 0.25);
      assert.equal(parseDuration('1.50ms'), 1.5);
      assert.equal(parseDuration('2.00s'), 2000);
      assert.equal(parseDuration('1.00m'), 60_000);
      assert.throws(() => parseDuration('fast'), /not a wrk duration/);
    });

    it('says what is missing when wrk ran without --latency', () => {
      const noLatency = WRK_TEXT.replace(/Latency Distribution[\s\S]*?99%\s+\S+\n/, '');
      assert.throws(() => parseWrkText(noLatency), /--latency/);
    });
  });

  describe('statistics', () => {
    it('takes the median of odd and even counts without reordering the input', () => {
      const xs = [5, 1, 3];
      assert.equal(median(xs), 3);
      assert.deepEqual(xs, [5, 1, 3]);
      assert.equal(median([4, 1, 2, 3]), 2.5);
      assert.throws(() => median([]), RangeError);
    });

    it('summarises only finite values, and nothing as null', () => {
      assert.deepEqual(spread([2, Number.NaN, 6, 4]), { median: 4, min: 2, max: 6, n: 3 });
      assert.equal(spread([Number.NaN]), null);
    });

    it('computes ratios round by round and refuses a zero or missing denominator', () => {
      assert.equal(ratio(90, 100), 0.9);
      assert.ok(Number.isNaN(ratio(1, 0)));
      assert.ok(Number.isNaN(ratio(1, undefined)));
      // Per-round ratios 0.5, 1, 2: the median is 1 although the totals' ratio is not.
      assert.deepEqual(roundRatios([50, 100, 400], [100, 100, 200]), { median: 1, min: 0.5, max: 2, n: 3 });
    });

    it('calls a warm-up steady once two chunks in a row agree within 10%', () => {
      assert.equal(warmedUp([250]), false);
      assert.equal(warmedUp([250, 660, 1200]), false);
      assert.equal(warmedUp([250, 1150, 1200]), true);
      assert.equal(warmedUp([0, 0]), false);
    });
  });

  describe('report', () => {
    const runs: RunRecord[] = [
      { scenario: '1 KiB', target: 'bare', round: 1, result: wrkResult(1000, 10), cpuUsPerRequest: 100 },
      { scenario: '1 KiB', target: 'wormwatch', round: 1, result: wrkResult(900, 12), cpuUsPerRequest: 110 },
      { scenario: '1 KiB', target: 'bare', round: 2, result: wrkResult(2000, 10), cpuUsPerRequest: 100 },
      { scenario: '1 KiB', target: 'wormwatch', round: 2, result: wrkResult(2200, 9), cpuUsPerRequest: Number.NaN },
    ];

    it('pairs the two targets of the same round for wormwatch / bare', () => {
      const r = ratioOf(runs, '1 KiB', 'wormwatch', 'bare');
      assert.deepEqual(r.throughput, { median: 1, min: 0.9, max: 1.1, n: 2 });
      assert.equal(r.p99?.min, 0.9);
      assert.equal(r.p99?.max, 1.2);
      // Round 2 has no CPU figure for wormwatch: only round 1 counts.
      assert.deepEqual(r.cpu, { median: 1.1, min: 1.1, max: 1.1, n: 1 });
    });

    it('pairs one target with itself in another scenario of the same round (the CodeRed flood against 1 KiB)', () => {
      const both: RunRecord[] = [...runs,
        { scenario: 'CodeRed flood', target: 'wormwatch', round: 1, result: wrkResult(450, 24), cpuUsPerRequest: 220 },
        { scenario: 'CodeRed flood', target: 'wormwatch', round: 2, result: wrkResult(1980, 9), cpuUsPerRequest: 200 }];
      const r = scenarioRatioOf(both, 'wormwatch', 'CodeRed flood', '1 KiB');
      assert.equal(r.numerator, 'wormwatch (CodeRed flood)');
      assert.equal(r.denominator, 'wormwatch (1 KiB)');
      assert.deepEqual(r.throughput, { median: 0.7, min: 0.5, max: 0.9, n: 2 });
      assert.deepEqual(r.cpu, { median: 2, min: 2, max: 2, n: 1 });
    });

    it('summarises each target of each scenario once', () => {
      const s = summariseTargets(runs);
      assert.deepEqual(s.map((t) => t.target), ['bare', 'wormwatch']);
      assert.deepEqual(s[0]?.rps, { median: 1500, min: 1000, max: 2000, n: 2 });
    });
  });

  describe('CPU accounting', () => {
    it('reads utime + stime and the parent after a command name with spaces and parentheses', () => {
      const line = '4242 (node (bench) x) S 17 4242 17 0 -1 4194560 5000 0 0 0 1234 56 0 0 20 0 11 0 900 1000000 5000 18446744073709551615';
      assert.deepEqual(parseStat(line), { ppid: 17, ticks: 1290 });
    });
  });

  describe('settings', () => {
    it('makes --quick one short round', () => {
      const s = parseSettings(['--quick']);
      assert.equal(s.rounds, 1);
      assert.ok(s.durationS <= 3);
      assert.equal(parseSettings([]).floodAddresses, 1_000_000);
    });

    it('names the flag of a bad value', () => {
      assert.throws(() => parseSettings(['--rounds', '0']), /--rounds/);
      assert.throws(() => parseSettings(['--rounds', '2.5']), /--rounds must be a whole number/);
      assert.throws(() => parseSettings(['--threads', '8', '--connections', '4']), /--threads/);
      assert.throws(() => parseSettings(['--bogus']), UsageError);
    });

    it('reads --only as a list of target names, and refuses an empty or odd one', () => {
      assert.equal(parseSettings([]).only, null);
      assert.deepEqual(parseSettings(['--only', 'nginx, nginx-map-njs']).only, ['nginx', 'nginx-map-njs']);
      assert.throws(() => parseSettings(['--only', ',']), /--only/);
      assert.throws(() => parseSettings(['--only', 'nginx;rm']), /--only/);
    });
  });

  describe('traffic and configs', () => {
    it('puts exactly one worm request in every hundred', () => {
      const mix = wormMix(100);
      assert.equal(mix.length, 100 * wormRequests.length);
      for (let block = 0; block < wormRequests.length; block++) {
        const slice = mix.slice(block * 100, block * 100 + 100);
        assert.equal(slice.filter((r) => wormRequests.includes(r)).length, 1);
        assert.equal(slice.filter((r) => benignRequests.includes(r)).length, 99);
      }
    });

    it('refuses non-ASCII request text for the Lua script', () => {
      assert.throws(() => rotationScript([{ method: 'GET', path: '/caf\u00e9', headers: {} }]), /ASCII/);
    });

    it('gives nginx one worker, a keep-alive upstream and loopback only', () => {
      const conf = nginxConfig('/tmp/x', 8081, 3000, false);
      assert.match(conf, /worker_processes 1;/);
      assert.match(conf, /keepalive 256;/);
      assert.match(conf, /listen 127\.0\.0\.1:8081;/);
      assert.match(conf, /server 127\.0\.0\.1:3000;/);
      assert.doesNotMatch(conf, /^user /m);
      assert.doesNotMatch(conf, /js_|wormwatch/);
    });

    it('runs njs on every request, only for the map\'s suspects, or not at all beside the map', () => {
      const njs = nginxConfig('/tmp/x', 8081, 3000, false, 'njs');
      assert.match(njs, /^load_module .*ngx_http_js_module\.so;$/m);
      assert.match(njs, /js_set \$wormwatch wormwatch\.classify;/);
      assert.match(njs, /if \(\$wormwatch\) \{ return 403; \}/);
      const gated = nginxConfig('/tmp/x', 8081, 3000, false, 'map-njs');
      assert.match(gated, /include \/tmp\/x\/wormwatch-map\.conf;/);
      assert.match(gated, /js_set \$wormwatch_headers_suspect wormwatch\.suspectHeaders;/);
      assert.match(gated, /if \(\$wormwatch_suspect\) \{ set \$wormwatch_verdict \$wormwatch; \}/);
      assert.doesNotMatch(gated, /if \(\$wormwatch\)/, 'the classifier is read only through the gate');
      const map = nginxConfig('/tmp/x', 8081, 3000, false, 'map');
      assert.match(map, /include \/tmp\/x\/wormwatch-map\.conf;/);
      assert.doesNotMatch(map, /js_|load_module/);
      for (const conf of [njs, gated, map]) assert.match(conf, /^pcre_jit on;$/m);
    });
  });

  describe('the generated wrk script against a real server', () => {
    const key = (path: string, ua: string | undefined): string => `${path} ${ua ?? ''}`;
    const wormKeys = wormRequests.map((w) => key(w.path, w.headers['User-Agent']));
    let server: Server;
    let dir: string;
    const seen: string[] = [];
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'wormwatch-bench-test-'));
      server = createServer((req, res) => {
        const k = key(req.url ?? '', req.headers['user-agent']);
        seen.push(k);
        res.writeHead(wormKeys.includes(k) ? 404 : 200, { 'content-length': 2 });
        res.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('sends one worm in every hundred requests, in turn, and counts the non-2xx answers', async () => {
      const script = join(dir, 'mix.lua');
      writeFileSync(script, rotationScript(wormMix(100)));
      const { port } = server.address() as AddressInfo;
      const r = await runWrk({ port, path: '/', script, connections: 1, threads: 1, durationS: 1 });
      assert.ok(r.requests >= 300, `only ${r.requests} requests in 1 s`);
      // One connection: requests arrive in script order (wrk may use one up before the first
      // send), so worms come exactly 100 apart, in the order of wormRequests.
      const wormAt = seen.flatMap((k, i) => (wormKeys.includes(k) ? [i] : []));
      assert.ok(wormAt.length >= 2, `only ${wormAt.length} worm requests seen`);
      for (let n = 1; n < wormAt.length; n++) assert.equal((wormAt[n] as number) - (wormAt[n - 1] as number), 100);
      const first = wormKeys.indexOf(seen[wormAt[0] as number] as string);
      assert.equal(seen[wormAt[1] as number], wormKeys[(first + 1) % wormKeys.length]);
      assert.ok(Math.abs(r.non2xx3xx - wormAt.length) <= 1, `wrk counted ${r.non2xx3xx} non-2xx, the server sent ${wormAt.length}`);
    });
  });
});
