import { stat } from 'node:fs/promises';
import type { DetectionListener } from '../detect/detection.js';
import { FileScan, type ScanDeps } from './file-scan.js';
import { followFile } from './follow.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, maybeGunzip, openLog } from './lines.js';
import { RecordClassifier } from './classify.js';
import type { ClientField } from './client.js';
import { lineInput, type LineInput } from './input.js';
import type { FormatName } from './record.js';
import { ScanTally, type FileSummary, type ScanSummary } from './summary.js';
import type { NetworkLookup } from './networks.js';

export type { ScanSummary, FileSummary } from './summary.js';
export type { ScanDeps } from './file-scan.js';
export { FORMAT_NAMES, type FormatName } from './record.js';
export { clientFieldOf, type ClientField } from './client.js';
export { lineInput } from './input.js';

export interface ScanRunOptions {
  /** Paths; `-` is stdin. */
  files: string[];
  format: FormatName;
  /** An nginx `log_format`: the format of every input (then `format` must be `auto` or `nginx`). */
  logFormat?: string;
  /** Where lines keep the client address behind a CDN or load balancer; believed from `trustProxy` peers only. */
  clientField?: ClientField;
  trustProxy?: readonly string[];
  /** Keep reading files as they grow, across rotation, until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** How often followed files are polled. Default FOLLOW_INTERVAL_MS (250 ms). */
  followIntervalMs?: number;
  maxLineBytes?: number;
  /** Told now and then how far the current input is (for a progress line). */
  onProgress?: (progress: ScanProgress) => void;
  /** Entries in `topOffenders`. Default 10. */
  topOffenders?: number;
  /** The geoip lookup (`--geoip`): networks and countries in the summary. */
  networkOf?: NetworkLookup;
}

export interface ScanProgress {
  file: string;
  bytesRead: number;
  /** Size on disk (compressed size for .gz), or null for stdin. */
  totalBytes: number | null;
  lines: number;
  detections: number;
}

const PROGRESS_EVERY_LINES = 50_000;

/**
 * Reads every input once (or follows them), feeding each logged request to `deps`. Inputs are read
 * one after another; with `follow`, side by side. A file that cannot be read is reported in its
 * summary entry and the others are still read. Throws ConfigError (before reading anything) on a
 * combination of format and client field that cannot work.
 */
export async function runScan(options: ScanRunOptions, deps: ScanDeps & ScanSubscription, tally = new ScanTally()): Promise<ScanSummary> {
  const input = lineInput(options);
  const classifier = new RecordClassifier();
  let fileDeps: ScanDeps = deps;
  if (deps.subscribe) {
    // The pipeline reports every detection, storms raised by its extensions included.
    deps.subscribe((event) => tally.detection(event));
  } else {
    fileDeps = { ...deps, onDetection: (event) => { tally.detection(event); deps.onDetection(event); } };
  }
  if (options.follow) {
    await Promise.all(options.files.map((file) => (file === '-' ? readOnce(file, options, input, classifier, fileDeps, tally) : follow(file, options, input, classifier, fileDeps, tally))));
  } else {
    for (const file of options.files) await readOnce(file, options, input, classifier, fileDeps, tally);
  }
  return tally.summary(options.topOffenders, options.networkOf);
}

export interface ScanSubscription {
  /**
   * When the detections reach a pipeline that also raises its own (the 404-storm extension),
   * give its subscribe here so those are counted too; else the ones passed to `onDetection` are.
   */
  subscribe?: (listener: DetectionListener) => void;
}

async function readOnce(file: string, options: ScanRunOptions, input: LineInput, classifier: RecordClassifier, deps: ScanDeps, tally: ScanTally): Promise<FileSummary> {
  const scan = new FileScan(tally.startFile(file), tally, deps, input, classifier);
  const splitter = new LineSplitter(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const totalBytes = file === '-' ? null : await stat(file).then((s) => s.size, () => null);
  const counted = { bytes: 0 };
  try {
    for await (const chunk of maybeGunzip(countBytes(openLog(file), counted))) {
      for (const line of splitter.push(chunk)) {
        scan.feed(line);
        if (options.onProgress && scan.summary.lines % PROGRESS_EVERY_LINES === 0) {
          options.onProgress({ file, bytesRead: counted.bytes, totalBytes, lines: scan.summary.lines, detections: scan.summary.detections });
        }
      }
      if (options.signal?.aborted || scan.stopped) break;
    }
    for (const line of splitter.end()) scan.feed(line);
  } catch (err) {
    scan.summary.error = describe(err);
  }
  scan.flush();
  return scan.summary;
}

async function follow(file: string, options: ScanRunOptions, input: LineInput, classifier: RecordClassifier, deps: ScanDeps, tally: ScanTally): Promise<FileSummary> {
  const scan = new FileScan(tally.startFile(file), tally, deps, input, classifier);
  const splitter = new LineSplitter(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const signal = options.signal ?? new AbortController().signal;
  try {
    await followFile(file, {
      onData: (chunk) => splitter.push(chunk).forEach((line) => scan.feed(line)),
      onTruncate: () => splitter.reset(),
      onRotate: () => splitter.end().forEach((line) => scan.feed(line)),
      onIdle: () => scan.flush(),
    }, signal, options.followIntervalMs);
  } catch (err) {
    scan.summary.error = describe(err);
  }
  splitter.end().forEach((line) => scan.feed(line));
  scan.flush();
  return scan.summary;
}

async function* countBytes(source: AsyncIterable<Buffer>, counted: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    counted.bytes += chunk.length;
    yield chunk;
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a directory';
  if (e?.code === 'Z_DATA_ERROR' || e?.code === 'Z_BUF_ERROR') return `corrupt gzip data (${e.message})`;
  return e?.message ?? String(err);
}
