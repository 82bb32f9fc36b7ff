/**
 * Memory under a flood: N distinct source addresses driven straight into a running wormwatch's
 * detection pipeline (engine → offenders → metrics → log → every extension, notices in outbox
 * mode), with the default offender bound. Its own process, so RSS is wormwatch's alone.
 * Usage: node --expose-gc --import tsx bench/flood-child.ts <addresses> <tmpdir> <result.json> [all|none]
 * (`none`: no extensions, to tell the offender store's share from the notifier's and others').
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { startWormwatch } from '../src/runtime/serve.js';
import { defaultExtensions } from '../src/runtime/extensions/index.js';
import type { ExtensionContext } from '../src/runtime/extension.js';
import { loadOptions } from '../src/config/load.js';
import type { Verdict } from '../src/detect/types.js';
import { wormRequests } from './lib/traffic.js';
import { viewOf } from './lib/matcher-fallback.js';

const [count = 1_000_000, tmp = '/tmp', out = join(tmp, 'flood.json'), which = 'all'] = [Number(process.argv[2]), process.argv[3], process.argv[4], process.argv[5]];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;

const options = loadOptions({
  flags: {
    upstream: 'http://127.0.0.1:9', listen: '127.0.0.1:0', adminListen: '127.0.0.1:0',
    notify: 'outbox', dataDir: join(tmp, 'flood-data'), dnsServer: '127.0.0.1:9', rdapUrl: 'http://127.0.0.1:9/', logLevel: 'warn',
  },
  env: {},
});
let ctx: ExtensionContext | undefined;
const app = await startWormwatch(options, {
  extensions: [...(which === 'none' ? [] : defaultExtensions), (c) => { ctx = c; return { name: 'bench-flood' }; }],
});
if (!ctx) throw new Error('the app did not hand its context to extensions');
const emit = ctx.emitDetection;

// Classified once per request shape: the engine's speed is the matcher benchmark's business,
// this measures what each detection leaves behind (offenders, notifier state, metrics, log).
const engine = app.engine();
const verdicts = wormRequests.flatMap((r) => {
  const n = engine.normalise(viewOf(`${r.method} ${r.path}`, r.headers));
  const v = engine.match(n, 'request') ?? engine.match(n, '404');
  return v ? [v] : [];
});
if (verdicts.length === 0) throw new Error('no bench worm request is detected by the engine');
const settle = async (): Promise<void> => {
  // Two full collections with a pause between, so freed pages can go back to the system.
  for (let k = 0; k < 2; k++) { gc(); await sleep(200); }
};
await settle();
const before = rssMiB();
const heapBefore = process.memoryUsage().heapUsed;
let peak = before;
let maxOffenders = 0;
let detected = 0;
const started = performance.now();
for (let i = 0; i < count; i++) {
  const verdict: Verdict = verdicts[i % verdicts.length]!;
  detected++;
  emit({ ip: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, verdict, at: new Date(), action: 'forwarded', requestLine: verdict.evidence });
  if (i % 1000 === 0) maxOffenders = Math.max(maxOffenders, app.offenders.size);
  if (i % 10_000 === 0) {
    peak = Math.max(peak, rssMiB());
    await tick(); // let the notifier's asynchronous work run, as it would between requests
  }
}
const elapsedS = (performance.now() - started) / 1000;
maxOffenders = Math.max(maxOffenders, app.offenders.size);
await settle();
const after = rssMiB();
const heapAfter = process.memoryUsage().heapUsed;
peak = Math.max(peak, after);
const result = {
  extensions: which === 'none' ? 'none' : 'all',
  addresses: count, detections: detected, elapsedS, eventsPerS: detected / elapsedS,
  offenderBound: options.offenderMax, offendersAfter: app.offenders.size, maxOffenders,
  rssBeforeMiB: before, rssAfterMiB: after, rssPeakMiB: peak, rssGrowthMiB: after - before,
  heapGrowthMiB: (heapAfter - heapBefore) / 2 ** 20,
  heapBytesPerOffender: (heapAfter - heapBefore) / Math.max(1, app.offenders.size),
};
await app.stop(0);
writeFileSync(out, JSON.stringify(result));
process.exit(0);
