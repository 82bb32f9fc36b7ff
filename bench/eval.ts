/**
 * `npm run eval`: measures detection on the shared evaluation corpus (`../shared/corpus/` from the
 * project root) with the real scan code, and writes `bench/results/eval.md` and `eval.json`.
 * Per folder: lines, unparsable, detections by family. Recall against grep counts per family,
 * false positives on ordinary requests (each listed), misses (each listed), and scan speed.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOptions } from '../src/config/load.js';
import { buildEngineFromOptions } from '../src/reload.js';
import { RECALL_FAMILIES } from './eval/grep.js';
import { measureFolder, type FolderResult } from './eval/measure.js';
import { renderMarkdown, type EvalReport } from './eval/report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = resolve(ROOT, process.env.EVAL_CORPUS ?? '../shared/corpus');
const OUT = join(ROOT, 'bench', 'results');

async function main(): Promise<number> {
  if (!existsSync(CORPUS) || !statSync(CORPUS).isDirectory()) {
    process.stderr.write(`eval: no corpus at ${CORPUS}. It is expected at ../shared/corpus relative to the project root (or set EVAL_CORPUS); nothing measured.\n`);
    return 1;
  }
  const folders = readdirSync(CORPUS).filter((d) => statSync(join(CORPUS, d)).isDirectory()).sort();
  const results: FolderResult[] = [];
  for (const folder of folders) {
    const files = readdirSync(join(CORPUS, folder)).sort(naturally).map((f) => join(CORPUS, folder, f)).filter((f) => statSync(f).isFile());
    process.stderr.write(`eval: scanning ${folder}/ (${files.length} files)\n`);
    results.push(await measureFolder(folder, files));
  }
  const report = summarise(results, (await buildEngineFromOptions(loadOptions({ env: {} }))).signatures.length);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(OUT, 'eval.md'), renderMarkdown(report));
  process.stdout.write(headline(report));
  return 0;
}

function summarise(folders: FolderResult[], signatures: number): EvalReport {
  const lines = folders.reduce((s, f) => s + f.summary.lines, 0);
  const seconds = folders.reduce((s, f) => s + f.summary.seconds, 0);
  const recall: EvalReport['recall'] = {};
  for (const fam of RECALL_FAMILIES) {
    recall[fam.name] = {
      lines: folders.reduce((s, f) => s + f.recall[fam.name]!.lines, 0),
      detected: folders.reduce((s, f) => s + f.recall[fam.name]!.detected, 0),
    };
  }
  return {
    generatedAt: new Date().toISOString(),
    corpus: '../shared/corpus',
    signatures,
    folders,
    totals: { lines, seconds, linesPerSecond: seconds > 0 ? Math.round(lines / seconds) : 0 },
    recall,
    ordinary: {
      requests: folders.reduce((s, f) => s + f.ordinary, 0),
      flagged: folders.reduce((s, f) => s + f.ordinaryFlagged.length, 0),
    },
  };
}

function headline(r: EvalReport): string {
  const recall = Object.entries(r.recall).map(([k, v]) => `${k} ${v.detected}/${v.lines}`).join(', ');
  return `eval: ${r.totals.lines} lines at ${r.totals.linesPerSecond} lines/s; recall ${recall}; ordinary flagged ${r.ordinary.flagged}/${r.ordinary.requests}; wrote bench/results/eval.md and eval.json\n`;
}

/** `access_log.2` before `access_log.10`. */
function naturally(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

process.exitCode = await main();
