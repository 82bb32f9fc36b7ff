import { FieldMismatchError } from '../client.js';
import type { LineParser, LogRecord } from '../record.js';
import { headerValue, normaliseAddress, parseIsoDate, parseStatus } from './common.js';

/**
 * W3C extended log format (IIS): space-separated columns named by the latest `#Fields:`
 * directive, `-` for empty, `+` for spaces inside User-Agent and Referer. Times are UTC.
 * Data lines before any `#Fields:` are unparsable (the columns are unknown).
 *
 * `clientHeader` (lower case): keep that request header's column as the record's `forwarded`:
 * `cs(X-Forwarded-For)`, or the bare `X-Forwarded-For` an IIS 8.5+ custom field is named by;
 * a `#Fields:` line with neither throws FieldMismatchError.
 */
export function createW3cParser(clientHeader?: string): LineParser {
  let columns: Map<string, number> | null = null;
  let clientColumn: string | undefined;
  return {
    format: 'w3c',
    parse(line: string): LogRecord | 'skip' | null {
      if (line.trim() === '') return 'skip';
      if (line.startsWith('#')) {
        const fields = /^#Fields:\s*(.*)$/i.exec(line);
        if (fields) {
          columns = new Map(fields[1]!.trim().split(/\s+/).map((name, i) => [name.toLowerCase(), i]));
          if (clientHeader !== undefined) clientColumn = columnOf(columns, clientHeader);
        }
        return 'skip';
      }
      if (!columns) return null;
      const cells = line.trim().split(/\s+/);
      if (cells.length !== columns.size) return null;
      const record = toRecord(columns, cells);
      const forwarded = clientColumn === undefined ? undefined : cells[columns.get(clientColumn)!];
      // IIS writes a space inside a value as `+` (`203.0.113.7,+10.0.0.2`); no address holds one.
      if (record && forwarded !== undefined) record.forwarded = forwarded.replace(/\+/g, ' ');
      return record;
    },
  };
}

function columnOf(columns: Map<string, number>, header: string): string {
  for (const name of [`cs(${header})`, header]) if (columns.has(name)) return name;
  throw new FieldMismatchError(`the #Fields: line has no cs(${header}) column: log that request header (IIS: a custom field of source type Request Header) or drop --client-ip-field`);
}

function toRecord(columns: Map<string, number>, cells: string[]): LogRecord | null {
  const get = (name: string): string | undefined => {
    const i = columns.get(name);
    return i === undefined ? undefined : cells[i];
  };
  const ip = get('c-ip');
  const method = get('cs-method');
  const stem = get('cs-uri-stem');
  if (!ip || ip === '-' || !method || !stem) return null;
  const query = get('cs-uri-query');
  const target = query && query !== '-' ? `${stem}?${query}` : stem;
  const date = get('date');
  const time = get('time');
  const record: LogRecord = {
    ip: normaliseAddress(ip),
    at: date && time ? parseIsoDate(date, time) : null,
    method: method.toUpperCase(),
    target,
    status: parseStatus(get('sc-status')),
  };
  const userAgent = headerValue(get('cs(user-agent)')?.replace(/\+/g, ' '));
  const referer = headerValue(get('cs(referer)'));
  if (userAgent !== undefined) record.userAgent = userAgent;
  if (referer !== undefined) record.referer = referer;
  return record;
}
