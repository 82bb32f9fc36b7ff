/**
 * `node --import tsx bench/fleet.ts [--seconds N] [--rounds N]`: three wormwatch replicas with
 * `--redis-url` (one real redis-server) against three without, the same load on each (one wrk
 * per replica, 1 % worm requests from distinct addresses, the rest benign), rounds interleaved.
 * After a warm-up round of each set, reports the p99 of each set (the worst replica of a round, the median over rounds), the p99
 * ratio (goal ≤ 1.05), requests/s, and the Redis commands per detection (INFO commandstats:
 * what the replicas sent, and what Redis ran, script internals included). Results also go to
 * bench/results/fleet-<time>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpText, stopAll } from './lib/children.js';
import { ROOT, startOrigin, startWormwatch, type Target } from './lib/targets.js';
import { runWrk } from './lib/wrk.js';
import { wormRequests, benignRequests } from './lib/traffic.js';
import { startRedis, type TestRedis } from '../test/helpers/redis.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const SECONDS = opt('--seconds', 10);
const ROUNDS = opt('--rounds', 3);
const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);

/** 99 benign requests, then one CodeRed from the next address of 10.0.0.0/8 (trusted X-Forwarded-For). */
function mixScript(seed: number): string {
  const benign = benignRequests.map((r) => `wrk.format(${JSON.stringify(r.method)}, ${JSON.stringify(r.path)}, { ["User-Agent"] = ${JSON.stringify(r.headers['User-Agent'] ?? '')} })`);
  return `
local benign = {}
local n = 0
init = function(args)
${benign.map((b) => `  benign[#benign + 1] = ${b}`).join('\n')}
end
request = function()
  n = n + 1
  if n % 100 == 0 then
    local v = (${seed} + n / 100) % 16777216
    local ip = string.format("10.%d.%d.%d", math.floor(v / 65536), math.floor(v / 256) % 256, v % 256)
    return wrk.format("GET", ${JSON.stringify(wormRequests[0]!.path)}, { ["X-Forwarded-For"] = ip })
  end
  return benign[(n % #benign) + 1]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"p50_us":%.1f,"p99_us":%.1f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
`;
}

async function detections(targets: Target[]): Promise<number> {
  let sum = 0;
  for (const t of targets) {
    const text = await httpText(t.adminPort!, '/metrics');
    for (const m of text.matchAll(/^wormwatch_detections_total\{[^}]*\} (\d+(?:\.\d+)?)/gm)) sum += Number(m[1]);
  }
  return sum;
}

async function commandCalls(redis: TestRedis): Promise<{ sent: number; all: number }> {
  const text = await redis.client.info('commandstats');
  let sent = 0;
  let all = 0;
  for (const m of text.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
    if (['info', 'ping', 'config', 'client'].some((c) => m[1]!.startsWith(c))) continue;
    all += Number(m[2]);
    // What crosses the network: everything a replica sends (scripts are one call each), not what the scripts run.
    if (['evalsha', 'eval', 'unlink', 'multi', 'exec', 'set', 'get', 'pttl', 'publish', 'xadd', 'scan', 'mget', 'subscribe', 'del', 'xreadgroup', 'xautoclaim'].includes(m[1]!)) sent += Number(m[2]);
  }
  return { sent, all };
}

async function round(targets: Target[], tmp: string, seed: number): Promise<{ p99: number; rps: number; errors: number }> {
  const results = await Promise.all(targets.map((t, i) => {
    const script = join(tmp, `mix-${seed}-${i}.lua`);
    writeFileSync(script, mixScript(seed + i * 1_000_000));
    return runWrk({ port: t.port, path: '/1k', connections: 8, threads: 1, durationS: SECONDS, script });
  }));
  return { p99: Math.max(...results.map((r) => r.p99Ms)), rps: results.reduce((a, r) => a + r.rps, 0), errors: results.reduce((a, r) => a + r.socketErrors, 0) };
}

/** Redis's own CPU seconds (user + system, INFO cpu): what a detection costs the server. */
async function redisCpu(redis: TestRedis): Promise<number> {
  return (await redis.info('cpu', 'used_cpu_user')) + (await redis.info('cpu', 'used_cpu_sys'));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'wormwatch-bench-fleet-'));
  const redis = await startRedis();
  try {
    await measure(tmp, redis);
  } finally {
    // Also when a replica fails to start: no redis-server, replica or temporary directory is left behind.
    await stopAll();
    await redis.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function measure(tmp: string, redis: TestRedis): Promise<void> {
  const origin = await startOrigin();
  const common = ['--trust-proxy', '127.0.0.1/32', '--log-level', 'error', '--geoip', 'false', '--notice-allow-private', '10.0.0.0/8', '--notice-tiers', 'host'];
  const fleet: Target[] = [];
  const alone: Target[] = [];
  for (const i of [1, 2, 3]) {
    fleet.push(await startWormwatch({ name: `fleet-${i}`, originPort: origin.port, mode: 'monitor', tmp, extra: [...common, '--redis-url', redis.url, '--replica-name', `r${i}`] }));
    alone.push(await startWormwatch({ name: `alone-${i}`, originPort: origin.port, mode: 'monitor', tmp, extra: common }));
  }
  log(`3 + 3 replicas up; a warm-up round each (not counted: the first run against a cold process is JIT time), then ${ROUNDS} rounds of ${SECONDS}s each, interleaved`);
  await round(fleet, tmp, 90_000_000);
  await round(alone, tmp, 95_000_000);
  const runs: Record<'fleet' | 'alone', Array<{ p99: number; rps: number; errors: number }>> = { fleet: [], alone: [] };
  let sentBefore = await commandCalls(redis);
  let fleetDetections = 0;
  let fleetCalls = { sent: 0, all: 0 };
  let cpu = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const d0 = await detections(fleet);
    const cpu0 = await redisCpu(redis);
    runs.fleet.push(await round(fleet, tmp, r * 10_000_000));
    await new Promise((res) => setTimeout(res, 500)); // the last flush
    fleetDetections += (await detections(fleet)) - d0;
    cpu += (await redisCpu(redis)) - cpu0;
    const now = await commandCalls(redis);
    fleetCalls = { sent: fleetCalls.sent + now.sent - sentBefore.sent, all: fleetCalls.all + now.all - sentBefore.all };
    runs.alone.push(await round(alone, tmp, r * 10_000_000 + 5_000_000));
    sentBefore = await commandCalls(redis);
    log(`round ${r + 1}: fleet p99 ${runs.fleet.at(-1)!.p99.toFixed(2)} ms, alone p99 ${runs.alone.at(-1)!.p99.toFixed(2)} ms`);
  }
  const p99 = { fleet: median(runs.fleet.map((x) => x.p99)), alone: median(runs.alone.map((x) => x.p99)) };
  const report = {
    seconds: SECONDS, rounds: ROUNDS, connectionsPerReplica: 8, wormShare: 0.01,
    p99Ms: p99, p99Ratio: Number((p99.fleet / p99.alone).toFixed(3)),
    rps: { fleet: Math.round(median(runs.fleet.map((x) => x.rps))), alone: Math.round(median(runs.alone.map((x) => x.rps))) },
    socketErrors: { fleet: runs.fleet.reduce((a, x) => a + x.errors, 0), alone: runs.alone.reduce((a, x) => a + x.errors, 0) },
    detections: fleetDetections,
    redisCommandsSentPerDetection: Number((fleetCalls.sent / Math.max(1, fleetDetections)).toFixed(3)),
    redisCommandsExecutedPerDetection: Number((fleetCalls.all / Math.max(1, fleetDetections)).toFixed(3)),
    /** Redis CPU per detection (µs): 1e6 / this is the detections per second one Redis core holds. */
    redisCpuMicrosPerDetection: Number(((cpu * 1e6) / Math.max(1, fleetDetections)).toFixed(1)),
    redisUsedMemory: await redis.info('memory', 'used_memory'),
    runs,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `fleet-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2));
}

await main();
