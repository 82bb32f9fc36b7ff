/**
 * Matcher speed of a rule directory against the built-in catalogue: classifications per
 * CPU-second (normalise once, match at the request stage and at the 404 stage) for the same benign
 * and worm mixes of real request lines that bench/matcher.ts uses, each catalogue in its own child
 * process (engines compiled in one process share V8's type feedback). A benchmark, not a test.
 *
 *   npx tsx bench/eval-matcher.ts --rules DIR [--seconds 2]
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileCatalogue, parseRequestLine } from '../src/detect/index.js';
import { builtinCatalogue } from '../src/rules/index.js';
import { readRules } from '../src/rules/load.js';
import type { Engine, RequestView } from '../src/detect/types.js';
import { readCorpus } from '../test/detect/corpus-sample.js';

interface Row { catalogue: string; signatures: number; mix: string; inputs: number; matched: number; classificationsPerS: number; requestStagePerS: number }

/** The same selection as bench/matcher.ts: up to 5,000 lines the built-in catalogue finds clean (benign) or not (worm). */
function inputs(mix: 'benign' | 'worm'): RequestView[] {
  const folders = mix === 'benign' ? ['benign', 'smallsite-2015-2018'] : ['honeynet-2004', 'scanners-2024', 'crowdsec-hub-tests'];
  const builtin = compileCatalogue(builtinCatalogue());
  const views: RequestView[] = [];
  for (const line of readCorpus(folders)) {
    const view = parseRequestLine(line.request, line.headers);
    const n = builtin.normalise(view);
    const hit = builtin.match(n, 'request') ?? builtin.match(n, '404');
    if ((mix === 'worm') === (hit !== null)) views.push(view);
    if (views.length >= 5000) break;
  }
  return views;
}

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Best slice of whole passes, per CPU-second (as bench/matcher.ts measures). */
function measure(engine: Engine, views: readonly RequestView[], seconds: number, both: boolean): number {
  let sink = 0;
  let best = 0;
  const deadline = performance.now() + seconds * 1000;
  do {
    const start = cpuSeconds();
    let count = 0;
    while (count < 20_000) {
      for (const v of views) {
        const n = engine.normalise(v);
        if (engine.match(n, 'request')) sink++;
        if (both && engine.match(n, '404')) sink++;
      }
      count += views.length;
    }
    const used = cpuSeconds() - start;
    if (used > 0) best = Math.max(best, count / used);
  } while (performance.now() < deadline);
  return sink < 0 ? 0 : best;
}

function child(rules: string | undefined, seconds: number): Row[] {
  const signatures = rules ? readRules(rules).signatures : [...builtinCatalogue()];
  const engine = compileCatalogue(signatures);
  return (['benign', 'worm'] as const).map((mix) => {
    const views = inputs(mix);
    const matched = views.filter((v) => {
      const n = engine.normalise(v);
      return engine.match(n, 'request') ?? engine.match(n, '404');
    }).length;
    measure(engine, views, Math.min(0.3, seconds / 3), true);
    return { catalogue: rules ? rules.split('/').pop()! : 'builtin', signatures: signatures.length, mix, inputs: views.length, matched, classificationsPerS: measure(engine, views, seconds, true), requestStagePerS: measure(engine, views, seconds / 2, false) };
  });
}

const { values } = parseArgs({ options: { rules: { type: 'string' }, seconds: { type: 'string' }, child: { type: 'string' } } });
const seconds = Number(values.seconds ?? 2);
if (values.child !== undefined) {
  process.stdout.write(`ROWS ${JSON.stringify(child(values.child === '' ? undefined : values.child, seconds))}\n`);
} else {
  if (values.rules === undefined) {
    process.stderr.write('eval-matcher: --rules DIR is required (the rule directory to compare with the built-in catalogue)\n');
    process.exit(2);
  }
  const rules = resolve(values.rules);
  const rows: Row[] = [];
  for (const which of ['', rules]) {
    const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--child=${which}`, `--seconds=${seconds}`], { encoding: 'utf8', timeout: (seconds * 12 + 120) * 1000 });
    const line = run.stdout?.split('\n').find((l) => l.startsWith('ROWS '));
    if (run.status !== 0 || !line) throw new Error(`child failed (${run.status}): ${run.stderr?.slice(-800)}`);
    rows.push(...(JSON.parse(line.slice(5)) as Row[]));
  }
  const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');
  process.stdout.write(['| catalogue | signatures | mix | inputs | matched | classifications/s | request stage only /s |', '|---|---:|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.catalogue} | ${r.signatures} | ${r.mix} | ${r.inputs} | ${r.matched} | ${fmt(r.classificationsPerS)} | ${fmt(r.requestStagePerS)} |`)].join('\n') + '\n');
}
