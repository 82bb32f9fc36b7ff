import { MAX_EXPOSED_PATHS, type ExposedPath, type ExposureReport } from './exposures.js';
import type { ScanProgress } from './index.js';
import type { ScanSummary } from './summary.js';
import { networkLabel } from './networks.js';

/** The human summary `wormwatch scan` prints; exposures first, since they are what to act on. */
export function renderSummary(s: ScanSummary): string {
  const out: string[] = exposureLines(s.exposures);
  out.push(`Read ${n(s.lines)} lines from ${s.files.length} input${s.files.length === 1 ? '' : 's'} in ${s.seconds.toFixed(2)} s (${n(s.linesPerSecond)} lines/s): ${n(s.records)} requests, ${n(s.skipped)} header/blank, ${n(s.unparsable)} unparsable.`);
  for (const f of s.files) {
    const error = f.error ? `  ERROR: ${f.error}` : '';
    out.push(`  ${f.file}  [${f.format ?? 'unknown'}]  ${n(f.lines)} lines, ${n(f.unparsable)} unparsable, ${n(f.detections)} detections${error}`);
  }
  if (s.unparsableSamples.length > 0) {
    out.push('', `Unparsable lines (first ${s.unparsableSamples.length} of ${n(s.unparsable)}):`);
    for (const u of s.unparsableSamples) out.push(`  ${u.file}:${u.line}: ${u.text}`);
  }
  if (s.exposures.hits === 0) out.push('', 'Exposures: none (no hunt for a secret was answered 2xx).');
  out.push('', `Detections: ${n(s.detections.total)}`);
  for (const [family, count] of Object.entries(s.detections.byFamily)) out.push(`  ${family.padEnd(14)} ${n(count).padStart(9)}`);
  if (s.detections.total > 0) {
    out.push('', 'By signature:');
    for (const [id, e] of Object.entries(s.detections.bySignature)) out.push(`  ${id.padEnd(32)} ${n(e.count).padStart(9)}  ${e.title}`);
    out.push('', 'Top offenders:');
    for (const o of s.topOffenders) {
      const network = networkLabel(o);
      out.push(`  ${o.ip.padEnd(40)} ${n(o.detections).padStart(7)}  ${o.families.join(', ')}${network ? `  (${network})` : ''}`);
    }
    out.push(...networkLines(s));
  }
  return `${out.join('\n')}\n`;
}

/** The top networks and countries (with `--geoip`), by offending addresses. */
function networkLines(s: ScanSummary): string[] {
  const out: string[] = [];
  const count = (value: number): string => `${n(value)} address${value === 1 ? '' : 'es'}`;
  if (s.topNetworks.length > 0) {
    out.push('', 'Top networks (offending addresses, detections):');
    for (const r of s.topNetworks) out.push(`  ${networkLabel({ asn: r.asn, asOrg: r.asOrg }).padEnd(48)} ${count(r.addresses).padStart(15)} ${n(r.detections).padStart(9)}`);
  }
  if (s.topCountries.length > 0) {
    out.push('', 'Top countries (offending addresses, detections):');
    for (const r of s.topCountries) out.push(`  ${r.country.padEnd(4)} ${count(r.addresses).padStart(15)} ${n(r.detections).padStart(9)}`);
  }
  return out;
}

/** `EXPOSED: …` and a line per path, then a blank line; nothing when there are none. */
function exposureLines(e: ExposureReport): string[] {
  if (e.hits === 0) return [];
  const count = (value: number, one: string, many: string) => `${n(value)} ${value === 1 ? one : many}`;
  const out = [`EXPOSED: ${count(e.hits, 'request', 'requests')} hunting for a secret got it (2xx); treat what was served as leaked:`];
  const width = Math.min(40, Math.max(...e.paths.map((p) => p.path.length)));
  for (const p of e.paths) {
    const addresses = `${p.addressesCapped ? 'at least ' : ''}${count(p.addresses, 'address', 'addresses')}`;
    out.push(`  ${p.path.padEnd(width)}  served ${p.statuses.join('/')} to ${addresses} (${count(p.hits, 'request', 'requests')}) ${period(p)}  [${p.signature}]`);
  }
  if (e.unlistedHits > 0) out.push(`  and ${count(e.unlistedHits, 'request', 'requests')} on paths past the first ${MAX_EXPOSED_PATHS} (not listed)`);
  out.push('  (A log keeps no bodies: a site answering 2xx to every path shows its catch-all page here.)', '');
  return out;
}

function period(p: ExposedPath): string {
  if (p.firstSeen === null || p.lastSeen === null) return 'at no logged time';
  return p.firstSeen === p.lastSeen ? `at ${p.firstSeen}` : `from ${p.firstSeen} to ${p.lastSeen}`;
}

/** Inputs smaller than this scan in a few seconds: a progress line would only flicker. */
export const PROGRESS_MIN_BYTES = 50 * 1024 * 1024;

/** Whether an input is worth a progress line: stdin (its size unknown) or a file over PROGRESS_MIN_BYTES. */
export function showsProgress(p: Pick<ScanProgress, 'totalBytes'>): boolean {
  return p.totalBytes === null || p.totalBytes > PROGRESS_MIN_BYTES;
}

/** One status line, rewritten in place on a terminal. */
export function renderProgress(p: ScanProgress): string {
  const pct = p.totalBytes ? ` ${Math.min(100, Math.floor((p.bytesRead / p.totalBytes) * 100))}%` : '';
  return `\r\x1b[2Kscanning ${p.file}${pct}: ${n(p.lines)} lines, ${n(p.detections)} detections`;
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}
