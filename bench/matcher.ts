/**
 * Matcher speed: classifications per second on one core, with the built-in catalogue and with a
 * catalogue grown tenfold by generated signatures (unique literals and patterns), for a benign
 * mix and a worm mix of real request lines (with their User-Agent/Referer) from ../shared/corpus.
 *
 * One classification = normalise the request once, then match it at the request stage and at the
 * 404 stage: the most one request can cost. (The header text is built, as in the proxy, only when a
 * candidate signature needs it; the 404 stage reuses the request stage's prefilter pass.) Rates are per CPU-second of
 * this process (process.cpuUsage), best of many short slices, so other load on the machine
 * distorts them less than wall time would.
 *
 *   npx tsx bench/matcher.ts [--quick] [--json]
 *
 * `runMatcherBench` is what `npm run bench` calls (with a number of seconds per case).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compileCatalogue, exampleRequest, parseRequestLine } from '../src/detect/index.js';
import { builtinCatalogue } from '../src/rules/index.js';
import type { Engine, RequestView, Signature } from '../src/detect/types.js';
import { readCorpus } from '../test/detect/corpus-sample.js';

interface MatcherRow {
  catalogue: 'builtin' | 'builtin x10';
  signatures: number;
  mix: 'benign' | 'worm';
  inputs: number;
  /** Inputs that matched at either stage (sanity: benign near 0, worm most). */
  matchedInputs: number;
  /** Normalise + request-stage match + 404-stage match. */
  classificationsPerS: number;
  /** Normalise + request-stage match only (what every proxied request pays). */
  requestStagePerS: number;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Deterministic pseudo-random words, so every run measures the same catalogue. */
function wordMaker(seed: number): () => string {
  let s = seed;
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return () => {
    let w = '';
    const len = 6 + (s % 7);
    for (let i = 0; i < len; i++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      w += letters[s % 26];
    }
    return w;
  };
}

/**
 * The catalogue grown `factor` times: each signature gets siblings on the same target and stage,
 * each with its own literal and a pattern shaped like the real ones (a path, a query parameter, a
 * header token), as a larger catalogue of distinct probes would add.
 */
function grownCatalogue(base: readonly Signature[], factor: number): Signature[] {
  const word = wordMaker(42);
  const out: Signature[] = [...base];
  base.forEach((s) => {
    for (let k = 1; k < factor; k++) {
      const w = word();
      const target = s.match.target;
      const [literal, pattern] =
        target === 'headers' || target === 'all' ? [`${w}:`, `${escapeRegex(w)}: *[a-z0-9]{4}`]
          : target === 'query' ? [`${w}=`, `(?:^|&)${escapeRegex(w)}=[^&]{0,20}\\(`]
            : [`/${w}.`, `/${escapeRegex(w)}\\.(?:php|cgi|asp)$`];
      out.push({ ...s, id: `${s.id}-gen-${k}`, match: { target: target === 'all' ? 'headers' : target === 'raw' ? 'path' : target, pattern, literals: [literal] } });
    }
  });
  return out;
}

function inputs(mix: 'benign' | 'worm'): RequestView[] {
  const folders = mix === 'benign' ? ['benign', 'smallsite-2015-2018'] : ['honeynet-2004', 'scanners-2024', 'crowdsec-hub-tests'];
  const engine = compileCatalogue(builtinCatalogue());
  const views: RequestView[] = [];
  for (const line of readCorpus(folders)) {
    const view = parseRequestLine(line.request, line.headers);
    const n = engine.normalise(view);
    const hit = engine.match(n, 'request') ?? engine.match(n, '404');
    if ((mix === 'worm') === (hit !== null)) views.push(view);
    if (views.length >= 5000) break;
  }
  if (views.length > 0) return views;
  // No corpus beside the project: the catalogue's own examples.
  return builtinCatalogue().flatMap((s) => (mix === 'benign' ? s.examples.negative : s.examples.positive).map(exampleRequest));
}

/** Process CPU time in seconds: a fairer clock than the wall on a shared, busy machine. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Classifications per CPU-second: `seconds` of wall time cut into slices of whole passes over the
 * inputs, the best slice reported. On a busy machine the best slice is the one least disturbed by
 * other processes, so it is the closest to what one free core does.
 */
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
  if (sink < 0) throw new Error('unreachable');
  return best;
}

/** The two cases of one catalogue, measured in this process. */
function runCatalogue(catalogue: MatcherRow['catalogue'], seconds: number): MatcherRow[] {
  const engine = compileCatalogue(catalogue === 'builtin' ? builtinCatalogue() : grownCatalogue(builtinCatalogue(), 10));
  const rows: MatcherRow[] = [];
  for (const mix of ['benign', 'worm'] as const) {
    const views = inputs(mix);
    let matched = 0;
    for (const v of views) {
      const n = engine.normalise(v);
      if (engine.match(n, 'request') ?? engine.match(n, '404')) matched++;
    }
    measure(engine, views, Math.min(0.3, seconds / 3), true); // JIT warm-up
    const classificationsPerS = measure(engine, views, seconds, true);
    const requestStagePerS = measure(engine, views, seconds / 2, false);
    rows.push({ catalogue, signatures: engine.signatures.length, mix, inputs: views.length, matchedInputs: matched, classificationsPerS, requestStagePerS });
  }
  return rows;
}

/**
 * Runs the four cases, each catalogue in a child process of its own: engines compiled in one
 * process share V8's type feedback, and the second would be measured on code tuned for the first.
 * `quick` (or a small number of seconds per case) for a rough figure.
 */
export function runMatcherBench(opts: { quick?: boolean; seconds?: number } | number = {}): MatcherRow[] {
  const seconds = typeof opts === 'number' ? opts : opts.seconds ?? (opts.quick ? 0.5 : 2);
  const rows: MatcherRow[] = [];
  for (const only of ['builtin', 'x10']) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--child=${only}`, `--seconds=${seconds}`], {
      encoding: 'utf8', timeout: (seconds * 12 + 120) * 1000,
    });
    const line = child.stdout?.split('\n').find((l) => l.startsWith('MATCHER_ROWS '));
    if (child.status !== 0 || !line) throw new Error(`matcher bench child failed (${child.status}): ${child.stderr?.slice(-800)}`);
    rows.push(...(JSON.parse(line.slice('MATCHER_ROWS '.length)) as MatcherRow[]));
  }
  return rows;
}

function table(rows: readonly MatcherRow[]): string {
  const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');
  const lines = ['| catalogue | signatures | mix | inputs | matched | classifications/s | request stage only /s |', '|---|---:|---|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.catalogue} | ${r.signatures} | ${r.mix} | ${r.inputs} | ${r.matchedInputs} | ${fmt(r.classificationsPerS)} | ${fmt(r.requestStagePerS)} |`);
  for (const mix of ['benign', 'worm'] as const) {
    const base = rows.find((r) => r.catalogue === 'builtin' && r.mix === mix);
    const grown = rows.find((r) => r.catalogue === 'builtin x10' && r.mix === mix);
    if (base && grown) lines.push(`\n10x signatures, ${mix}: ${(base.classificationsPerS / grown.classificationsPerS).toFixed(2)}x the time per classification`);
  }
  return lines.join('\n');
}

/**
 * A yardstick for the machine's state: per CPU-second, how many benign requests' texts (target
 * and header values) a loop that only sums their character codes gets through. The matcher reads
 * each of those characters a few times, so its rate can be judged against this one.
 */
function charLoopPerS(seconds: number): number {
  const texts = inputs('benign').map((v) => [v.target, ...Object.values(v.headers ?? {}).map(String)]);
  let sum = 0;
  let best = 0;
  const deadline = performance.now() + seconds * 1000;
  do {
    const start = cpuSeconds();
    for (const parts of texts) for (const t of parts) for (let i = 0; i < t.length; i++) sum += t.charCodeAt(i);
    const used = cpuSeconds() - start;
    if (used > 0) best = Math.max(best, texts.length / used);
  } while (performance.now() < deadline);
  return sum < 0 ? 0 : best;
}

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

if (import.meta.url === `file://${process.argv[1]}`) {
  const child = arg('child');
  if (child) {
    const rows = runCatalogue(child === 'x10' ? 'builtin x10' : 'builtin', Number(arg('seconds') ?? 2));
    process.stdout.write(`MATCHER_ROWS ${JSON.stringify(rows)}\n`);
  } else {
    const quick = process.argv.includes('--quick');
    const rows = runMatcherBench({ quick });
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else {
      const yardstick = Math.round(charLoopPerS(quick ? 0.5 : 2)).toLocaleString('en-US');
      process.stdout.write(`${table(rows)}\n\nyardstick: a loop summing the character codes of the same benign requests: ${yardstick}/s\n`);
    }
  }
}
