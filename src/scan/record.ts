import { splitRequestLine } from '../detect/request-line.js';

/** One access-log line, parsed. Text fields are exactly as logged, after the format's own unescaping. */
export interface LogRecord {
  /** The client address as logged (an IP address; a host name if the server logged names). */
  ip: string;
  /** When the request was logged; null when the line has no usable time. */
  at: Date | null;
  /** Upper-case method, or '' when the logged request is not an HTTP request line (TLS bytes, garbage). */
  method: string;
  /** The request-target as logged (`/default.ida?NNN`); the whole logged request when it is not HTTP. */
  target: string;
  /** The status the server answered, or null when not logged. */
  status: number | null;
  userAgent?: string;
  referer?: string;
  /**
   * The `--client-ip-field` value as logged (`203.0.113.7, 10.0.0.2`, `-`), when one is asked for:
   * who the peer says the client is. Believed only from a `--trust-proxy` peer (`client.ts`).
   */
  forwarded?: string;
}

/** Names `--format` accepts. `nginx` is combined plus nginx's `\xHH` escapes (the CLF parser reads both). */
export const FORMAT_NAMES = ['combined', 'common', 'nginx', 'w3c', 'csv', 'auto'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

/**
 * A parser for one file. `parse` returns a record, `'skip'` for lines that carry no request by
 * design (W3C `#` directives, the CSV header, blank lines), or null for an unparsable line.
 * Stateful because W3C's `#Fields:` directive changes the columns mid-file.
 */
export interface LineParser {
  readonly format: Exclude<FormatName, 'auto'>;
  parse(line: string): LogRecord | 'skip' | null;
}

/** Splits `METHOD target HTTP/x.y` (the one request-line parser, in detect/), the method upper-cased as logs are read. */
export function splitLoggedRequest(request: string): { method: string; target: string } {
  const split = splitRequestLine(request); // a fresh object, so upper-cased in place
  split.method = split.method.toUpperCase();
  return split;
}
