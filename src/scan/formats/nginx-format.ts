import type { LineParser, LogRecord } from '../record.js';
import { splitLoggedRequest } from '../record.js';
import { headerValue, normaliseAddress, parseClfDate, parseIsoDate, parseStatus } from './common.js';

/**
 * nginx `log_format` strings compiled into line parsers, so that any nginx access log can be read
 * (pure: no I/O). The format is given as nginx's configuration has it, either the whole directive
 * (`log_format main escape=json '...' '...';`) or just its string(s). Each `$variable` becomes a
 * capture; the values are unescaped as nginx escaped them: by default `"`, `\`, bytes below 0x20 and
 * from 0x7F up as `\xHH` (nginx 0.7.0 / 1.1.6); with `escape=json` as JSON string escapes; with
 * `escape=none` not at all.
 *
 * Bounds: a format of at most 4 KiB and 64 variables (a longer one is refused with a clear error);
 * each capture is a character class or a bounded pattern, so matching is linear in the line,
 * which the scanner already caps at 64 KiB.
 */

export type NginxEscape = 'default' | 'json' | 'none';

/** A record of the compiled format, with every variable's unescaped value by name (`http_x_forwarded_for`). */
export interface NginxLogRecord extends LogRecord {
  fields: Readonly<Record<string, string>>;
}

export interface NginxFormatOptions {
  /** Overrides an `escape=` given in the directive. */
  escape?: NginxEscape;
  /**
   * The variable a CDN or load balancer's client address is logged in (`$http_x_forwarded_for`,
   * `$http_cf_connecting_ip`), by variable name (`$name`, `http_x_forwarded_for`) or header name
   * (`X-Forwarded-For`): its value becomes the record's `forwarded`; the record's `ip` stays the
   * peer (`$remote_addr`). Which peers to believe is the caller's decision (`client.ts`). A format
   * without that variable is refused.
   */
  clientField?: string;
}

export interface NginxFormatParser extends LineParser {
  /** The variable names of the format, in order. */
  readonly variables: readonly string[];
  parseRecord(line: string): NginxLogRecord | 'skip' | null;
}

export const NGINX_FORMAT_LIMITS = { formatChars: 4096, variables: 64 };

const CLF_TIME = '\\d{1,2}/[A-Za-z]{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}';
const ISO_TIME = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?(?:[+-]\\d{2}:\\d{2}|Z)';
/** Upstream timings and addresses are lists: `0.004, 0.010` or `10.0.0.1:80 : 10.0.0.2:80`. */
const UPSTREAM_LIST = '[^ "]*(?:(?:, | : )[^ "]*){0,16}';

/**
 * What an unquoted variable may hold, by name; anything else is one run of characters that are
 * neither white space nor the first character of the text after it (so that `$bytes,` stops at
 * the comma at once: no backtracking between neighbouring fields).
 */
function unquotedPattern(name: string, next: string): string {
  if (name === 'time_local') return CLF_TIME;
  if (name === 'time_iso8601') return ISO_TIME;
  if (name === 'status') return '\\d{3}|-';
  if (name.startsWith('upstream_')) return UPSTREAM_LIST;
  return next === '' || next === '$' ? '\\S*' : `[^\\s${next.replace(/[\\\]^-]/g, '\\$&')}]*`;
}

/** A value between double quotes cannot hold a bare `"` under default escaping; under JSON, `\"` is allowed. */
function quotedPattern(escape: NginxEscape): string {
  if (escape === 'json') return '(?:[^"\\\\]|\\\\.)*';
  if (escape === 'default') return '[^"]*';
  return '.*?';
}

/** The format strings of a `log_format` directive (or a bare format), with its `escape=`. */
export function readLogFormat(text: string): { format: string; escape: NginxEscape } {
  const src = text.trim();
  if (src.length > NGINX_FORMAT_LIMITS.formatChars * 2) throw new Error(`log_format: longer than ${NGINX_FORMAT_LIMITS.formatChars} characters`);
  let rest = src;
  let escape: NginxEscape = 'default';
  const directive = /^log_format\s+\S+\s*/.exec(rest);
  if (directive) {
    rest = rest.slice(directive[0].length);
    const esc = /^escape=(\S+)\s*/.exec(rest);
    if (esc) {
      if (esc[1] !== 'default' && esc[1] !== 'json' && esc[1] !== 'none') throw new Error(`log_format: escape=${esc[1]}: expected default, json or none`);
      escape = esc[1];
      rest = rest.slice(esc[0].length);
    }
    rest = rest.replace(/;\s*$/, '');
  }
  if (!/^['"]/.test(rest)) return { format: rest, escape };
  // nginx concatenates the quoted strings of a directive; inside them \\ escapes the next character.
  let format = '';
  let pos = 0;
  const quoted = /\s*(['"])((?:\\.|(?!\1)[^\\])*)\1/y;
  for (let m = quoted.exec(rest); m !== null; m = quoted.exec(rest)) {
    format += m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
    pos = quoted.lastIndex;
  }
  if (rest.slice(pos).trim() !== '') throw new Error(`log_format: unexpected text after the quoted strings: ${rest.slice(pos).trim().slice(0, 40)}`);
  return { format, escape };
}

/** Undoes nginx's escaping of one value. */
export function unescapeNginx(value: string, escape: NginxEscape): string {
  if (escape === 'none' || !value.includes('\\')) return value;
  if (escape === 'default') return value.replace(/\\x([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return value.replace(/\\(u[0-9A-Fa-f]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'f' ? '\f' : e;
  });
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Compiles a log_format into a parser (throws, with the reason, on a format it cannot use). */
export function compileNginxFormat(logFormat: string, options: NginxFormatOptions = {}): NginxFormatParser {
  const read = readLogFormat(logFormat);
  const escape = options.escape ?? read.escape;
  const { format } = read;
  if (format.length > NGINX_FORMAT_LIMITS.formatChars) throw new Error(`log_format: longer than ${NGINX_FORMAT_LIMITS.formatChars} characters`);
  const variables: string[] = [];
  let source = '^';
  const token = /\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = token.exec(format)) !== null) {
    const name = (m[1] ?? m[2])!.toLowerCase();
    const before = format.slice(last, m.index);
    const after = format.charAt(token.lastIndex);
    const quoted = before.endsWith('"') && after === '"';
    source += `${escapeRe(before)}(${quoted ? quotedPattern(escape) : unquotedPattern(name, after)})`;
    variables.push(name);
    last = token.lastIndex;
    if (variables.length > NGINX_FORMAT_LIMITS.variables) throw new Error(`log_format: more than ${NGINX_FORMAT_LIMITS.variables} variables`);
  }
  if (variables.length === 0) throw new Error('log_format: no $variable in the format');
  const forwardedVariable = options.clientField === undefined ? undefined : variableOf(options.clientField, variables);
  source += `${escapeRe(format.slice(last))}\\s*$`;
  const re = new RegExp(source, 's');
  const parseRecord = (line: string): NginxLogRecord | 'skip' | null => {
    if (line.trim() === '') return 'skip';
    const match = re.exec(line);
    if (!match) return null;
    const fields: Record<string, string> = {};
    variables.forEach((name, i) => {
      fields[name] ??= unescapeNginx(match[i + 1] ?? '', escape);
    });
    const record = toRecord(fields);
    if (record !== null && forwardedVariable !== undefined) record.forwarded = fields[forwardedVariable];
    return record;
  };
  return { format: 'nginx', variables, parse: parseRecord, parseRecord };
}

/** `X-Forwarded-For` → `http_x_forwarded_for`; `$name` → `name`; refused when the format has no such variable. */
function variableOf(field: string, variables: readonly string[]): string {
  const name = field.startsWith('$') ? field.slice(1).toLowerCase() : field.toLowerCase().replace(/-/g, '_');
  for (const candidate of [name, `http_${name}`]) if (variables.includes(candidate)) return candidate;
  throw new Error(`log_format has no $${field.startsWith('$') || name.startsWith('http_') ? name : `http_${name}`} (its variables: ${variables.map((v) => `$${v}`).join(' ')}): log it, or name another --client-ip-field`);
}

/** The LogRecord the variables make, as clf.ts makes it from the combined format. */
function toRecord(fields: Record<string, string>): NginxLogRecord | null {
  const remote = fields.remote_addr ?? fields.realip_remote_addr;
  if (remote === undefined || remote === '' || remote === '-') return null;
  const { method, target } = requestOf(fields);
  const record: NginxLogRecord = { ip: normaliseAddress(remote), at: timeOf(fields), method, target, status: parseStatus(fields.status), fields };
  const referer = headerValue(fields.http_referer);
  const userAgent = headerValue(fields.http_user_agent);
  if (referer !== undefined) record.referer = referer;
  if (userAgent !== undefined) record.userAgent = userAgent;
  return record;
}

function requestOf(fields: Record<string, string>): { method: string; target: string } {
  if (fields.request !== undefined) return splitLoggedRequest(fields.request);
  const uri = fields.request_uri ?? (fields.uri !== undefined ? `${fields.uri}${fields.args ? `?${fields.args}` : ''}` : '');
  return { method: (fields.request_method ?? '').toUpperCase(), target: uri };
}

function timeOf(fields: Record<string, string>): Date | null {
  if (fields.time_local !== undefined) return parseClfDate(fields.time_local);
  if (fields.time_iso8601 !== undefined) {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)(.*)$/.exec(fields.time_iso8601);
    return m ? parseIsoDate(m[1]!, m[2]!, m[3] === 'Z' ? '' : m[3]) : null;
  }
  if (fields.msec !== undefined && /^\d+(?:\.\d+)?$/.test(fields.msec)) return new Date(Math.round(Number(fields.msec) * 1000));
  return null;
}
