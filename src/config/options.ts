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
  /** Bearer token every admin route but /metrics, /healthz and /readyz requires. Default: none (loopback only). */
  adminToken: string | undefined;
  /** File holding the admin token (re-read on reload), for a mounted Secret. Default: none. */
  adminTokenFile: string | undefined;
  /** A second listener serving only /metrics, /healthz and /readyz. Default: none. */
  metricsListen: ListenAddress | undefined;
  /** `monitor` forwards everything and records; `block` answers request-stage detections itself. Default `monitor`. */
  mode: 'monitor' | 'block';
  /** Status sent for a blocked request. Default `403`. */
  blockStatus: number;
  /** Peers whose `X-Forwarded-For` is believed (CIDRs). Default: none, the socket peer is the client. */
  trustProxy: string[];
  /** Accept a `trustProxy` that covers every address. Default `false`. */
  trustAllProxies: boolean;
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
  /** No upstream: treat every request as one the origin answered 404 (nginx `error_page 404` hand-off), inspect it and reply 404. Default `false`. */
  intake: boolean;
  /** No upstream: inspect every request at the request stage (nginx `mirror`) and reply 204 at once. Default `false`. */
  mirror: boolean;
  /** Header holding the client address (e.g. `X-Real-IP`), believed only from `trustProxy` peers. Default: none (use `X-Forwarded-For`). */
  clientIpHeader: string | undefined;
  /** Most offenders remembered (least recently seen are dropped). Default `100000`. */
  offenderMax: number;
  /** An offender not seen for this long is forgotten. Default `24h`. */
  offenderTtl: number;
  /** Request lines kept per offender. Default `5`. */
  offenderSamples: number;
  // 404 storm
  /** Distinct 404 paths one address may draw within `stormWindow`; one more makes it a `scanner` offender. 0 turns the detector off. Default `10`. */
  stormThreshold: number;
  /** Sliding window of the 404-storm detector. Default `60s`. */
  stormWindow: number;
  /** 404 paths that never count towards a storm (`*` within a segment; no `/`: last segment; trailing `/`: prefix). Default `favicon.ico,robots.txt,apple-touch-icon*.png,sitemap.xml,ads.txt,.well-known/`. */
  stormIgnore: string[];
  /** Most addresses the 404-storm detector tracks at once (least recently seen dropped). Default `10000`. */
  stormMaxAddresses: number;
  /** pino log level. Default `info`. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  // notices
  /** `off`: no notices; `outbox`: render and keep, never send; `smtp`: send. Default `outbox`, or `smtp` when `smtpUrl` is set. */
  notify: 'off' | 'outbox' | 'smtp' | undefined;
  /** SMTP server, `smtp[s]://user:pass@host:port`. Default: none. */
  smtpUrl: URL | undefined;
  /** Refuse to send over `smtp://` unless STARTTLS succeeds. Default `false`. */
  smtpRequireTls: boolean;
  /** Verify the SMTP server's TLS certificate. Default `true`. */
  smtpTlsRejectUnauthorized: boolean;
  /** Most messages handed to the SMTP server per second. Default `5`. */
  smtpRateLimit: number;
  /** Directory holding the notice outbox (`outbox.sqlite`). Default `./wormwatch-data`. */
  dataDir: string;
  /** Rows the outbox holds at most; the oldest sent and suppressed go first, queued ones never. Default `250000`. */
  outboxMaxRows: number;
  /** At most one notice per offender address per this interval. Default `24h`. */
  noticeInterval: number;
  /** Most notices queued per hour; more are suppressed. Default `100`. */
  noticeMaxPerHour: number;
  /** Most notices per hour to one recipient domain (a host name's last two labels). Default `10`. */
  noticeMaxPerDomainPerHour: number;
  /** From address of notices. Default `wormwatch@localhost` (set a real one). */
  noticeFrom: string;
  /** Reply-To address of notices. Default: none (replies go to From). */
  noticeReplyTo: string | undefined;
  /** Recipient templates with `{ip}` (an address literal) and `{hostname}` (forward-confirmed PTR). Default `administrator@{ip},administrator@{hostname},root@{ip},all@{ip}`. */
  noticeRecipients: string[];
  /** Fixed Cc addresses added to every notice. Default: none. */
  noticeCc: string[];
  /** Fixed Bcc addresses added to every notice. Default: none. */
  noticeBcc: string[];
  /** Text appended to every notice body. Default: none. */
  noticeFooter: string | undefined;
  /** Addresses (CIDRs) of your own or friendly scanners: never sent a notice. Default: none. */
  allow: string[];
  /** CIDRs that get notices although special-purpose (private, documentation, ...) or in `allow`. Default: none. */
  noticeAllowPrivate: string[];
  /** First retry delay after a temporary SMTP failure; doubles each attempt, with jitter. Default `1m`. */
  noticeRetryBase: number;
  /** Longest retry delay. Default `6h`. */
  noticeRetryMax: number;
  /** A notice still undelivered this long after it was queued is marked failed. Default `3d`. */
  noticeMaxAge: number;
  /** A notice in `sending` longer than this (a crash) is sent again. Default `2m`. */
  noticeLease: number;
  /** DNS servers for reverse lookups, `IP[:PORT]`. Default: the system's. */
  dnsServer: string[];
  /** Time a reverse (or confirming forward) lookup may take. Default `2s`. */
  dnsTimeout: number;
  /** Most reverse lookups in flight. Default `16`. */
  dnsMaxInFlight: number;
  /** How long lookup answers, negative ones included, are cached. Default `1h`. */
  dnsCacheTtl: number;
  // detection rules
  /** A rule file (YAML or JSON) or a directory of them, loaded on top of the built-in catalogue. Default: none. */
  rules: string | undefined;
  /** Use the built-in signature catalogue; `false` (`--no-builtin-rules`) leaves only `rules`. Default `true`. */
  builtinRules: boolean;
  /** Proxy worker processes (node:cluster) sharing the listen port; `0` = one per CPU. Default `1` (no cluster). */
  workers: number;
}
