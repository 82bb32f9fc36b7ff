/**
 * `npm run eval [-- --rules DIR] [--no-builtin-rules] [--out NAME]`: measures detection on the shared
 * evaluation corpus (`../shared/corpus/` from the project root) with the real scan code, and writes
 * `bench/results/NAME.md` and `NAME.json` (NAME: `eval` for the built-in catalogue, else
 * `eval-<rule directory name>`). Per folder: lines, unparsable, detections by family. Recall against
 * grep counts per family, per-family and per-signature tables, false positives on ordinary
 * requests (each listed), exposures, misses, and scan speed.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadOptions } from '../src/config/load.js';
import { buildEngine } from '../src/rules/index.js';
import { COVERAGE_FAMILIES, RECALL_FAMILIES } from './eval/grep.js';
import { measureFolder, type FamilyCount, type FolderResult, type RuleChoice } from './eval/measure.js';
import { renderMarkdown, type EvalReport, type Totals } from './eval/report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = resolve(ROOT, process.env.EVAL_CORPUS ?? '../shared/corpus');
const OUT = join(ROOT, 'bench', 'results');

function parseChoice(): { choice: RuleChoice; out: string } {
  const { values } = parseArgs({
    options: { rules: { type: 'string' }, 'no-builtin-rules': { type: 'boolean', default: false }, out: { type: 'string' } },
    allowPositionals: false,
  });
  const rules = values.rules ? resolve(values.rules) : undefined;
  const choice: RuleChoice = { rules, builtinRules: !values['no-builtin-rules'] };
  const out = values.out ?? (rules ? `eval-${basename(rules).replace(/\.[a-z]+$/i, '')}` : 'eval');
  if (!/^[a-z0-9._-]+$/i.test(out)) throw new Error(`--out ${out}: a plain file name, please`);
  return { choice, out };
}

async function main(): Promise<number> {
  const { choice, out } = parseChoice();
  if (!existsSync(CORPUS) || !statSync(CORPUS).isDirectory()) {
    process.stderr.write(`eval: no corpus at ${CORPUS}. It is expected at ../shared/corpus relative to the project root (or set EVAL_CORPUS); nothing measured.\n`);
    return 1;
  }
  const folders = readdirSync(CORPUS).filter((d) => statSync(join(CORPUS, d)).isDirectory()).sort();
  const results: FolderResult[] = [];
  for (const folder of folders) {
    const files = readdirSync(join(CORPUS, folder)).sort(naturally).map((f) => join(CORPUS, folder, f)).filter((f) => statSync(f).isFile());
    process.stderr.write(`eval: scanning ${folder}/ (${files.length} files)\n`);
    results.push(await measureFolder(folder, files, choice));
  }
  const flags: Record<string, unknown> = { builtinRules: choice.builtinRules };
  if (choice.rules) flags.rules = choice.rules;
  const engine = buildEngine(loadOptions({ env: {}, flags }));
  const described = choice.rules ? `the rules in \`${basename(choice.rules)}/\`${choice.builtinRules ? ' on top of the built-in catalogue' : ' alone (--no-builtin-rules)'}` : 'the built-in catalogue';
  const report = summarise(results, engine.signatures.length, described);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, `${out}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(OUT, `${out}.md`), renderMarkdown(report));
  process.stdout.write(headline(report, out));
  return 0;
}

function totals(folders: FolderResult[], pick: (f: FolderResult) => Record<string, FamilyCount>, names: string[]): Record<string, Totals> {
  const out: Record<string, Totals> = {};
  for (const name of names) {
    out[name] = { lines: 0, detected: 0, withResponse: 0 };
    for (const f of folders) {
      const c = pick(f)[name]!;
      out[name].lines += c.lines;
      out[name].detected += c.detected;
      out[name].withResponse += c.withResponse;
    }
  }
  return out;
}

function summarise(folders: FolderResult[], signatures: number, rules: string): EvalReport {
  const lines = folders.reduce((s, f) => s + f.summary.lines, 0);
  const seconds = folders.reduce((s, f) => s + f.summary.seconds, 0);
  const families: EvalReport['families'] = {};
  const signatureRows: EvalReport['signatureRows'] = {};
  for (const f of folders) {
    for (const [id, s] of Object.entries(f.signatures)) {
      const row = (signatureRows[id] ??= { family: s.family, scan: 0, response: 0, exposures: 0, ordinary: 0 });
      row.scan += s.scan;
      row.response += s.response;
      row.exposures += s.exposures;
      row.ordinary += s.ordinary;
      const fam = (families[s.family] ??= { byFolder: {}, total: 0, ordinaryRequest: 0, ordinary404: 0, exposures: 0 });
      fam.byFolder[f.folder] = (fam.byFolder[f.folder] ?? 0) + s.scan + s.response;
      fam.total += s.scan + s.response;
      fam.exposures += s.exposures;
    }
    for (const h of f.ordinaryFlagged) families[h.family]!.ordinaryRequest++;
    for (const h of f.ordinaryFlagged404) families[h.family]!.ordinary404++;
  }
  return {
    generatedAt: new Date().toISOString(),
    corpus: '../shared/corpus',
    rules,
    signatures,
    folders,
    totals: { lines, seconds, linesPerSecond: seconds > 0 ? Math.round(lines / seconds) : 0 },
    recall: totals(folders, (f) => f.recall, RECALL_FAMILIES.map((x) => x.name)),
    coverage: totals(folders, (f) => f.coverage, COVERAGE_FAMILIES.map((x) => x.name)),
    families,
    signatureRows,
    ordinary: {
      requests: folders.reduce((s, f) => s + f.ordinary, 0),
      flagged: folders.reduce((s, f) => s + f.ordinaryFlagged.length, 0),
      flagged404: folders.reduce((s, f) => s + f.ordinaryFlagged404.length, 0),
      scannerAgentLines: folders.reduce((s, f) => s + f.scannerAgentLines, 0),
    },
  };
}

function headline(r: EvalReport, out: string): string {
  const recall = Object.entries(r.recall).map(([k, v]) => `${k} ${v.detected}/${v.lines}`).join(', ');
  const coverage = Object.entries(r.coverage).map(([k, v]) => `${k} ${v.withResponse}/${v.lines}`).join(', ');
  return `eval (${r.signatures} signatures): ${r.totals.lines} lines at ${r.totals.linesPerSecond} lines/s; recall ${recall}; coverage with response semantics ${coverage}; ordinary flagged ${r.ordinary.flagged}/${r.ordinary.requests} at the request stage, ${r.ordinary.flagged404} at the 404 stage; wrote bench/results/${out}.md and ${out}.json\n`;
}

/** `access_log.2` before `access_log.10`. */
function naturally(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

process.exitCode = await main();
