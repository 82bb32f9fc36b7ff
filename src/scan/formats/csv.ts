import { FieldMismatchError } from '../client.js';
import type { LineParser, LogRecord } from '../record.js';
import { splitLoggedRequest } from '../record.js';
import { headerValue, normaliseAddress, parseIsoDate, parseStatus } from './common.js';

/**
 * The CSV export some hosting panels write: `"Host","Log Name","Date Time","Time Zone","Method",
 * "URL","Response Code","Bytes Sent","Referer","User Agent"`. Columns are found by the header
 * names when a header line is present, else taken in that order. Quotes inside a field are
 * escaped with a backslash (`\"`) or doubled (`""`).
 */
export const CSV_COLUMNS = ['host', 'log name', 'date time', 'time zone', 'method', 'url', 'response code', 'bytes sent', 'referer', 'user agent'];

/** `clientColumn` (lower case): keep that column as the record's `forwarded`; columns without it throw FieldMismatchError. */
export function createCsvParser(clientColumn?: string): LineParser {
  let columns = new Map(CSV_COLUMNS.map((name, i) => [name, i]));
  let checked = false;
  return {
    format: 'csv',
    parse(line: string): LogRecord | 'skip' | null {
      if (line.trim() === '') return 'skip';
      const cells = splitCsv(line);
      if (!cells) return null;
      if (cells[0]?.toLowerCase() === 'host') {
        columns = new Map(cells.map((name, i) => [name.trim().toLowerCase(), i]));
        checked = false;
        return 'skip';
      }
      if (clientColumn !== undefined && !checked) {
        if (!columns.has(clientColumn)) throw new FieldMismatchError(`the CSV has no "${clientColumn}" column (its columns: ${[...columns.keys()].join(', ')}): name one of them or drop --client-ip-field`);
        checked = true;
      }
      const record = toRecord(columns, cells);
      if (record && clientColumn !== undefined) record.forwarded = cells[columns.get(clientColumn)!];
      return record;
    },
  };
}

function toRecord(columns: Map<string, number>, cells: string[]): LogRecord | null {
  if (cells.length !== columns.size) return null;
  const get = (name: string): string | undefined => {
    const i = columns.get(name);
    return i === undefined ? undefined : cells[i];
  };
  const host = get('host');
  const url = get('url');
  if (!host || url === undefined) return null;
  const [date = '', time = ''] = (get('date time') ?? '').split(' ');
  // The Method column may be empty for non-HTTP garbage; then the URL column holds what came.
  const logged = get('method') ? { method: get('method')!.toUpperCase(), target: url } : splitLoggedRequest(url);
  const record: LogRecord = {
    ip: normaliseAddress(host),
    at: parseIsoDate(date, time, get('time zone') ?? ''),
    method: logged.method,
    target: logged.target,
    status: parseStatus(get('response code')),
  };
  const referer = headerValue(get('referer'));
  const userAgent = headerValue(get('user agent'));
  if (referer !== undefined) record.referer = referer;
  if (userAgent !== undefined) record.userAgent = userAgent;
  return record;
}

/** One CSV line into cells, or null when a quote is left open. Unquoted cells are taken as is. */
export function splitCsv(line: string): string[] | null {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        const c = line[i]!;
        if (c === '\\' && i + 1 < line.length) {
          cell += line[i + 1];
          i += 2;
        } else if (c === '"' && line[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          cell += c;
          i++;
        }
      }
      cells.push(cell);
    } else {
      const end = line.indexOf(',', i);
      cells.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return cells;
    if (line[i] !== ',') return null;
    i++;
  }
}
