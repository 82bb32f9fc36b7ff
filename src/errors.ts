/**
 * Every error wormwatch raises on purpose carries a stable `code` (for logs, metrics labels and
 * response bodies) and the HTTP status it maps to when it ends a client's request.
 */
export class WormwatchError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** The origin refused the connection, reset it, or could not be resolved. */
export class UpstreamRefusedError extends WormwatchError {
  constructor(message = 'upstream refused the connection', options?: { cause?: unknown }) {
    super('ERR_UPSTREAM_REFUSED', 502, message, options);
  }
}

/** The origin did not accept the connection within the connect time-out. */
export class UpstreamConnectTimeoutError extends WormwatchError {
  constructor(message = 'upstream connect timed out', options?: { cause?: unknown }) {
    super('ERR_UPSTREAM_CONNECT_TIMEOUT', 504, message, options);
  }
}

/** The origin accepted the request but sent no response headers within the time-out. */
export class UpstreamTimeoutError extends WormwatchError {
  constructor(message = 'upstream response timed out', options?: { cause?: unknown }) {
    super('ERR_UPSTREAM_TIMEOUT', 504, message, options);
  }
}

/** The origin broke the response off, or spoke something that is not HTTP. */
export class UpstreamProtocolError extends WormwatchError {
  constructor(message = 'upstream sent an invalid response', options?: { cause?: unknown }) {
    super('ERR_UPSTREAM_PROTOCOL', 502, message, options);
  }
}

/** The request asked wormwatch to act as a forward proxy (absolute-form to another host). */
export class OpenProxyRequestError extends WormwatchError {
  constructor(message = 'absolute-form requests for other hosts are not proxied') {
    super('ERR_OPEN_PROXY', 400, message);
  }
}

/** `CONNECT` tunnels are never opened. */
export class MethodNotAllowedError extends WormwatchError {
  constructor(message = 'method not allowed') {
    super('ERR_METHOD_NOT_ALLOWED', 405, message);
  }
}

/** Every pooled connection to the origin stayed busy for the whole connect time-out. */
export class UpstreamBusyError extends WormwatchError {
  constructor(message = 'no connection to the upstream became free in time') {
    super('ERR_UPSTREAM_BUSY', 503, message);
  }
}

/**
 * `Connection` named a header the message's meaning depends on (its framing, its Host, the
 * forwarding headers): a proxy that dropped it would send the origin a different request.
 */
export class BadConnectionHeaderError extends WormwatchError {
  constructor(name: string) {
    super('ERR_BAD_CONNECTION_HEADER', 400, `Connection must not name ${name}`);
  }
}

/** An upgrade request (WebSocket) that also announced a body: no server can read both. */
export class UpgradeWithBodyError extends WormwatchError {
  constructor(message = 'an upgrade request must not carry a body') {
    super('ERR_UPGRADE_WITH_BODY', 400, message);
  }
}

/** Block mode: the request-target is longer than the matcher reads, so it cannot be judged whole. */
export class TargetTooLongError extends WormwatchError {
  constructor(max: number) {
    super('ERR_TARGET_TOO_LONG', 414, `request-targets over ${max} characters are refused in block mode`);
  }
}

/** Block mode: the header block is larger than the matcher reads, so it cannot be judged whole. */
export class HeadersTooLongError extends WormwatchError {
  constructor(max: number) {
    super('ERR_HEADERS_TOO_LONG', 431, `header blocks over ${max} characters are refused in block mode`);
  }
}

/** An HTTP version other than 1.0 and 1.1: nothing else can be forwarded as it was meant. */
export class HttpVersionError extends WormwatchError {
  constructor(version: string) {
    super('ERR_HTTP_VERSION', 505, `HTTP/${version} is not supported`);
  }
}

/**
 * A Transfer-Encoding other than `chunked` alone (RFC 9112 section 6.1: a server answers 501 for
 * a coding it does not implement), or any Transfer-Encoding on HTTP/1.0 (faulty framing, 400).
 */
export class TransferCodingError extends WormwatchError {
  constructor(status: 400 | 501, message: string) {
    super('ERR_TRANSFER_CODING', status, message);
  }
}

/** A request-stage worm signature matched in block mode. */
export class BlockedRequestError extends WormwatchError {
  constructor(status: number, message = 'request blocked') {
    super('ERR_BLOCKED', status, message);
  }
}

/** A configuration value is missing, unknown or invalid. The message is one line naming it. */
export class ConfigError extends WormwatchError {
  constructor(message: string) {
    super('ERR_CONFIG', 500, message);
  }
}

/** `wormwatch notices show|retry ID` named a notice the outbox does not hold. */
export class NoticeNotFoundError extends WormwatchError {
  constructor(id: number) {
    super('ERR_NOTICE_NOT_FOUND', 404, `no notice ${id} in the outbox (see wormwatch notices list)`);
  }
}

/** A rule file (`--rules`) is unreadable or invalid; `errors` holds one line per problem. */
export class RulesError extends WormwatchError {
  readonly errors: readonly string[];

  constructor(errors: readonly string[]) {
    super('ERR_RULES', 500, errors.length === 1 ? errors[0]! : `${errors[0]} (and ${errors.length - 1} more rule errors)`);
    this.errors = errors;
  }
}
