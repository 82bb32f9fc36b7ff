import { compileProxyTrust, forwardedClient } from '../address.js';
import { ConfigError } from '../errors.js';
import type { LogRecord } from './record.js';

/**
 * Where a log line keeps the client address a CDN or load balancer forwarded (`--client-ip-field`):
 * a header (`X-Forwarded-For`: the `$http_x_forwarded_for` variable of an nginx `log_format`, the
 * `cs(X-Forwarded-For)` column of a W3C log, a CSV column of that name), an nginx `$variable`,
 * or the position of a quoted field of a combined line (4: the first column after the user agent).
 */
export type ClientField =
  | { kind: 'header'; name: string }
  | { kind: 'variable'; name: string }
  | { kind: 'quoted'; index: number };

/** The field of a parsed `clientIpField` option (`config/parse.ts`: a number, `$name` or a header name). */
export function clientFieldOf(value: string | number): ClientField {
  if (typeof value === 'number') return { kind: 'quoted', index: value };
  return value.startsWith('$') ? { kind: 'variable', name: value.slice(1) } : { kind: 'header', name: value };
}

/** The field as the flag spells it, for messages. */
export function fieldName(field: ClientField): string {
  return field.kind === 'quoted' ? String(field.index) : field.kind === 'variable' ? `$${field.name}` : field.name;
}

/**
 * A format that cannot hold the `--client-ip-field` asked for (a combined line has no named
 * fields, a W3C `#Fields:` line lacks the column): thrown by parsers, turned into a ConfigError
 * before the scan when the format is known in advance, or into the file's error when sniffed.
 */
export class FieldMismatchError extends Error {
  override name = 'FieldMismatchError';
}

/** Finds a record's client address: the logged peer, or who a trusted peer says the client is. */
export type ClientOf = (record: LogRecord) => string;

/**
 * The logged peer (`$remote_addr`, `c-ip`, the CSV host) is the socket peer of `serve`: its
 * forwarded field is believed only when the peer is in `--trust-proxy`, an X-Forwarded-For list
 * is walked from the right skipping trusted entries, and a value that is not an address leaves
 * the peer (the proxy's `forwardedClient`, shared). Without a field, the peer it is.
 */
export function clientResolver(field: ClientField | undefined, trustProxy: readonly string[]): ClientOf | null {
  if (field === undefined) return null;
  const trust = compileProxyTrust(trustProxy);
  if (trust === null) {
    throw new ConfigError(`--client-ip-field ${fieldName(field)} is believed only from a trusted peer: add --trust-proxy with the ranges of your CDN or load balancer (the addresses the log records as the peer)`);
  }
  return (record) => forwardedClient(record.ip, record.forwarded, trust);
}
