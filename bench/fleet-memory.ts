/**
 * `node --import tsx bench/fleet-memory.ts [offenders] [--offender-max N]`: a flood of distinct
 * offenders (default 1,000,000) through fleet mode's offender publishing into a real redis-server
 * (loopback, temporary directory), as three replicas would write it. Reports Redis memory (INFO
 * memory used_memory) before, at the peak and after, the offenders held, bytes per offender, and
 * the Redis commands per detection (INFO commandstats). The bound: --offender-max (default
 * 100,000) offenders of at most 1,024 bytes each, whatever the flood.
 */
import { Registry } from 'prom-client';
import { redisUrl } from '../src/config/parse.js';
import { OffenderSync } from '../src/fleet/offender-sync.js';
import { RedisLink } from '../src/fleet/redis-link.js';
import { builtinCatalogue } from '../src/rules/builtin.js';
import { createLogger } from '../src/log.js';
import { createFleetMetrics } from '../src/metrics.js';
import type { DetectionEvent } from '../src/detect/detection.js';
import { startRedis } from '../test/helpers/redis.js';

const BYTES_PER_OFFENDER_MAX = 1_024;
const args = process.argv.slice(2);
const FLOOD = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const maxAt = args.indexOf('--offender-max');
const offenderMax = maxAt >= 0 ? Number(args[maxAt + 1]) : 100_000;
const signature = builtinCatalogue().find((s) => s.id === 'codered-ii') ?? builtinCatalogue()[0]!;
const line = `GET /${'x'.repeat(190)} HTTP/1.1`.slice(0, 200);
const nth = (n: number): string => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
const event = (ip: string): DetectionEvent => ({ ip, at: new Date(), action: 'forwarded', requestLine: line, verdict: { signature, stage: signature.stage, evidence: line } });

/** Calls per command (INFO commandstats), the bench's own INFO and ZCARD aside. Redis 7 counts the commands a script runs too. */
async function commands(info: (s: string) => Promise<string>): Promise<Map<string, number>> {
  const text = await info('commandstats');
  const calls = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) if (!['info', 'ping', 'config', 'client', 'zcard'].some((c) => m[1]!.startsWith(c))) calls.set(m[1]!, Number(m[2]));
  return calls;
}

/** Calls made between two readings: every command, and the round trips (what the replicas sent: script calls and UNLINKs). */
function callsBetween(before: Map<string, number>, after: Map<string, number>): { all: number; sent: number } {
  let all = 0;
  let sent = 0;
  for (const [name, n] of after) {
    const d = n - (before.get(name) ?? 0);
    all += d;
    if (['evalsha', 'eval', 'unlink'].includes(name)) sent += d;
  }
  return { all, sent };
}

async function main(): Promise<void> {
  const redis = await startRedis();
  try {
    await flood(redis);
  } finally {
    await redis.stop();
  }
}

async function flood(redis: Awaited<ReturnType<typeof startRedis>>): Promise<void> {
  const metrics = createFleetMetrics(new Registry());
  const replicas = ['r1', 'r2', 'r3'].map((name) => {
    const link = new RedisLink({ url: redisUrl(redis.url), commandTimeoutMs: 10_000, prefix: 'ww' }, metrics, createLogger('silent'));
    return { link, sync: new OffenderSync(link, { replica: name, max: offenderMax, ttlMs: 86_400_000, samples: 5 }, metrics, () => ({ asn: 64_500, asOrg: 'Example Net', country: 'NL' })) };
  });
  for (const r of replicas) r.link.start();
  while (!replicas.every((r) => r.link.up)) await new Promise((r) => setTimeout(r, 20));
  const info = (s: string): Promise<string> => redis.client.info(s);
  const before = await redis.info('memory', 'used_memory');
  const callsBefore = await commands(info);
  const cpuOf = async (): Promise<number> => (await redis.info('cpu', 'used_cpu_user')) + (await redis.info('cpu', 'used_cpu_sys'));
  const cpuBefore = await cpuOf();
  const started = Date.now();
  let peak = before;
  for (let i = 0; i < FLOOD; i += 3_000) {
    for (let j = i; j < Math.min(FLOOD, i + 3_000); j++) replicas[j % 3]!.sync.record(event(nth(j)));
    await Promise.all(replicas.map((r) => r.sync.flush()));
    if ((i / 3_000) % 20 === 0) peak = Math.max(peak, await redis.info('memory', 'used_memory'));
  }
  const seconds = (Date.now() - started) / 1000;
  const after = await redis.info('memory', 'used_memory');
  peak = Math.max(peak, after);
  const held = await redis.client.zcard('ww:offenders');
  const calls = callsBetween(callsBefore, await commands(info));
  const cpu = (await cpuOf()) - cpuBefore;
  const report = {
    flood: FLOOD, offenderMax, held, seconds, detectionsPerSecond: Math.round(FLOOD / seconds),
    usedMemoryBefore: before, usedMemoryPeak: peak, usedMemoryAfter: after,
    bytesPerOffender: Math.round((after - before) / held),
    bound: before + offenderMax * BYTES_PER_OFFENDER_MAX,
    withinBound: peak <= before + offenderMax * BYTES_PER_OFFENDER_MAX,
    /** What the replicas send: one script call per address per flush, one per batch for the index, UNLINKs of the dropped. */
    commandsSentPerDetection: Number((calls.sent / FLOOD).toFixed(3)),
    /** What Redis executes, the commands inside the scripts included. */
    commandsExecutedPerDetection: Number((calls.all / FLOOD).toFixed(3)),
    /** Redis CPU per detection (µs, INFO cpu): 1e6 / this is what one Redis core holds per second. */
    redisCpuMicrosPerDetection: Number(((cpu * 1e6) / FLOOD).toFixed(1)),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  for (const r of replicas) await r.link.stop();
  if (!report.withinBound) process.exitCode = 1;
}

await main();
