/**
 * The cost of the request path's ban check (src/bans/check.ts), alone: nanoseconds per lookup in
 * a table of 0, 1,000 and 100,000 bans (half IPv4 addresses, half IPv6 /64 prefixes, plus 100
 * blocked paths), for an IPv4 client that is not banned, one that is, an IPv6 client (whose
 * /64 is computed while any IPv6 ban exists) and the blocked-path check of a request.
 *
 *   npx tsx bench/ban-check.ts [--seconds 1]
 *
 * `npm run bench` measures the same check inside the proxy (target `wormwatch-bans`: block mode
 * with 100,000 bans loaded, against `wormwatch-block` without).
 */
import { parseArgs } from 'node:util';
import { banRemaining, isPathBlocked } from '../src/bans/check.js';
import { defaultEngine } from '../src/rules/index.js';
import { filledTable } from './lib/ban-table.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '1' } } });
const seconds = Number(values.seconds);

function nsPer(fn: (i: number) => number): number {
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += fn(i); // warm-up: JIT
  let calls = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 10_000; i++) sink += fn(calls + i);
    calls += 10_000;
    now = process.hrtime.bigint();
  }
  if (sink === -1) console.log(sink);
  return Number(now - start) / calls;
}

const engine = defaultEngine();
const request = engine.normalise({ method: 'GET', target: '/index.html?page=2', headers: {} });
const now = Date.now();
const v4 = Array.from({ length: 1024 }, (_, i) => `198.51.${(i >> 8) & 3}.${i & 255}`);
const v6 = Array.from({ length: 1024 }, (_, i) => `2001:db9:${i.toString(16)}::${(i * 7).toString(16)}`);

console.log('| bans held | IPv4, not banned | IPv4, banned | IPv6, not banned | path check | ns per lookup, median of one run |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const n of [0, 1_000, 100_000]) {
  const t = filledTable(n);
  const row = [
    nsPer((i) => banRemaining(t, v4[i & 1023]!, 64, now)),
    n === 0 ? NaN : nsPer((i) => banRemaining(t, `10.0.${(i >> 8) & 1}.${i & 255}`, 64, now)),
    nsPer((i) => banRemaining(t, v6[i & 1023]!, 64, now)),
    nsPer(() => (isPathBlocked(t, request, now) ? 1 : 0)),
  ];
  console.log(`| ${n.toLocaleString('en')} | ${row.map((x) => (Number.isNaN(x) ? '–' : x.toFixed(0))).join(' | ')} | |`);
}
