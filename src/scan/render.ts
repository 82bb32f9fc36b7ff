import type { ScanProgress } from './index.js';
import type { ScanSummary } from './summary.js';

/** The human summary `wormwatch scan` prints. */
export function renderSummary(s: ScanSummary): string {
  const out: string[] = [];
  out.push(`Read ${n(s.lines)} lines from ${s.files.length} input${s.files.length === 1 ? '' : 's'} in ${s.seconds.toFixed(2)} s (${n(s.linesPerSecond)} lines/s): ${n(s.records)} requests, ${n(s.skipped)} header/blank, ${n(s.unparsable)} unparsable.`);
  for (const f of s.files) {
    const error = f.error ? `  ERROR: ${f.error}` : '';
    out.push(`  ${f.file}  [${f.format ?? 'unknown'}]  ${n(f.lines)} lines, ${n(f.unparsable)} unparsable, ${n(f.detections)} detections${error}`);
  }
  if (s.unparsableSamples.length > 0) {
    out.push('', `Unparsable lines (first ${s.unparsableSamples.length} of ${n(s.unparsable)}):`);
    for (const u of s.unparsableSamples) out.push(`  ${u.file}:${u.line}: ${u.text}`);
  }
  out.push('', `Detections: ${n(s.detections.total)}`);
  for (const [family, count] of Object.entries(s.detections.byFamily)) out.push(`  ${family.padEnd(14)} ${n(count).padStart(9)}`);
  if (s.detections.total > 0) {
    out.push('', 'By signature:');
    for (const [id, e] of Object.entries(s.detections.bySignature)) out.push(`  ${id.padEnd(32)} ${n(e.count).padStart(9)}  ${e.title}`);
    out.push('', 'Top offenders:');
    for (const o of s.topOffenders) out.push(`  ${o.ip.padEnd(40)} ${n(o.detections).padStart(7)}  ${o.families.join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

/** One status line, rewritten in place on a terminal. */
export function renderProgress(p: ScanProgress): string {
  const pct = p.totalBytes ? ` ${Math.min(100, Math.floor((p.bytesRead / p.totalBytes) * 100))}%` : '';
  return `\r\x1b[2Kscanning ${p.file}${pct}: ${n(p.lines)} lines, ${n(p.detections)} detections`;
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}
