import { readFileSync } from 'node:fs';
import { loadOptions } from '../../src/config/load.js';
import { responseVerdict } from '../../src/detect/response.js';
import { stormExtension } from '../../src/runtime/extensions/storm.js';
import type { Engine } from '../../src/detect/types.js';
import { createLogger } from '../../src/log.js';
import { buildEngine } from '../../src/rules/index.js';
import { createParser } from '../../src/scan/formats/index.js';
import { runScan, type ScanSummary } from '../../src/scan/index.js';
import { startScan } from '../../src/runtime/scan.js';
import type { LogRecord } from '../../src/scan/record.js';
import { ScanTally } from '../../src/scan/summary.js';
import { sanitiseLine } from '../../src/detect/sanitise.js';
import { COVERAGE_FAMILIES, coverageFamilies, grepFamilies, isOrdinary, isScannerAgentOnly, ORDINARY_FOLDERS, RECALL_FAMILIES } from './grep.js';

/** Which rules the evaluation runs: `--rules DIR` and `--no-builtin-rules`, as for `wormwatch scan`. */
export interface RuleChoice {
  rules?: string | undefined;
  builtinRules: boolean;
}

export interface Flagged {
  file: string;
  line: number;
  signature: string;
  family: string;
  stage: string;
  /** The raw log line, non-printable bytes as \xHH, cut to 400 characters. */
  text: string;
}

/** One detection on a line: by the scan itself, or by the response semantics on a non-404 answer. */
export interface Hit {
  signature: string;
  family: string;
  stage: string;
  /** `scan`: what `wormwatch scan` reports today; `response`: a 404-stage signature on another status, judged by `responseVerdict`. */
  via: 'scan' | 'response';
  verdict: 'probe' | 'exposure';
}

export interface FamilyCount {
  lines: number;
  /** Lines the scan detected (any signature, either stage; 404 storms left out). */
  detected: number;
  /** Lines detected once response semantics apply (hunts answered 401/403/405/2xx...). */
  withResponse: number;
  families: Record<string, number>;
  missed: Flagged[];
}

/** Per signature, over one folder. */
export interface SignatureCount {
  family: string;
  scan: number;
  response: number;
  exposures: number;
  ordinary: number;
}

export interface FolderResult {
  folder: string;
  summary: ScanSummary;
  /** Parsed requests that match no grep family, no known probe pattern and no scanner User-Agent. */
  ordinary: number;
  /** Parsed requests left out of `ordinary` only because their User-Agent names a scanner. */
  scannerAgentLines: number;
  /** Request-stage detections on ordinary requests (the false-positive measure). */
  ordinaryFlagged: Flagged[];
  /** 404-stage detections (scan or response semantics) on ordinary requests: hunts a person should judge. */
  ordinaryFlagged404: Flagged[];
  /** Request-stage detections in an ordinary folder on lines outside every recall family, for a person to judge. */
  requestStageFlagged: Flagged[];
  recall: Record<string, FamilyCount>;
  coverage: Record<string, FamilyCount>;
  signatures: Record<string, SignatureCount>;
  exposures: Flagged[];
}

const emptyCount = (): FamilyCount => ({ lines: 0, detected: 0, withResponse: 0, families: {}, missed: [] });

/** Scans one folder with the real scan code (engine, pipeline, 404-storm extension), then lines it up with grep. */
export async function measureFolder(folder: string, files: string[], choice: RuleChoice): Promise<FolderResult> {
  const flags: Record<string, unknown> = { logLevel: 'silent', notify: 'off', builtinRules: choice.builtinRules };
  if (choice.rules) flags.rules = choice.rules;
  const options = loadOptions({ env: {}, flags });
  const pipeline = await startScan(options, { logger: createLogger('silent'), engine: buildEngine(options), extensions: [stormExtension] });
  const tally = new ScanTally();
  const hits = new Map<string, Hit[]>();
  pipeline.subscribe((event) => {
    const key = `${tally.current?.file}:${tally.currentLine}`;
    const { signature, stage } = event.verdict;
    hits.set(key, [...(hits.get(key) ?? []), { signature: signature.id, family: signature.family, stage, via: 'scan', verdict: 'probe' }]);
  });
  let summary: ScanSummary;
  try {
    summary = await runScan({ files, format: 'auto', topOffenders: 5 }, { engine: pipeline.engine, onDetection: pipeline.onDetection, onNotFound: pipeline.onNotFound, subscribe: pipeline.subscribe }, tally);
  } finally {
    await pipeline.stop();
  }
  const result: FolderResult = {
    folder, summary, ordinary: 0, scannerAgentLines: 0, ordinaryFlagged: [], ordinaryFlagged404: [], requestStageFlagged: [], recall: {}, coverage: {}, signatures: {}, exposures: [],
  };
  for (const f of RECALL_FAMILIES) result.recall[f.name] = emptyCount();
  for (const f of COVERAGE_FAMILIES) result.coverage[f.name] = emptyCount();
  for (const file of summary.files) {
    const parser = file.format ? createParser(file.format) : null;
    readLines(file.file).forEach((text, i) => {
      const parsed = parser?.parse(text);
      const record = parsed && parsed !== 'skip' ? parsed : null;
      const scanHits = (hits.get(`${file.file}:${i + 1}`) ?? []).filter((h) => h.signature !== 'http-404-storm');
      const found = scanHits.length > 0 || !record ? scanHits : responseHits(pipeline.engine(), record);
      judgeLine(result, folder, { file: file.file, line: i + 1, text, record, found });
    });
  }
  return result;
}

/**
 * What the response semantics add on a line the scan left alone: a 404-stage signature matching a
 * request answered with another status, judged by the signature's `response` (no body in a log).
 */
function responseHits(engine: Engine, record: LogRecord): Hit[] {
  if (record.status === null || record.status === 404) return [];
  const headers: Record<string, string> = {};
  if (record.userAgent !== undefined) headers['user-agent'] = record.userAgent;
  if (record.referer !== undefined) headers['referer'] = record.referer;
  const v = engine.match(engine.normalise({ method: record.method, target: record.target, headers }), '404');
  if (!v) return [];
  const verdict = responseVerdict(v.signature, record.status);
  return verdict ? [{ signature: v.signature.id, family: v.signature.family, stage: '404', via: 'response', verdict }] : [];
}

interface Line {
  file: string;
  line: number;
  text: string;
  record: LogRecord | null;
  found: Hit[];
}

function judgeLine(result: FolderResult, folder: string, l: Line): void {
  const flagged = (h: Hit): Flagged => ({ file: l.file, line: l.line, signature: h.signature, family: h.family, stage: h.via === 'response' ? `404 (answered ${l.record?.status}: ${h.verdict})` : h.stage, text: sanitiseLine(l.text, 400) });
  const miss = (): Flagged => ({ file: l.file, line: l.line, signature: '-', family: '-', stage: '-', text: sanitiseLine(l.text, 400) });
  const scanFound = l.found.some((h) => h.via === 'scan');
  const count = (c: FamilyCount): void => {
    c.lines++;
    if (scanFound) c.detected++;
    if (l.found.length > 0) {
      c.withResponse++;
      const first = l.found[0]!;
      c.families[first.family] = (c.families[first.family] ?? 0) + 1;
    } else c.missed.push(miss());
  };
  for (const name of grepFamilies(l.text)) count(result.recall[name]!);
  for (const name of coverageFamilies(l.text)) count(result.coverage[name]!);
  const ordinary = ORDINARY_FOLDERS.includes(folder) && l.record !== null && isOrdinary(l.text);
  for (const h of l.found) {
    const s = (result.signatures[h.signature] ??= { family: h.family, scan: 0, response: 0, exposures: 0, ordinary: 0 });
    if (h.via === 'scan') s.scan++;
    else s.response++;
    if (h.verdict === 'exposure') {
      s.exposures++;
      result.exposures.push(flagged(h));
    }
    if (ordinary) s.ordinary++;
  }
  if (!ORDINARY_FOLDERS.includes(folder)) return;
  const requestHits = l.found.filter((h) => h.stage === 'request');
  if (grepFamilies(l.text).length === 0) result.requestStageFlagged.push(...requestHits.map(flagged));
  if (l.record && isScannerAgentOnly(l.text)) result.scannerAgentLines++;
  if (!ordinary) return;
  result.ordinary++;
  result.ordinaryFlagged.push(...requestHits.map(flagged));
  result.ordinaryFlagged404.push(...l.found.filter((h) => h.stage !== 'request').map(flagged));
}

/** Lines exactly as the scanner numbers them (latin1, `\n`-separated, trailing `\r` dropped). */
function readLines(file: string): string[] {
  const lines = readFileSync(file).toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}
