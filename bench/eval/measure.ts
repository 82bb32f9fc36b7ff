import { readFileSync } from 'node:fs';
import { loadOptions } from '../../src/config/load.js';
import { stormExtension } from '../../src/detect/storm/extension.js';
import { createLogger } from '../../src/log.js';
import { buildEngineFromOptions } from '../../src/reload.js';
import { createParser } from '../../src/scan/formats/index.js';
import { runScan, type ScanSummary } from '../../src/scan/index.js';
import { startScanPipeline } from '../../src/scan/pipeline.js';
import { ScanTally } from '../../src/scan/summary.js';
import { printable } from '../../src/scan/summary.js';
import { grepFamilies, isOrdinary, ORDINARY_FOLDERS, RECALL_FAMILIES } from './grep.js';

export interface Flagged {
  file: string;
  line: number;
  signature: string;
  family: string;
  stage: string;
  /** The raw log line, non-printable bytes as \xHH, cut to 400 characters. */
  text: string;
}

export interface FolderResult {
  folder: string;
  summary: ScanSummary;
  /** Parsed requests that match no grep family and no known probe pattern. */
  ordinary: number;
  /** Request-stage detections on ordinary requests (the false-positive measure). */
  ordinaryFlagged: Flagged[];
  /** Request-stage detections in an ordinary folder on lines outside every recall family, for a person to judge. */
  requestStageFlagged: Flagged[];
  recall: Record<string, { lines: number; detected: number; families: Record<string, number>; missed: Flagged[] }>;
}

interface Hit {
  signature: string;
  family: string;
  stage: string;
}

/** Scans one folder with the real scan code (engine, pipeline, 404-storm extension), then lines it up with grep. */
export async function measureFolder(folder: string, files: string[]): Promise<FolderResult> {
  const options = loadOptions({ env: {}, flags: { logLevel: 'silent', notify: 'off' } });
  const pipeline = await startScanPipeline(options, { logger: createLogger('silent'), engine: await buildEngineFromOptions(options), extensions: [stormExtension] });
  const tally = new ScanTally();
  const hits = new Map<string, Hit[]>();
  pipeline.subscribe((event) => {
    const key = `${tally.current?.file}:${tally.currentLine}`;
    const { signature, stage } = event.verdict;
    hits.set(key, [...(hits.get(key) ?? []), { signature: signature.id, family: signature.family, stage }]);
  });
  let summary: ScanSummary;
  try {
    summary = await runScan({ files, format: 'auto', topOffenders: 5 }, { engine: pipeline.engine, onDetection: pipeline.onDetection, onNotFound: pipeline.onNotFound, subscribe: pipeline.subscribe }, tally);
  } finally {
    await pipeline.stop();
  }
  const result: FolderResult = { folder, summary, ordinary: 0, ordinaryFlagged: [], requestStageFlagged: [], recall: {} };
  for (const f of RECALL_FAMILIES) result.recall[f.name] = { lines: 0, detected: 0, families: {}, missed: [] };
  const ordinaryFolder = ORDINARY_FOLDERS.includes(folder);
  for (const file of summary.files) {
    const parser = file.format ? createParser(file.format) : null;
    const lines = readLines(file.file);
    lines.forEach((text, i) => {
      const found = (hits.get(`${file.file}:${i + 1}`) ?? []).filter((h) => h.signature !== 'http-404-storm');
      const flagged = (h: Hit): Flagged => ({ file: file.file, line: i + 1, ...h, text: printable(text).slice(0, 400) });
      for (const name of grepFamilies(text)) {
        const r = result.recall[name]!;
        r.lines++;
        if (found.length > 0) {
          r.detected++;
          for (const h of found) r.families[h.family] = (r.families[h.family] ?? 0) + 1;
        } else {
          r.missed.push({ file: file.file, line: i + 1, signature: '-', family: '-', stage: '-', text: printable(text).slice(0, 400) });
        }
      }
      if (!ordinaryFolder) return;
      const requestHits = found.filter((h) => h.stage === 'request');
      if (grepFamilies(text).length === 0) result.requestStageFlagged.push(...requestHits.map(flagged));
      const parsed = parser?.parse(text);
      if (!parsed || parsed === 'skip' || !isOrdinary(text)) return;
      result.ordinary++;
      result.ordinaryFlagged.push(...requestHits.map(flagged));
    });
  }
  return result;
}

/** Lines exactly as the scanner numbers them (latin1, `\n`-separated, trailing `\r` dropped). */
function readLines(file: string): string[] {
  const lines = readFileSync(file).toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}
