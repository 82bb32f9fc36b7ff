/**
 * Every error wormwatch raises on purpose, in one table: a stable code (for logs, metrics labels
 * and response bodies), the HTTP status it maps to when it ends a client's request, its message
 * (`%s` takes the argument) and the exit status when it stops the CLI (2: a usage or
 * configuration mistake). In the style of @fastify/reply-from's `lib/errors.js`.
 */
export class WormwatchError extends Error {
  readonly code: string;
  readonly status: number;
  readonly exitCode: number;

  constructor(code: string, status: number, message: string, exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.exitCode = exitCode;
  }
}

type ErrorClass = new (detail?: string | number, options?: { cause?: unknown }) => WormwatchError;

function define(code: string, status: number, template: string, exitCode = 1): ErrorClass {
  return class extends WormwatchError {
    constructor(detail?: string | number, options?: { cause?: unknown }) {
      super(code, status, template.includes('%s') ? template.replace('%s', String(detail ?? '')) : String(detail ?? template), exitCode, options);
    }
  };
}

// The origin.
export const UpstreamRefusedError = define('ERR_UPSTREAM_REFUSED', 502, 'upstream refused the connection');
export const UpstreamConnectTimeoutError = define('ERR_UPSTREAM_CONNECT_TIMEOUT', 504, 'upstream connect timed out');
export const UpstreamTimeoutError = define('ERR_UPSTREAM_TIMEOUT', 504, 'upstream response timed out');
export const UpstreamProtocolError = define('ERR_UPSTREAM_PROTOCOL', 502, 'upstream sent an invalid response');
export const UpstreamBusyError = define('ERR_UPSTREAM_BUSY', 503, 'no connection to the upstream became free in time');

// The client's request.
export const BadRequestError = define('ERR_BAD_REQUEST', 400, 'malformed request');
export const ClientTimeoutError = define('ERR_CLIENT_TIMEOUT', 408, 'request headers not complete in time');
export const HeadersTooLargeError = define('ERR_HEADERS_TOO_LARGE', 431, 'request header block over --max-header-size');
export const OpenProxyRequestError = define('ERR_OPEN_PROXY', 400, 'absolute-form requests for other hosts are not proxied');
export const MethodNotAllowedError = define('ERR_METHOD_NOT_ALLOWED', 405, 'method not allowed');
export const UnsupportedUpgradeError = define('ERR_UNSUPPORTED_UPGRADE', 400, 'only WebSocket upgrades are relayed');
/** `Connection` named a header the message's meaning depends on (framing, Host, forwarding headers). */
export const BadConnectionHeaderError = define('ERR_BAD_CONNECTION_HEADER', 400, 'Connection must not name %s');
/** An upgrade request (WebSocket) that also announced a body: no server can read both. */
export const UpgradeWithBodyError = define('ERR_UPGRADE_WITH_BODY', 400, 'an upgrade request must not carry a body');
export const HttpVersionError = define('ERR_HTTP_VERSION', 505, 'HTTP/%s is not supported');
/** RFC 9112 section 6.1: a coding the server does not implement is answered 501. */
export const TransferCodingError = define('ERR_TRANSFER_CODING', 501, 'only the chunked transfer coding is supported');
/** RFC 9112 section 6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing. */
export const BadFramingError = define('ERR_BAD_FRAMING', 400, 'an HTTP/1.0 request must not carry Transfer-Encoding');

// Block mode.
export const BlockedError = define('ERR_BLOCKED', 403, 'request blocked');
/** The client's address is banned (`--ban-ttl`, `POST /bans`); answered with --block-status and Retry-After. */
export const BannedError = define('ERR_BANNED', 403, 'banned: too many probes from this address; try again later');
/** The path served a secret before (`--block-exposures`); refused until the operator lifts the block. */
export const ExposedPathError = define('ERR_EXPOSED_PATH', 403, 'request blocked');
/** The request-target is longer than the matcher reads, so it cannot be judged whole. */
export const TargetTooLongError = define('ERR_TARGET_TOO_LONG', 414, 'request-targets over %s characters are refused in block mode');
/** The header block is larger than the matcher reads, so it cannot be judged whole. */
export const HeadersTooLongError = define('ERR_HEADERS_TOO_LONG', 431, 'header blocks over %s characters are refused in block mode');

// The admin port.
export const AdminUnauthorizedError = define('ERR_ADMIN_UNAUTHORIZED', 401, 'send Authorization: Bearer <the --admin-token>');
export const AdminHostError = define('ERR_ADMIN_HOST', 403, 'without --admin-token only a loopback Host (localhost, 127.0.0.1, [::1]) is served');
export const AdminCrossSiteError = define('ERR_ADMIN_CROSS_SITE', 403, 'a request from another site\'s page may not change anything here');
export const NotFoundError = define('ERR_NOT_FOUND', 404, '%s');
export const PayloadTooLargeError = define('ERR_PAYLOAD_TOO_LARGE', 413, 'request bodies over %s bytes are refused');
export const UnsupportedMediaTypeError = define('ERR_UNSUPPORTED_MEDIA_TYPE', 415, 'send the body as Content-Type: %s');
/** `POST /bans` when bans cannot apply (monitor mode) or of an address `--allow` covers. */
export const BanRefusedError = define('ERR_BAN_REFUSED', 409, '%s');
export const InternalError = define('ERR_INTERNAL', 500, 'internal error');

// The command line and the configuration: exit status 2.
/** A configuration value is missing, unknown or invalid. The message is one line naming it. */
export const ConfigError = define('ERR_CONFIG', 500, '%s', 2);
export type ConfigError = WormwatchError;
/** A command was called wrongly (a missing argument, a bad flag value). */
export const UsageError = define('ERR_USAGE', 500, '%s', 2);
export type UsageError = WormwatchError;
/** `wormwatch bans …`: nothing listens at the admin URL (refused, unknown host, unreachable). Exit 1. */
export const AdminUnreachableError = define('ERR_ADMIN_UNREACHABLE', 502, 'no wormwatch admin server at %s (is `wormwatch serve` running? --admin URL)');
/** `wormwatch bans …`: the admin server answered with a refusal (401, 404, 409) or something no wormwatch sends. Exit 1. */
export const AdminAnswerError = define('ERR_ADMIN_ANSWER', 502, '%s');
/** `wormwatch bans export`: the file could not be written (the old one is left as it was). Exit 1. */
export const ExportFileError = define('ERR_EXPORT_FILE', 500, '%s');
/** `wormwatch notices show|retry ID` named a notice the outbox does not hold. */
export const NoticeNotFoundError = define('ERR_NOTICE_NOT_FOUND', 404, 'no notice %s in the outbox (see wormwatch notices list)', 2);

/** A rule file (`--rules`) is unreadable or invalid; `errors` holds one line per problem. */
export class RulesError extends WormwatchError {
  readonly errors: readonly string[];

  constructor(errors: readonly string[]) {
    super('ERR_RULES', 500, errors.length === 1 ? errors[0]! : `${errors[0]} (and ${errors.length - 1} more rule errors)`, 2);
    this.errors = errors;
  }
}
