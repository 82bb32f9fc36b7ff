import type { Options } from './options.js';
import * as p from './parse.js';

export interface OptionSpec<K extends keyof Options = keyof Options> {
  key: K;
  /** Placeholder shown in `--help` (`<url>`); absent for boolean switches. */
  value?: string;
  default: Options[K];
  /** Default as a user would type it, for `--help` and the README. */
  shownDefault: string;
  description: string;
  parse: p.Parser<Options[K]>;
}

function spec<K extends keyof Options>(s: OptionSpec<K>): OptionSpec<K> {
  return s;
}

/** The one table of settings. Owners of other concerns append theirs (keep it grouped). */
export const optionSpecs: readonly OptionSpec[] = [
  // proxy
  spec({ key: 'upstream', value: '<url>', default: undefined, shownDefault: '(required)', description: 'Origin to forward to, http(s)://host:port.', parse: p.originUrl }),
  spec({ key: 'listen', value: '<addr>', default: { host: '0.0.0.0', port: 8080 }, shownDefault: '0.0.0.0:8080', description: 'Proxy listen address, HOST:PORT.', parse: p.listenAddress }),
  spec({ key: 'adminListen', value: '<addr>', default: { host: '127.0.0.1', port: 9090 }, shownDefault: '127.0.0.1:9090', description: 'Admin server (metrics, health, offenders) listen address.', parse: p.listenAddress }),
  spec({ key: 'mode', value: '<mode>', default: 'monitor', shownDefault: 'monitor', description: 'monitor: forward everything and record; block: answer request-stage detections with --block-status.', parse: p.oneOf('monitor', 'block') }),
  spec({ key: 'blockStatus', value: '<status>', default: 403, shownDefault: '403', description: 'HTTP status for blocked requests.', parse: p.integer(400, 599) }),
  spec({ key: 'trustProxy', value: '<cidrs>', default: [], shownDefault: '(none)', description: 'Comma-separated CIDRs of proxies whose X-Forwarded-For is believed.', parse: p.cidrList }),
  spec({ key: 'connectTimeout', value: '<dur>', default: 5_000, shownDefault: '5s', description: 'Time to connect to the origin (then 504 ERR_UPSTREAM_CONNECT_TIMEOUT).', parse: p.duration }),
  spec({ key: 'responseTimeout', value: '<dur>', default: 60_000, shownDefault: '60s', description: 'Time for the origin to send response headers (then 504 ERR_UPSTREAM_TIMEOUT).', parse: p.duration }),
  spec({ key: 'clientTimeout', value: '<dur>', default: 60_000, shownDefault: '60s', description: 'Idle client sockets (and idle keep-alive) are closed after this.', parse: p.duration }),
  spec({ key: 'headersTimeout', value: '<dur>', default: 30_000, shownDefault: '30s', description: 'Time a client has to send complete request headers (then 408).', parse: p.duration }),
  spec({ key: 'maxHeaderSize', value: '<bytes>', default: 16_384, shownDefault: '16384', description: 'Largest request header block in bytes (then 431).', parse: p.integer(1024, 1_048_576) }),
  spec({ key: 'upstreamMaxSockets', value: '<n>', default: 256, shownDefault: '256', description: 'Most keep-alive sockets open to the origin.', parse: p.integer(1, 65_535) }),
  spec({ key: 'shutdownGrace', value: '<dur>', default: 10_000, shownDefault: '10s', description: 'On SIGTERM/SIGINT, time in-flight requests get to finish.', parse: p.duration }),
  // offenders
  spec({ key: 'offenderMax', value: '<n>', default: 100_000, shownDefault: '100000', description: 'Most offenders remembered; the least recently seen are dropped.', parse: p.integer(1, 10_000_000) }),
  spec({ key: 'offenderTtl', value: '<dur>', default: 86_400_000, shownDefault: '24h', description: 'Offenders not seen for this long are forgotten.', parse: p.duration }),
  spec({ key: 'offenderSamples', value: '<n>', default: 5, shownDefault: '5', description: 'Sample request lines kept per offender.', parse: p.integer(0, 100) }),
  // logging
  spec({ key: 'logLevel', value: '<level>', default: 'info', shownDefault: 'info', description: 'Log level: fatal, error, warn, info, debug, trace, silent.', parse: p.oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') }),
];

/** `offenderMax` → `--offender-max`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** `offenderMax` → `WORMWATCH_OFFENDER_MAX`. */
export function envName(key: string): string {
  return `WORMWATCH_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}
