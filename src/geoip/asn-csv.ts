import { validAsn } from './records.js';

/** Longest line accepted, in bytes (the packaged files' longest is under 250). */
export const MAX_ASN_LINE = 1024;

/** A line of an ASN CSV file that is not `start,end,asn,organisation`. */
export class AsnCsvError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
    /** Which of the two files, once known. */
    readonly family: 4 | 6 | null = null,
  ) {
    super(`${family === null ? '' : `IPv${family} file, `}line ${line}: ${problem}`);
  }
}

const COMMA = 0x2c;
const QUOTE = 0x22;
export const NEWLINE = 0x0a;
const CR = 0x0d;

export interface CsvRow {
  /** Numbers when they fit in 15 digits (all IPv4 rows: parsing is 3x faster), else bigints. */
  readonly start: number | bigint;
  readonly end: number | bigint;
  /** Null for a number that is no valid AS (0, or past 32 bits): the row is skipped. */
  readonly asn: number | null;
  /** The organisation, unquoted, not yet sanitised. */
  readonly org: string;
}

/** A decimal of up to 39 digits (2^128 has 39): a number up to 15 digits, a bigint beyond. */
function unsignedDecimal(buf: Buffer, from: number, to: number, lineNo: number): number | bigint {
  if (to <= from || to - from > 39) throw new AsnCsvError(lineNo, 'expected a decimal address or number');
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) throw new AsnCsvError(lineNo, 'expected a decimal address or number');
    n = n * 10 + (c - 0x30);
  }
  return to - from <= 15 ? n : BigInt(buf.toString('latin1', from, to));
}

/** The last field: plain, or quoted with `""` for a quote (RFC 4180), up to the line end. */
function lastField(buf: Buffer, from: number, to: number, lineNo: number): string {
  if (buf[from] !== QUOTE) return buf.toString('utf8', from, to);
  if (to - from < 2 || buf[to - 1] !== QUOTE) throw new AsnCsvError(lineNo, 'unterminated quoted field');
  return buf.toString('utf8', from + 1, to - 1).replaceAll('""', '"');
}

/** Splits one line (without its line break) into its four fields. */
export function parseAsnCsvLine(buf: Buffer, from: number, to: number, lineNo: number): CsvRow {
  const c1 = buf.indexOf(COMMA, from);
  const c2 = c1 < 0 ? -1 : buf.indexOf(COMMA, c1 + 1);
  const c3 = c2 < 0 ? -1 : buf.indexOf(COMMA, c2 + 1);
  if (c3 < 0 || c3 >= to) throw new AsnCsvError(lineNo, 'expected 4 comma-separated fields');
  const asn = unsignedDecimal(buf, c2 + 1, c3, lineNo);
  return {
    start: unsignedDecimal(buf, from, c1, lineNo),
    end: unsignedDecimal(buf, c1 + 1, c2, lineNo),
    asn: typeof asn === 'number' ? validAsn(asn) : null,
    org: lastField(buf, c3 + 1, to, lineNo),
  };
}

/**
 * Calls `onRow` for each complete line of buf[0, length) and returns how many bytes it used: the
 * rest is the start of a line that the next chunk completes (all of it when `final`).
 * `lineNo` is the number of lines before this chunk; the caller adds the returned `lines`.
 */
export function forEachCsvLine(
  buf: Buffer,
  length: number,
  final: boolean,
  lineNo: number,
  onRow: (row: CsvRow) => void,
): { used: number; lines: number } {
  let from = 0;
  let lines = 0;
  while (from < length) {
    let next = buf.indexOf(NEWLINE, from);
    if (next < 0 || next >= length) {
      if (!final) break;
      next = length;
    }
    lines++;
    let to = next;
    if (to > from && buf[to - 1] === CR) to--;
    if (to - from > MAX_ASN_LINE) throw new AsnCsvError(lineNo + lines, `longer than ${MAX_ASN_LINE} bytes`);
    if (to > from) onRow(parseAsnCsvLine(buf, from, to, lineNo + lines));
    from = next + 1;
  }
  if (!final && length - from > MAX_ASN_LINE) throw new AsnCsvError(lineNo + lines + 1, `longer than ${MAX_ASN_LINE} bytes`);
  return { used: Math.min(from, length), lines };
}
