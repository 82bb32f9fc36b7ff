import { sanitiseLine } from '../detect/sanitise.js';
import type { FormatName } from './record.js';
import type { DetectionEvent } from '../detect/detection.js';
import { ExposureTally, type ExposureReport } from './exposures.js';
import { topNetworks, type CountryRow, type NetworkLookup, type NetworkRow } from './networks.js';

/** Unparsable lines shown in the summary (all are counted). */
export const UNPARSABLE_SAMPLES = 5;
/** Addresses counted for the top-offender list; detections beyond are still counted by family. */
export const MAX_COUNTED_ADDRESSES = 100_000;

export interface FileSummary {
  file: string;
  format: Exclude<FormatName, 'auto'> | null;
  lines: number;
  records: number;
  /** Directive and header lines (W3C `#…`, the CSV header) and blank lines. */
  skipped: number;
  unparsable: number;
  detections: number;
  /** Set when the file could not be read (missing, corrupt gzip); counts cover what was read. */
  error?: string;
}

export interface ScanSummary {
  /** First: secrets the logs show served to hunts, what the site owner must act on. */
  exposures: ExposureReport;
  files: FileSummary[];
  lines: number;
  records: number;
  skipped: number;
  unparsable: number;
  unparsableSamples: { file: string; line: number; text: string }[];
  detections: {
    total: number;
    byFamily: Record<string, number>;
    byStage: Record<string, number>;
    bySignature: Record<string, { family: string; title: string; count: number }>;
  };
  /** With `--geoip`, each offender's network and country (null when the databases do not know it). */
  topOffenders: { ip: string; detections: number; families: string[]; asn?: number | null; asOrg?: string | null; country?: string | null }[];
  /** With `--geoip`: the autonomous systems and countries holding the most offending addresses. */
  topNetworks: NetworkRow[];
  topCountries: CountryRow[];
  seconds: number;
  linesPerSecond: number;
}

/** Accumulates what a scan saw, with bounded memory. */
export class ScanTally {
  readonly files: FileSummary[] = [];
  private readonly samples: ScanSummary['unparsableSamples'] = [];
  private readonly byFamily = new Map<string, number>();
  private readonly byStage = new Map<string, number>();
  private readonly bySignature = new Map<string, { family: string; title: string; count: number }>();
  private readonly byAddress = new Map<string, { detections: number; families: Set<string> }>();
  private readonly exposures = new ExposureTally();
  private readonly started = process.hrtime.bigint();

  startFile(file: string): FileSummary {
    const summary: FileSummary = { file, format: null, lines: 0, records: 0, skipped: 0, unparsable: 0, detections: 0 };
    this.files.push(summary);
    return summary;
  }

  unparsable(file: FileSummary, lineNumber: number, text: string): void {
    file.unparsable++;
    if (this.samples.length < UNPARSABLE_SAMPLES) {
      this.samples.push({ file: file.file, line: lineNumber, text: sanitiseLine(text, 200) });
    }
  }

  /** The input being read; detections found by extensions (storms) are counted against it. */
  current: FileSummary | null = null;
  /** Line number (1-based) of the record being judged in `current`. */
  currentLine = 0;

  detection(event: DetectionEvent, file = this.current): void {
    if (file) file.detections++;
    const sig = event.verdict.signature;
    bump(this.byFamily, sig.family);
    bump(this.byStage, event.verdict.stage);
    const entry = this.bySignature.get(sig.id) ?? { family: sig.family, title: sig.title, count: 0 };
    entry.count++;
    this.bySignature.set(sig.id, entry);
    this.exposures.record(event);
    let offender = this.byAddress.get(event.ip);
    if (!offender && this.byAddress.size < MAX_COUNTED_ADDRESSES) {
      offender = { detections: 0, families: new Set() };
      this.byAddress.set(event.ip, offender);
    }
    if (offender) {
      offender.detections++;
      offender.families.add(sig.family);
    }
  }

  /** `lookup`: the geoip lookup (`--geoip`), for the networks and countries; without it they are empty. */
  summary(topOffenders = 10, lookup?: NetworkLookup): ScanSummary {
    const grouped = lookup ? topNetworks(this.byAddress, lookup) : undefined;
    const seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    const sum = (key: 'lines' | 'records' | 'skipped' | 'unparsable') => this.files.reduce((n, f) => n + f[key], 0);
    const lines = sum('lines');
    return {
      exposures: this.exposures.report(),
      files: this.files,
      lines,
      records: sum('records'),
      skipped: sum('skipped'),
      unparsable: sum('unparsable'),
      unparsableSamples: this.samples,
      detections: {
        total: [...this.byFamily.values()].reduce((a, b) => a + b, 0),
        byFamily: sortedRecord(this.byFamily),
        byStage: sortedRecord(this.byStage),
        bySignature: Object.fromEntries([...this.bySignature].sort((a, b) => b[1].count - a[1].count)),
      },
      topOffenders: [...this.byAddress]
        .sort((a, b) => b[1].detections - a[1].detections)
        .slice(0, topOffenders)
        .map(([ip, o]) => {
          const info = grouped?.networkOf.get(ip);
          return { ip, detections: o.detections, families: [...o.families].sort(), ...(info ? { asn: info.asn, asOrg: info.asOrg, country: info.country } : {}) };
        }),
      topNetworks: grouped?.networks ?? [],
      topCountries: grouped?.countries ?? [],
      seconds,
      linesPerSecond: seconds > 0 ? Math.round(lines / seconds) : 0,
    };
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sortedRecord(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map].sort((a, b) => b[1] - a[1]));
}
