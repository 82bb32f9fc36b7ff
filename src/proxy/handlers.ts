import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { TARGET_MAX, HEADER_TEXT_MAX } from '../detect/normalise.js';
import { BadConnectionHeaderError, BannedError, BlockedError, ExposedPathError, UnsupportedUpgradeError, HeadersTooLongError, OpenProxyRequestError, TargetTooLongError, UpgradeWithBodyError, type WormwatchError } from '../errors.js';
import type { ProxyContext } from './context.js';
import { closeIfBodyUnread, sendError, sendRawError, toUpstreamError } from './respond.js';
import { newExchange, type Exchange } from './exchange.js';
import { createForwarder, type Forwarder } from './upstream.js';
import { forbiddenNomination, stripHopByHop } from './hop-by-hop.js';
import { protocolProblem } from './protocol.js';
import { acceptTarget } from './target.js';

export interface ForwardingHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  forwarder: Forwarder;
}

/** Handlers of the normal mode: inspect, then forward to the upstream (or block / refuse). */
export function forwardingHandlers(ctx: ProxyContext, upstream: URL): ForwardingHandlers {
  const { options, metrics, logger, inspector } = ctx;
  const blockMode = options.mode === 'block';
  // Children bound once: the labels object is not rebuilt per request.
  const forwarded = metrics.requests.labels({ outcome: 'forwarded' });
  const aborted = metrics.requests.labels({ outcome: 'aborted' });
  const banned = metrics.requests.labels({ outcome: 'banned' });

  const forwarder = createForwarder({
    upstream,
    connectTimeout: options.connectTimeout,
    responseTimeout: options.responseTimeout,
    maxSockets: options.upstreamMaxSockets,
    isClosing: () => ctx.closing,
    onRetry: () => metrics.upstreamRetries.inc(),
    onAbandoned: () => aborted.inc(),
    onResponse(x, proxyRes) {
      metrics.upstreamResponseSeconds.observe((performance.now() - x.started) / 1000);
      forwarded.inc();
      const status = proxyRes.statusCode ?? 0;
      inspector.answered(x.ip, x.n, status, 'forwarded', proxyRes);
      if (status === 404) ctx.onNotFound?.(x.ip, x.n, new Date());
    },
    onError(x, err) {
      const error = toUpstreamError(err);
      if (x.answered) {
        // Broken off mid-response (already counted as forwarded): the client sees a cut. After a
        // WebSocket upgrade either side's socket errors land here; neither is the origin failing.
        if ('writeHead' in x.res) metrics.upstreamErrors.inc({ code: error.code });
        x.res.destroy();
        return;
      }
      metrics.upstreamErrors.inc({ code: error.code });
      metrics.requests.inc({ outcome: 'error' });
      logger.warn({ code: error.code, err: (err as Error).message, ip: x.ip }, 'upstream request failed');
      refuse(x.req, x.res, x.transferEncoding, error);
    },
  });

  /** Inspects and decides; returns the exchange to forward, or undefined when answered here. */
  function admit(req: IncomingMessage, res: ServerResponse | Duplex, problem: WormwatchError | null = null): Exchange | undefined {
    // Decided on the headers as Node parsed them, before anything is removed from them.
    const nominated = forbiddenNomination(req.headers);
    const malformed = protocolProblem(req);
    const transferEncoding = stripHopByHop(req.headers);
    const ip = ctx.clientAddress(req);
    if (blockMode) {
      // A banned address is answered from memory, uninspected: its next thousand probes would
      // only cost the matcher, and none of them reaches the origin.
      const left = ctx.bans.remaining(ip);
      if (left > 0) {
        banned.inc();
        refuse(req, res, transferEncoding, new BannedError(), options.blockStatus, { 'retry-after': String(Math.ceil(left / 1000)) });
        return undefined;
      }
    }
    const n = inspector.normalise(req);
    const accepted = acceptTarget(req);
    const refusal = nominated !== null ? new BadConnectionHeaderError(nominated) : !accepted ? new OpenProxyRequestError() : problem ?? malformed ?? unjudgeable(req);
    const verdict = inspector.inspect(ip, n, 'request', refusal === null && !blockMode ? 'forwarded' : 'blocked');
    if (verdict !== null && blockMode) {
      metrics.requests.inc({ outcome: 'blocked' });
      refuse(req, res, transferEncoding, new BlockedError(), options.blockStatus);
      return undefined;
    }
    if (refusal !== null) {
      metrics.requests.inc({ outcome: 'error' });
      refuse(req, res, transferEncoding, refusal);
      return undefined;
    }
    if (blockMode && ctx.bans.pathBlocked(n)) {
      // This path served a secret before (--block-exposures): refused, and judged as a hunt the
      // site refused, so its sender is an offender like any other.
      banned.inc();
      refuse(req, res, transferEncoding, new ExposedPathError(), options.blockStatus);
      inspector.answered(ip, n, options.blockStatus, 'blocked');
      return undefined;
    }
    setForwardedHeaders(req, ctx.isTrustedPeer(req));
    return newExchange(req, res, ip, n, transferEncoding);
  }

  /**
   * Block mode promises that nothing matching a signature passes, so a request the matcher
   * cannot read whole (a target past TARGET_MAX, a header block past HEADER_TEXT_MAX, which only
   * a raised --max-header-size allows) is refused rather than judged on a prefix.
   */
  function unjudgeable(req: IncomingMessage): WormwatchError | null {
    if (!blockMode) return null;
    if ((req.url?.length ?? 0) > TARGET_MAX) return new TargetTooLongError(TARGET_MAX);
    if (options.maxHeaderSize > HEADER_TEXT_MAX && headerBytes(req) > HEADER_TEXT_MAX) return new HeadersTooLongError(HEADER_TEXT_MAX);
    return null;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (ctx.closing) res.setHeader('connection', 'close');
    const x = admit(req, res);
    if (x !== undefined) forwarder.web(x);
  }

  return {
    forwarder,
    request(req, res) {
      // A request pipelined behind one still unanswered waits for its turn: Node attaches its
      // response to the socket then. The earlier answer may close the connection (it asked to,
      // it was refused with its body unread, its body is delimited by the close); a request
      // already forwarded by then would run at the origin with nobody left to hear the answer.
      if (res.socket === null) res.once('socket', () => handle(req, res));
      else handle(req, res);
    },
    upgrade(req, socket, head) {
      const upgrade = req.headers.upgrade;
      if (req.method !== 'GET' || upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
        metrics.requests.inc({ outcome: 'error' });
        sendRawError(socket, new UnsupportedUpgradeError());
        return;
      }
      // Node hands an upgrade over as a raw socket without reading a body; the origin would
      // wait for one the client sent to nobody. Inspected, then refused at once.
      const withBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
      const x = admit(req, socket, withBody ? new UpgradeWithBodyError() : null);
      if (x === undefined) return;
      req.headers.connection = 'upgrade';
      req.headers.upgrade = upgrade;
      forwarder.ws(x, socket, head);
    },
  };
}

/** Answers without forwarding (and without reading the body). */
function refuse(req: IncomingMessage, res: ServerResponse | Duplex, transferEncoding: string | undefined, error: WormwatchError, status = error.status, headers?: Record<string, string>): void {
  if ('writeHead' in res) sendError(res, error, { ...headers, ...closeIfBodyUnread(req, transferEncoding) }, status);
  else sendRawError(res, error);
}

/** The length of the header block as received (names and values), as `headerText` would measure it. */
function headerBytes(req: IncomingMessage): number {
  let n = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) n += raw[i]!.length + 2;
  return n;
}

/**
 * `X-Forwarded-For` gets the socket peer appended. `-Proto` and `-Host` are believed only from a
 * trusted proxy; from anyone else they are overwritten with what this hop saw.
 */
function setForwardedHeaders(req: IncomingMessage, trustedPeer: boolean): void {
  const h = req.headers;
  const peer = req.socket.remoteAddress ?? '';
  const hop = peer.startsWith('::ffff:') && peer.includes('.') ? peer.slice(7) : peer;
  h['x-forwarded-for'] = h['x-forwarded-for'] ? `${h['x-forwarded-for']}, ${hop}` : hop;
  if (!trustedPeer || h['x-forwarded-proto'] === undefined) h['x-forwarded-proto'] = 'http';
  if (!trustedPeer || h['x-forwarded-host'] === undefined) {
    if (h.host !== undefined) h['x-forwarded-host'] = h.host;
    else delete h['x-forwarded-host'];
  }
}
