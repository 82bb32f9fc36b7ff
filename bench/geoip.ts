/**
 * GeoIP enrichment cost: what opening the databases takes (time, RSS, V8 heap, Buffers) and the
 * mean cost of one `lookup()` over 1,000,000 calls on varied addresses, after a warm-up.
 *
 *   node --expose-gc --import tsx bench/geoip.ts [--json] [--asn-db FILE] [--country-db FILE]
 *
 * Without --expose-gc it starts itself again with it (memory figures need a collection before
 * each reading). Runs in its own process so nothing else is on its heap. Touches no network.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CACHE_MAX, openGeoIp, type GeoIp } from '../src/geoip/index.js';
import { toLookupAddress } from '../src/geoip/lookup-address.js';

const LOOKUPS = 1_000_000;
const WARMUP = 200_000;
const POOL = 1 << 16;
const ROUNDS = 3;
const IDLE_MS = 10_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** Deterministic pseudo-random 32-bit numbers, so every run measures the same addresses. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

function ipv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function ipv6(next: () => number): string {
  const hex = (n: number): string => (n & 0xffff).toString(16);
  // 2000::/4, where all allocated global unicast space is.
  return `2${(next() & 0xfff).toString(16).padStart(3, '0')}:${hex(next())}:${hex(next())}:${hex(next())}::${hex(next())}`;
}

function pools(geo: GeoIp): Record<string, string[]> {
  const next = random(20260617);
  const anyV4 = Array.from({ length: POOL }, () => ipv4(next()));
  const anyV6 = Array.from({ length: POOL }, () => ipv6(next));
  const known = (make: () => string): string[] => {
    const out: string[] = [];
    // Bounded: about 1 in 3 IPv6 tries (within allocated /12s) and 3 in 4 IPv4 tries hit.
    for (let tries = 0; out.length < POOL && tries < POOL * 1000; tries++) {
      const ip = make();
      if (geo.lookup(ip).asn !== null) out.push(ip);
    }
    return out;
  };
  const knownV4 = known(() => ipv4(next()));
  // Random /32s inside the RIRs' big IPv6 blocks, so that some are allocated.
  const rirV6 = ['2001', '2400', '2600', '2800', '2a00', '2c00'];
  const knownV6 = known(() => `${rirV6[next() % rirV6.length]!.slice(0, 3)}${(next() & 0xf).toString(16)}:${(next() & 0xffff).toString(16)}::${(next() & 0xffff).toString(16)}`);
  const mixed = knownV4.map((ip, i) => (i % 5 === 4 ? knownV6[i % knownV6.length]! : ip));
  return {
    'IPv4, uniform over 0/0': anyV4,
    'IPv4 with a known AS': knownV4,
    'IPv6, uniform in 2000::/4': anyV6,
    'IPv6 with a known AS': knownV6,
    'known, 4:1 IPv4/IPv6': mixed,
  };
}

/** Mean nanoseconds per call of `fn` over LOOKUPS calls cycling through `pool`, best of ROUNDS. */
function meanNs(pool: string[], fn: (ip: string) => unknown): { bestNs: number; roundsNs: number[] } {
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) if (fn(pool[i & (POOL - 1)]!) !== null) sink++;
  const roundsNs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < LOOKUPS; i++) if (fn(pool[i & (POOL - 1)]!) !== null) sink++;
    roundsNs.push(Number(process.hrtime.bigint() - t0) / LOOKUPS);
  }
  if (sink < 0) console.log(sink);
  return { bestNs: Math.min(...roundsNs), roundsNs };
}

function memory(): Record<'rssMB' | 'heapUsedMB' | 'externalMB' | 'arrayBuffersMB', number> {
  gc!();
  gc!();
  const m = process.memoryUsage();
  const mb = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;
  return { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) };
}

function delta(a: ReturnType<typeof memory>, b: ReturnType<typeof memory>): ReturnType<typeof memory> {
  const d = (k: keyof typeof a): number => Math.round((b[k] - a[k]) * 10) / 10;
  return { rssMB: d('rssMB'), heapUsedMB: d('heapUsedMB'), externalMB: d('externalMB'), arrayBuffersMB: d('arrayBuffersMB') };
}

const opts = { asnDb: arg('--asn-db'), countryDb: arg('--country-db') };
const before = memory();
const t0 = performance.now();
const geo = await openGeoIp({ ...(opts.asnDb && { asnDb: opts.asnDb }), ...(opts.countryDb && { countryDb: opts.countryDb }) });
const openMs = Math.round(performance.now() - t0);
const peakRssMB = Math.round(process.memoryUsage().rss / 2 ** 20);
const afterOpen = memory();

let addressPools: Record<string, string[]> | null = pools(geo);
const withPools = memory();
const rows = Object.entries(addressPools).map(([name, pool]) => {
  const hits = pool.filter((ip) => geo.lookup(ip).asn !== null).length;
  return { addresses: name, withAsnPct: Math.round((hits / pool.length) * 1000) / 10, lookupNs: meanNs(pool, (ip) => geo.lookup(ip)), parseOnlyNs: meanNs(pool, toLookupAddress).bestNs };
});
const afterLookups = memory();
addressPools = null;
// V8 gives heap pages back only after a while idle: the reading a long-running server settles at.
await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
const idle = memory();

const result = {
  machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version },
  sources: geo.sources,
  maxmindCacheMax: DEFAULT_CACHE_MAX,
  openMs,
  peakRssDuringOpenMB: peakRssMB,
  memory: { beforeOpen: before, afterOpen, withAddressPools: withPools, afterLookups, afterIdle: idle },
  openCost: delta(before, afterOpen),
  steadyCost: delta(before, idle),
  lookups: { perRound: LOOKUPS, warmup: WARMUP, rounds: ROUNDS, distinctAddressesPerPool: POOL, rows },
};

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`${result.machine.cpu} x${result.machine.cores}, Node ${result.machine.node}`);
  console.log(`ASN: ${geo.sources.asn.description} (built ${geo.sources.asn.built}); country: ${geo.sources.country.description} (built ${geo.sources.country.built}); maxmind cache ${DEFAULT_CACHE_MAX} records`);
  console.log(`open: ${openMs} ms, RSS peak ${peakRssMB} MB during open`);
  console.log('memory (MB, each after a full GC):');
  for (const [name, m] of Object.entries(result.memory)) console.log(`  ${name.padEnd(17)} ${JSON.stringify(m)}`);
  console.log(`added by opening: ${JSON.stringify(result.openCost)}`);
  console.log(`added, after the lookups, with the address pools dropped and ${IDLE_MS / 1000} s idle: ${JSON.stringify(result.steadyCost)}`);
  console.log(`mean cost per lookup, best of ${ROUNDS} rounds of ${LOOKUPS} after ${WARMUP} warm-up:`);
  for (const r of rows) {
    console.log(`  ${r.addresses.padEnd(24)} ${r.lookupNs.bestNs.toFixed(0).padStart(5)} ns (rounds ${r.lookupNs.roundsNs.map((n) => n.toFixed(0)).join('/')}), of which parsing ${r.parseOnlyNs.toFixed(0)} ns; ${r.withAsnPct}% have an AS`);
  }
}
