/**
 * `wormwatch scan` throughput on a large log: builds one combined-format file in a temp directory
 * from the shared corpus's Apache/nginx logs (`../shared/corpus/`: honeynet-2004, scanners-2024,
 * crowdsec-hub-tests, the benign shop log), repeated until it holds `--lines` lines, then runs the
 * real command (`node --import tsx src/cli/main.ts scan --notify off --json`, full pipeline:
 * engine, offender store, metrics, 404 storms) on it, round after round, and prints the median
 * (min–max) of the summary's own `linesPerSecond` (start-up excluded) and of lines per CPU-second
 * (the whole process, start-up included: steadier than wall time on a shared machine).
 *
 *   npx tsx bench/scan-speed.ts [--lines 1500000] [--rounds 5] [--before DIR] [--profile DIR]
 *
 * `--before DIR`: also runs the checkout in DIR (an earlier tree with its own node_modules link),
 * alternating with this one within every round (A B, B A, ...) so the machine's drift hits both.
 * `--profile DIR`: runs this tree once more under `--cpu-prof` into DIR and prints its hottest
 * functions. The load average is printed with every figure. Nothing is written into the repository;
 * the temp directory is removed at the end.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hotspots, selfHotspots } from './lib/cpuprofile.js';
import { spread, type Spread } from './lib/stats.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CORPUS = resolve(ROOT, process.env.EVAL_CORPUS ?? '../shared/corpus');
/** The combined-format folders and files of the corpus (the CSV and W3C ones would be sniffed apart). */
const SOURCES = ['honeynet-2004', 'scanners-2024', 'crowdsec-hub-tests', 'benign/logfile_shop_access_log.0'];
/** Bounds: a run never takes longer than this, a built file never more lines than this. */
const RUN_TIMEOUT_MS = 10 * 60_000;
const MAX_LINES = 20_000_000;

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '1500000' },
    rounds: { type: 'string', default: '5' },
    before: { type: 'string' },
    profile: { type: 'string' },
  },
});
const wanted = Math.min(MAX_LINES, Math.max(1, Number(args.lines)));
const rounds = Math.max(1, Math.min(50, Number(args.rounds)));

interface Run { linesPerSecond: number; linesPerCpuSecond: number; lines: number; detections: number; loadStart: number; loadEnd: number }

/** A preload that reports the process's CPU time on exit, on stderr. */
const CPU_PRELOAD = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('SCAN_SPEED_CPU_US '+(u.user+u.system)+'\\n')})`;

function corpusFiles(): string[] {
  return SOURCES.flatMap((s) => {
    const path = join(CORPUS, s);
    if (!existsSync(path)) return [];
    return statSync(path).isDirectory() ? readdirSync(path).sort().map((f) => join(path, f)) : [path];
  });
}

/** Writes the corpus files, one after another, again and again, until `lines` lines are written. */
async function buildInput(file: string, lines: number): Promise<{ lines: number; bytes: number }> {
  const sources = corpusFiles().map((f) => readFileSync(f)).map((b) => (b.length > 0 && b[b.length - 1] !== 10 ? Buffer.concat([b, Buffer.from('\n')]) : b));
  const counts = sources.map((b) => b.reduce((n, c) => n + (c === 10 ? 1 : 0), 0));
  if (counts.reduce((a, b) => a + b, 0) === 0) throw new Error(`no corpus logs under ${CORPUS} (set EVAL_CORPUS)`);
  const out = createWriteStream(file);
  let written = 0;
  let bytes = 0;
  for (let i = 0; written < lines; i = (i + 1) % sources.length) {
    if (!out.write(sources[i]!)) await new Promise<void>((r) => out.once('drain', () => r()));
    written += counts[i]!;
    bytes += sources[i]!.length;
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  return { lines: written, bytes };
}

function scanOnce(tree: string, input: string, dataDir: string, nodeFlags: string[] = []): Promise<Run> {
  const argv = [...nodeFlags, '--import', CPU_PRELOAD, '--import', 'tsx', 'src/cli/main.ts', 'scan', '--notify', 'off', '--json', '--data-dir', dataDir, input];
  const child = spawn(process.execPath, argv, { cwd: tree, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-10_000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const loadStart = loadavg()[0] ?? 0;
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      const cpu = /SCAN_SPEED_CPU_US (\d+)/.exec(stderr);
      if (code !== 0 || !cpu) return fail(new Error(`scan in ${tree} exited ${code}: ${stderr.slice(-500)}`));
      const s = JSON.parse(stdout) as { lines: number; linesPerSecond: number; detections: { total: number } };
      done({ linesPerSecond: s.linesPerSecond, linesPerCpuSecond: Math.round(s.lines / (Number(cpu[1]) / 1e6)), lines: s.lines, detections: s.detections.total, loadStart, loadEnd: loadavg()[0] ?? 0 });
    });
  });
}

const n = (v: number): string => Math.round(v).toLocaleString('en-US');
const shown = (s: Spread | null, f = n): string => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : '-');
const load = (v: number): string => v.toFixed(2);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wormwatch-scan-speed-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  process.on('SIGINT', () => process.exit(130));
  const input = join(dir, 'access.log');
  const built = await buildInput(input, wanted);
  process.stderr.write(`scan-speed: ${n(built.lines)} lines, ${n(built.bytes / 2 ** 20)} MiB in ${input}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const trees: Array<{ name: string; dir: string }> = [{ name: 'this tree', dir: ROOT }];
  if (args.before) trees.push({ name: `before (${args.before})`, dir: resolve(args.before) });
  const runs = new Map<string, Run[]>(trees.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? trees : [...trees].reverse();
    for (const t of order) {
      const run = await scanOnce(t.dir, input, join(dir, `data-${r}-${runs.get(t.name)!.length}`));
      runs.get(t.name)!.push(run);
      process.stderr.write(`  round ${r + 1} ${t.name}: ${n(run.linesPerSecond)} lines/s, ${n(run.linesPerCpuSecond)} lines/CPU-s, ${n(run.detections)} detections (load ${load(run.loadStart)} → ${load(run.loadEnd)})\n`);
    }
  }
  const out = [`| tree | lines/s (summary, wall) | lines per CPU-second (whole process) | detections | 1-min load average (start and end of each run) |`, '|---|---|---|---|---|'];
  for (const t of trees) {
    const rs = runs.get(t.name)!;
    out.push(`| ${t.name} | ${shown(spread(rs.map((x) => x.linesPerSecond)))} | ${shown(spread(rs.map((x) => x.linesPerCpuSecond)))} | ${n(rs[0]!.detections)} | ${shown(spread(rs.flatMap((x) => [x.loadStart, x.loadEnd])), load)} |`);
  }
  process.stdout.write(`${out.join('\n')}\n(${rounds} rounds of ${n(built.lines)} lines; median (min–max); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end)\n`);
  if (args.profile) await profile(resolve(args.profile), input, join(dir, 'data-profile'));
}

async function profile(into: string, input: string, dataDir: string): Promise<void> {
  const before = new Set(existsSync(into) ? readdirSync(into) : []);
  await scanOnce(ROOT, input, dataDir, ['--cpu-prof', '--cpu-prof-dir', into]);
  const written = readdirSync(into).filter((f) => f.endsWith('.cpuprofile') && !before.has(f)).map((f) => join(into, f));
  // The main thread's profile is the largest (tsx's loader thread writes a small one).
  const main = written.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!main) return;
  const p = JSON.parse(readFileSync(main, 'utf8')) as Parameters<typeof hotspots>[0];
  process.stdout.write(`\nProfile ${main}\nself%  incl%  function (by self time)\n`);
  for (const h of selfHotspots(p, 30)) process.stdout.write(`${h.selfPct.toFixed(1).padStart(5)}  ${h.inclusivePct.toFixed(1).padStart(5)}  ${h.fn}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`scan-speed: ${(err as Error).message}\n`);
  process.exit(1);
});
