import type { ListenAddress } from './parse.js';

/**
 * Every setting of `wormwatch serve`, after validation. Each field can be given as a flag
 * (`--offender-max`), an environment variable (`WORMWATCH_OFFENDER_MAX`) or a key in the
 * `--config` file (`offenderMax`), in that order of precedence. The table in `spec.ts` is the
 * single source for parsing, `--help` and the README's configuration table.
 */
export interface Options {
  /** The origin to forward to, `http(s)://host:port`. Required unless in intake/mirror mode. Default: none. */
  upstream: URL | undefined;
  /** Where the proxy listens. Default `0.0.0.0:8080`. */
  listen: ListenAddress;
  /** Where the admin server (metrics, health, offenders) listens. Default `127.0.0.1:9090`. */
  adminListen: ListenAddress;
  /** `monitor` forwards everything and records; `block` answers request-stage detections itself. Default `monitor`. */
  mode: 'monitor' | 'block';
  /** Status sent for a blocked request. Default `403`. */
  blockStatus: number;
  /** Peers whose `X-Forwarded-For` is believed (CIDRs). Default: none, the socket peer is the client. */
  trustProxy: string[];
  /** Time to open a connection to the origin. Default `5s`. */
  connectTimeout: number;
  /** Time for the origin to send response headers. Default `60s`. */
  responseTimeout: number;
  /** A client socket idle this long is closed (also the keep-alive idle limit). Default `60s`. */
  clientTimeout: number;
  /** Time a client has to send the complete request headers. Default `30s`. */
  headersTimeout: number;
  /** Largest request header block accepted, in bytes (larger gets 431). Default `16384`. */
  maxHeaderSize: number;
  /** Most sockets kept open to the origin. Default `256`. */
  upstreamMaxSockets: number;
  /** In-flight requests get this long to finish on SIGTERM/SIGINT. Default `10s`. */
  shutdownGrace: number;
  /** Most offenders remembered (least recently seen are dropped). Default `100000`. */
  offenderMax: number;
  /** An offender not seen for this long is forgotten. Default `24h`. */
  offenderTtl: number;
  /** Request lines kept per offender. Default `5`. */
  offenderSamples: number;
  /** pino log level. Default `info`. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}
