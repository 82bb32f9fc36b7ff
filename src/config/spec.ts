import * as p from './parse.js';

export interface OptionSpec<K extends string = string, T = unknown> {
  /** The option's name: the config file key (`offenderMax`), the flag (`--offender-max`), the env (`WORMWATCH_OFFENDER_MAX`). */
  key: K;
  /** Placeholder shown in `--help` (`<url>`); absent for boolean switches. */
  value?: string;
  /** The default, stated here and nowhere else; `undefined`: unset unless given. */
  default: T | undefined;
  /** Default as a user would type it, for `--help` and the README. */
  shownDefault: string;
  description: string;
  parse: p.Parser<T>;
  /** `proxy`: means something only to a listening proxy, so `scan` does not take it; `scan`: only to `scan`, so `serve` does not. */
  scope?: 'proxy' | 'scan';
}

/** One row; its `default`'s own type decides whether the option may be undefined. */
function spec<const K extends string, T, D extends T | undefined>(s: Omit<OptionSpec<K, T>, 'default'> & { default: D }): Omit<OptionSpec<K, T>, 'default'> & { default: D } {
  return s;
}

/** The one table of settings. Owners of other concerns append theirs (keep it grouped). */
export const optionSpecs = [
  // proxy
  spec({ key: 'upstream', value: '<url>', default: undefined, shownDefault: '(required unless --intake/--mirror)', description: 'Origin to forward to, http(s)://host:port.', parse: p.originUrl, scope: 'proxy' }),
  spec({ key: 'listen', value: '<addr>', default: { host: '0.0.0.0', port: 8080 }, shownDefault: '0.0.0.0:8080', description: 'Proxy listen address, HOST:PORT.', parse: p.listenAddress, scope: 'proxy' }),
  spec({ key: 'adminListen', value: '<addr>', default: { host: '127.0.0.1', port: 9090 }, shownDefault: '127.0.0.1:9090', description: 'Admin server (metrics, health, offenders, notices, reload) listen address; anything but loopback needs a token.', parse: p.listenAddress, scope: 'proxy' }),
  spec({ key: 'adminToken', value: '<token>', default: undefined, shownDefault: '(none: loopback callers only)', description: 'Bearer token for every admin route except /metrics, /healthz, /readyz (16+ characters; prefer the env or --admin-token-file).', parse: p.text, scope: 'proxy' }),
  spec({ key: 'adminTokenFile', value: '<file>', default: undefined, shownDefault: '(none)', description: 'File holding the admin token, read at start and on every reload (a mounted Secret).', parse: p.nonEmptyText, scope: 'proxy' }),
  spec({ key: 'metricsListen', value: '<addr>', default: undefined, shownDefault: '(none)', description: 'Also serve /metrics, /healthz and /readyz alone on this address (for a scrape on the pod network).', parse: p.listenAddress, scope: 'proxy' }),
  spec({ key: 'mode', value: '<mode>', default: 'monitor', shownDefault: 'monitor', description: 'monitor: forward everything and record; block: answer request-stage detections with --block-status.', parse: p.oneOf('monitor', 'block'), scope: 'proxy' }),
  spec({ key: 'blockStatus', value: '<status>', default: 403, shownDefault: '403', description: 'HTTP status for blocked requests.', parse: p.integer(400, 599), scope: 'proxy' }),
  spec({ key: 'trustProxy', value: '<cidrs>', default: [], shownDefault: '(none)', description: 'Comma-separated CIDRs of proxies whose X-Forwarded-For is believed.', parse: p.cidrList }),
  // Both commands: scan refuses the same everything-trusting --trust-proxy as serve, so it takes the same way out.
  spec({ key: 'trustAllProxies', default: false, shownDefault: 'false', description: 'Allow a --trust-proxy that covers every address (then any client chooses its own offender address).', parse: p.boolean }),
  spec({ key: 'connectTimeout', value: '<dur>', default: 5_000, shownDefault: '5s', description: 'Time to connect to the origin (then 504 ERR_UPSTREAM_CONNECT_TIMEOUT).', parse: p.timer(1), scope: 'proxy' }),
  spec({ key: 'responseTimeout', value: '<dur>', default: 60_000, shownDefault: '60s', description: 'Time for the origin to send response headers (then 504 ERR_UPSTREAM_TIMEOUT).', parse: p.timer(1), scope: 'proxy' }),
  spec({ key: 'clientTimeout', value: '<dur>', default: 60_000, shownDefault: '60s', description: 'Idle client sockets (and idle keep-alive) are closed after this.', parse: p.timer(1), scope: 'proxy' }),
  spec({ key: 'headersTimeout', value: '<dur>', default: 30_000, shownDefault: '30s', description: 'Time a client has to send complete request headers (then 408).', parse: p.timer(1), scope: 'proxy' }),
  spec({ key: 'maxHeaderSize', value: '<bytes>', default: 16_384, shownDefault: '16384', description: 'Largest request header block in bytes (then 431).', parse: p.integer(1024, 1_048_576), scope: 'proxy' }),
  spec({ key: 'upstreamMaxSockets', value: '<n>', default: 256, shownDefault: '256', description: 'Most keep-alive sockets open to the origin.', parse: p.integer(1, 65_535), scope: 'proxy' }),
  spec({ key: 'shutdownGrace', value: '<dur>', default: 10_000, shownDefault: '10s', description: 'On SIGTERM/SIGINT, time in-flight requests get to finish.', parse: p.timer(0), scope: 'proxy' }),
  spec({ key: 'intake', default: false, shownDefault: 'false', description: 'No upstream: treat each request as one the origin answered 404 (nginx error_page hand-off), inspect it, reply 404.', parse: p.boolean, scope: 'proxy' }),
  spec({ key: 'mirror', default: false, shownDefault: 'false', description: 'No upstream: inspect each request at the request stage (nginx mirror) and reply 204 at once.', parse: p.boolean, scope: 'proxy' }),
  spec({ key: 'clientIpHeader', value: '<name>', default: undefined, shownDefault: '(none)', description: 'Header with the client address (e.g. X-Real-IP), believed only from --trust-proxy peers.', parse: p.headerName, scope: 'proxy' }),
  // log scanning (src/scan/): `wormwatch scan` only
  spec({ key: 'logFormat', value: '<format>', default: undefined, shownDefault: '(none: --format)', description: 'scan: the nginx log_format of every file (the whole directive or its quoted strings), instead of --format.', parse: p.nonEmptyText, scope: 'scan' }),
  spec({ key: 'clientIpField', value: '<field>', default: undefined, shownDefault: '(none: the logged peer)', description: 'scan: where a line keeps the client address behind a CDN or load balancer: a header (X-Forwarded-For, CF-Connecting-IP; $http_… with --log-format, cs(…) in W3C, a CSV column) or a combined line\'s quoted field N (4: after the user agent); believed only from --trust-proxy peers.', parse: p.clientIpField, scope: 'scan' }),
  // bans and exposures (src/bans/)
  spec({ key: 'banTtl', value: '<dur>', default: 0, shownDefault: '0 (off)', description: 'Ban an offender for this long: every further request from it gets --block-status and Retry-After, unforwarded (needs --mode block).', parse: p.duration, scope: 'proxy' }),
  spec({ key: 'banOn', value: '<stages>', default: ['request', '404', 'storm'], shownDefault: 'request,404,storm', description: 'Which detections ban: request (request stage), 404 (a hunt answered 404/401/403/405, or an exposure), storm (the 404 storm).', parse: p.someOf('request', '404', 'storm'), scope: 'proxy' }),
  spec({ key: 'banTtlFactor', value: '<x>', default: 2, shownDefault: '2', description: 'Each ban of an address banned before (within --ban-ttl-max of its last ban ending) lasts this many times longer.', parse: p.decimal(1, 100), scope: 'proxy' }),
  spec({ key: 'banTtlMax', value: '<dur>', default: 604_800_000, shownDefault: '7d', description: 'Longest ban, however often an address comes back; also how long a ban is remembered after it ends.', parse: p.duration, scope: 'proxy' }),
  spec({ key: 'banIpv6Prefix', value: '<bits>', default: 64, shownDefault: '64', description: 'An IPv6 ban covers the whole prefix of this length (a host owns a /64).', parse: p.integer(16, 128), scope: 'proxy' }),
  spec({ key: 'banMax', value: '<n>', default: 100_000, shownDefault: '100000', description: 'Most bans (and ended bans remembered for --ban-ttl-factor) held; the oldest go first, counted.', parse: p.integer(1, 10_000_000), scope: 'proxy' }),
  spec({ key: 'blockExposures', default: false, shownDefault: 'false', description: 'Block mode: once a secret was served (an exposure), answer every later request for that path with --block-status, until lifted (DELETE /exposures).', parse: p.boolean, scope: 'proxy' }),
  spec({ key: 'operatorEmail', value: '<addr>', default: undefined, shownDefault: '(none)', description: 'Mail this address at once when a secret is served (an exposure): once per path per UTC day (at most 20 a day), whatever the source, outside the notice caps. Needs --smtp-url; sent whatever --notify says.', parse: p.mailbox, scope: 'proxy' }),
  // offenders
  spec({ key: 'geoip', value: '<bool>', default: true, shownDefault: 'true', description: 'Look up each new offender\'s network (AS number and organisation) and country in the packaged databases (--no-geoip: do not load them; about 30 MB).', parse: p.boolean }),
  spec({ key: 'geoipAsnDb', value: '<file>', default: undefined, shownDefault: '(packaged @ip-location-db/asn)', description: 'A GeoLite2-ASN (or compatible) .mmdb file to use instead of the packaged AS data.', parse: p.nonEmptyText }),
  spec({ key: 'geoipCountryDb', value: '<file>', default: undefined, shownDefault: '(packaged @ip-location-db country)', description: 'A GeoLite2-Country or -City (or compatible) .mmdb file to use instead of the packaged country data.', parse: p.nonEmptyText }),
  spec({ key: 'offenderMax', value: '<n>', default: 100_000, shownDefault: '100000', description: 'Most offenders remembered; the least recently seen are dropped.', parse: p.integer(1, 10_000_000) }),
  spec({ key: 'offenderTtl', value: '<dur>', default: 86_400_000, shownDefault: '24h', description: 'Offenders not seen for this long are forgotten.', parse: p.duration }),
  spec({ key: 'offenderSamples', value: '<n>', default: 5, shownDefault: '5', description: 'Sample request lines kept per offender.', parse: p.integer(0, 100) }),
  // 404 storm
  spec({ key: 'stormThreshold', value: '<n>', default: 10, shownDefault: '10', description: 'Distinct 404 paths an address may draw within --storm-window before it is a scanner offender (0: off).', parse: p.integer(0, 10_000) }),
  spec({ key: 'stormWindow', value: '<dur>', default: 60_000, shownDefault: '60s', description: 'Sliding window of the 404-storm detector.', parse: p.duration }),
  spec({ key: 'stormIgnore', value: '<paths>', default: ['favicon.ico', 'robots.txt', 'apple-touch-icon*.png', 'sitemap.xml', 'ads.txt', '.well-known/'], shownDefault: 'favicon.ico,robots.txt,apple-touch-icon*.png,sitemap.xml,ads.txt,.well-known/', description: 'Comma-separated 404 paths that never count towards a storm (* within a segment; no /: last segment; trailing /: prefix).', parse: p.stringList }),
  spec({ key: 'stormMaxAddresses', value: '<n>', default: 10_000, shownDefault: '10000', description: 'Most addresses the 404-storm detector tracks at once.', parse: p.integer(1, 10_000_000) }),
  // logging
  spec({ key: 'logLevel', value: '<level>', default: 'info', shownDefault: 'info', description: 'Log level: fatal, error, warn, info, debug, trace, silent.', parse: p.oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') }),
  // notices
  spec({ key: 'notify', value: '<mode>', default: undefined, shownDefault: 'outbox (smtp with --smtp-url)', description: 'Notices to offenders. off: none; outbox: render and keep, never send; smtp: send (with --redis-url and no --smtp-url: hand them to the fleet\'s stream for wormwatch mailer). Operator mail (--operator-email) goes whatever this says.', parse: p.oneOf('off', 'outbox', 'smtp') }),
  spec({ key: 'smtpUrl', value: '<url>', default: undefined, shownDefault: '(none)', description: 'SMTP server, smtp[s]://user:pass@host:port.', parse: p.smtpUrl }),
  spec({ key: 'smtpRequireTls', default: false, shownDefault: 'false', description: 'Refuse to send over smtp:// unless STARTTLS succeeds.', parse: p.boolean }),
  spec({ key: 'smtpTlsRejectUnauthorized', value: '<bool>', default: true, shownDefault: 'true', description: 'Verify the SMTP server certificate.', parse: p.boolean }),
  spec({ key: 'smtpRateLimit', value: '<n>', default: 5, shownDefault: '5', description: 'Most messages sent per second.', parse: p.integer(1, 10_000) }),
  spec({ key: 'dataDir', value: '<dir>', default: './wormwatch-data', shownDefault: './wormwatch-data', description: 'Directory of the notice outbox (outbox.sqlite).', parse: p.nonEmptyText }),
  spec({ key: 'outboxMaxRows', value: '<n>', default: 250_000, shownDefault: '250000', description: 'Most notices kept in the outbox; the oldest sent and suppressed go first, queued ones never (then new ones are suppressed: outbox-full).', parse: p.integer(100, 100_000_000) }),
  spec({ key: 'noticeInterval', value: '<dur>', default: 86_400_000, shownDefault: '24h', description: 'At most one notice per offender address per interval.', parse: p.duration }),
  spec({ key: 'noticeMaxPerHour', value: '<n>', default: 100, shownDefault: '100', description: 'Most notices queued per hour; more are suppressed.', parse: p.integer(0, 1_000_000) }),
  spec({ key: 'noticeMaxPerDomainPerHour', value: '<n>', default: 10, shownDefault: '10', description: 'Most notices per hour to one recipient domain (last two labels).', parse: p.integer(0, 1_000_000) }),
  spec({ key: 'noticeFrom', value: '<addr>', default: 'wormwatch@localhost', shownDefault: 'wormwatch@localhost', description: 'From address of notices (set a real, monitored one).', parse: p.mailbox }),
  spec({ key: 'noticeReplyTo', value: '<addr>', default: undefined, shownDefault: '(none)', description: 'Reply-To address of notices.', parse: p.mailbox }),
  spec({ key: 'noticeRecipients', value: '<templates>', default: ['administrator@{ip}', 'administrator@{hostname}', 'root@{ip}', 'all@{ip}'], shownDefault: 'administrator@{ip},administrator@{hostname},root@{ip},all@{ip}', description: 'Recipient templates; {ip} is an address literal, {hostname} the confirmed PTR name.', parse: p.recipientTemplates }),
  spec({ key: 'noticeCc', value: '<addrs>', default: [], shownDefault: '(none)', description: 'Fixed Cc addresses of every notice.', parse: p.mailboxList }),
  spec({ key: 'noticeBcc', value: '<addrs>', default: [], shownDefault: '(none)', description: 'Fixed Bcc addresses of every notice.', parse: p.mailboxList }),
  spec({ key: 'noticeFooter', value: '<text>', default: undefined, shownDefault: '(none)', description: 'Text appended to every notice body.', parse: p.text }),
  spec({ key: 'allow', value: '<cidrs>', default: [], shownDefault: '(none)', description: 'CIDRs of your own or friendly scanners: never sent a notice, never banned (still inspected and blocked).', parse: p.cidrList }),
  spec({ key: 'noticeAllowPrivate', value: '<cidrs>', default: [], shownDefault: '(none)', description: 'CIDRs that get notices although private/special-purpose or allowed.', parse: p.cidrList }),
  spec({ key: 'noticeRetryBase', value: '<dur>', default: 60_000, shownDefault: '1m', description: 'First retry delay; doubles per attempt, with jitter.', parse: p.duration }),
  spec({ key: 'noticeRetryMax', value: '<dur>', default: 21_600_000, shownDefault: '6h', description: 'Longest retry delay.', parse: p.duration }),
  spec({ key: 'noticeMaxAge', value: '<dur>', default: 259_200_000, shownDefault: '3d', description: 'Undelivered this long after queueing: failed.', parse: p.duration }),
  spec({ key: 'noticeLease', value: '<dur>', default: 120_000, shownDefault: '2m', description: 'A notice left in sending this long (a crash) is sent again.', parse: p.duration }),
  spec({ key: 'dnsServer', value: '<addrs>', default: [], shownDefault: '(system)', description: 'DNS servers for reverse lookups, IP[:PORT],[IPV6]:PORT.', parse: p.dnsServers }),
  spec({ key: 'dnsTimeout', value: '<dur>', default: 2_000, shownDefault: '2s', description: 'Time a reverse or confirming lookup may take.', parse: p.timer(1) }),
  spec({ key: 'dnsMaxInFlight', value: '<n>', default: 16, shownDefault: '16', description: 'Most reverse lookups in flight.', parse: p.integer(1, 1_000) }),
  spec({ key: 'dnsCacheTtl', value: '<dur>', default: 3_600_000, shownDefault: '1h', description: 'Lookup answers (negative ones too) are cached this long.', parse: p.duration }),
  // the abuse tier (src/notify/abuse.ts) and RDAP (src/rdap/)
  spec({ key: 'noticeTiers', value: '<tiers>', default: ['host', 'abuse'], shownDefault: 'host,abuse', description: 'Who is written to. host: the offending host (--notice-recipients, one notice per --notice-interval); abuse: a digest to the abuse contact RDAP names for its network.', parse: p.someOf('host', 'abuse') }),
  spec({ key: 'abuseDigestInterval', value: '<dur>', default: 86_400_000, shownDefault: '24h', description: 'One digest per abuse mailbox per interval, listing every offending host behind it seen in that time.', parse: p.durationAtLeast(1) }),
  spec({ key: 'abuseAfter', value: '<dur>', default: 0, shownDefault: '0', description: 'List a host in a digest only if it is still probing this long after its first host-tier notice (needs the host tier).', parse: p.duration }),
  spec({ key: 'rdapUrl', value: '<url>', default: undefined, shownDefault: '(the registry the bootstrap names)', description: 'Send every RDAP lookup to this one base URL (a private mirror), instead of the registries in the bootstrap.', parse: p.baseUrl }),
  spec({ key: 'rdapBootstrap', value: '<file|dir>', default: undefined, shownDefault: '(<data-dir>/rdap-bootstrap if written, else the shipped copy)', description: 'The IANA RDAP bootstrap (RFC 9224) to use: a directory with ipv4.json and ipv6.json, or one JSON file {"ipv4", "ipv6"}.', parse: p.nonEmptyText }),
  spec({ key: 'rdapTimeout', value: '<dur>', default: 10_000, shownDefault: '10s', description: 'Time one RDAP request may take (connect, headers and body).', parse: p.timer(1) }),
  // detection rules
  spec({ key: 'rules', value: '<file|dir>', default: undefined, shownDefault: '(none)', description: 'User signatures: a YAML/JSON rule file or a directory of them, on top of the built-in catalogue.', parse: p.text }),
  spec({ key: 'builtinRules', value: '<bool>', default: true, shownDefault: 'true', description: 'Use the built-in catalogue (--no-builtin-rules: only --rules).', parse: p.boolean }),
  // fleet mode (src/fleet/): replicas sharing one Redis
  spec({ key: 'redisUrl', value: '<url>', default: undefined, shownDefault: '(none: every replica on its own)', description: 'Fleet mode: share bans, offenders and notice dedupe with every replica through this Redis (or Valkey), redis[s]://[user:pass@]host:port[/db] or unix:///path. Never in the request path.', parse: p.redisUrl, scope: 'proxy' }),
  spec({ key: 'redisPrefix', value: '<prefix>', default: 'ww', shownDefault: 'ww', description: 'Prefix of every Redis key and channel (one Redis may serve several fleets).', parse: p.shortName, scope: 'proxy' }),
  spec({ key: 'redisTimeout', value: '<dur>', default: 500, shownDefault: '500ms', description: 'Time one Redis command may take before it counts as failed (the replica carries on locally).', parse: p.timer(1), scope: 'proxy' }),
  spec({ key: 'replicaName', value: '<name>', default: undefined, shownDefault: '(the host name: the pod name)', description: 'This replica\'s name in fleet-wide offender records and notice claims.', parse: p.shortName, scope: 'proxy' }),
  // processes (src/cluster.ts)
  spec({ key: 'workers', value: '<n>', default: 1, shownDefault: '1', description: 'Proxy processes sharing the listen port (node:cluster); 0: one per CPU. Offenders, notices and the admin server stay in the primary.', parse: p.integer(0, 256), scope: 'proxy' }),
] as const;

/** Every setting, typed from the table: an option given no default may be undefined. */
export type Options = {
  // Optional exactly when the default is `undefined` (not when inference widened a literal default).
  [S in (typeof optionSpecs)[number] as S['key']]: S extends { parse: p.Parser<infer T> } ? (S extends { default: undefined } ? T | undefined : T) : never;
};


/** `offenderMax` → `--offender-max`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** `offenderMax` → `WORMWATCH_OFFENDER_MAX`. */
export function envName(key: string): string {
  return `WORMWATCH_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}
