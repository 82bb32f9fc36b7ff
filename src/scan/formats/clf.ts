import { isIP } from 'node:net';
import type { LineParser, LogRecord } from '../record.js';
import { splitLoggedRequest } from '../record.js';
import { headerValue, isBlank, isSpace, normaliseAddress, parseClfDate, parseStatus } from './common.js';

/**
 * NCSA common / combined log format as Apache and nginx write it, found anywhere in the line so
 * that the prefixes real deployments add still parse: a virtual host (`%v`), a syslog header
 * (`Sep 15 16:13:46 host nginx[2869]: `), a container runtime's (`2022-…Z stdout F `), an extra
 * request-id column. Quoted fields use the servers' escapes (`\"`, `\\`, `\xHH`). Trailing extra
 * columns (X-Forwarded-For, upstream times) are ignored.
 */
const QUOTED = '"([^"\\\\]*(?:\\\\.[^"\\\\]*)*)"';
const CLF = new RegExp(`\\[([^\\]]{10,40})\\] ${QUOTED} (\\d{3}|-) (\\d+|-)(?: ${QUOTED} ${QUOTED})?`);

/**
 * `quotedField`: keep the Nth quoted field (1 is the request, 2 the referer, 3 the user agent, 4
 * the first extra column, such as nginx's `"$http_x_forwarded_for"`) as the record's `forwarded`.
 */
/**
 * `quotedField`: keep the Nth quoted field (1 is the request, 2 the referer, 3 the user agent, 4
 * the first extra column, such as nginx's `"$http_x_forwarded_for"`) as the record's `forwarded`.
 */
export function createClfParser(format: 'combined' | 'common' | 'nginx' = 'combined', quotedField = 0): LineParser {
  return { format, parse: quotedField > 0 ? (line) => parseClf(line, quotedField) : parseClfLine };
}

export function parseClfLine(line: string): LogRecord | 'skip' | null {
  return parseClf(line, 0);
}

function parseClf(line: string, quotedField: number): LogRecord | 'skip' | null {
  if (isBlank(line)) return 'skip';
  const m = CLF.exec(line);
  if (!m) return null;
  const ip = pickAddress(line, m.index);
  if (ip === null) return null;
  const { method, target } = splitLoggedRequest(unescapeLogged(m[2]!));
  const record: LogRecord = { ip, at: parseClfDate(m[1]!), method, target, status: parseStatus(m[3]) };
  const referer = headerValue(m[5] === undefined ? undefined : unescapeLogged(m[5]));
  const userAgent = headerValue(m[6] === undefined ? undefined : unescapeLogged(m[6]));
  if (referer !== undefined) record.referer = referer;
  if (userAgent !== undefined) record.userAgent = userAgent;
  if (quotedField > 0) {
    const forwarded = quotedFieldOf(line, m, quotedField);
    if (forwarded !== undefined) record.forwarded = forwarded;
  }
  return record;
}

const QUOTED_AT = new RegExp(QUOTED, 'y');

/** The Nth quoted field (counted from the request's), unescaped; undefined when the line has fewer. */
function quotedFieldOf(line: string, m: RegExpExecArray, n: number): string | undefined {
  let seen = m[5] === undefined ? 1 : 3;
  if (n <= seen) return n === 1 ? unescapeLogged(m[2]!) : unescapeLogged(n === 2 ? m[5]! : m[6]!);
  // Extra columns after the match: quoted ones counted, unquoted ones (times, ids) passed over.
  for (let pos = m.index + m[0].length; ;) {
    const quote = line.indexOf('"', pos);
    if (quote < 0) return undefined;
    QUOTED_AT.lastIndex = quote;
    const q = QUOTED_AT.exec(line);
    if (!q) return undefined;
    if (++seen === n) return unescapeLogged(q[1]!);
    pos = QUOTED_AT.lastIndex;
  }
}

/**
 * The columns before `[date]` end in `host ident user`. The host is the third from the end when
 * it is an address; otherwise (a request-id column, a syslog prefix) the last address among them.
 */
function pickAddress(line: string, end: number): string | null {
  const standard = thirdTokenBefore(line, end);
  if (standard === null) return null;
  const version = isIP(standard);
  if (version === 4) return standard; // canonical as it is (see canonicalIp)
  if (version === 6) return normaliseAddress(standard);
  const tokens = line.slice(0, end).trim().split(/\s+/);
  for (let i = tokens.length - 1; i >= 0; i--) if (isIP(tokens[i]!)) return normaliseAddress(tokens[i]!);
  return standard === '-' ? null : standard;
}

/** The third white-space-separated token before `end`, or null when there are fewer (read backwards: no split). */
function thirdTokenBefore(text: string, end: number): string | null {
  let i = end - 1;
  for (let token = 0; token < 3; token++) {
    while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
    if (i < 0) return null;
    const last = i + 1;
    while (i >= 0 && !isSpace(text.charCodeAt(i))) i--;
    if (token === 2) return text.slice(i + 1, last);
  }
  return null;
}

/**
 * Undoes Apache's and nginx's escaping: `\"`, `\\`, `\xHH` (a raw byte, kept as that char code),
 * `\n`, `\r`, `\t`. Any other backslash is literal: Apache before 2.0.46 logged the request as
 * received, so an IIS worm's `..\..\winnt` must keep its backslashes.
 */
export function unescapeLogged(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(x[0-9a-fA-F]{2}|["\\nrt])/g, (_, e: string) => {
    if (e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e === 'n') return '\n';
    if (e === 'r') return '\r';
    if (e === 't') return '\t';
    return e;
  });
}
