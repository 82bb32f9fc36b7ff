import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { OpenProxyRequestError } from '../errors.js';
import type { ProxyContext } from './context.js';
import { closeIfBodyUnread, sendError, sendRawError, toUpstreamError } from './errors.js';
import { clearTimers, newExchange, type Exchange } from './exchange.js';
import { createForwarder, type Forwarder } from './forward.js';
import { stripHopByHop } from './hop-by-hop.js';
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

  const forwarder = createForwarder({
    upstream,
    connectTimeout: options.connectTimeout,
    responseTimeout: options.responseTimeout,
    maxSockets: options.upstreamMaxSockets,
    isClosing: () => ctx.closing,
    onResponse(x, proxyRes) {
      metrics.upstreamResponseSeconds.observe((performance.now() - x.started) / 1000);
      forwarded.inc();
      if (proxyRes.statusCode === 404) {
        inspector.inspect(x.ip, x.n, '404', 'forwarded');
        ctx.onNotFound?.(x.ip, x.n, new Date());
      }
    },
    onError(x, err) {
      if (x.failed) return;
      x.failed = true;
      clearTimers(x);
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
      if ('writeHead' in x.res) sendError(x.res, error.status, error.code);
      else sendRawError(x.res, error.status, error.code);
    },
  });

  /** Inspects and decides; returns the exchange to forward, or undefined when answered here. */
  function admit(req: IncomingMessage, res: ServerResponse | Duplex): Exchange | undefined {
    const transferEncoding = stripHopByHop(req.headers);
    const ip = ctx.clientAddress(req);
    const n = inspector.normalise(req);
    const accepted = acceptTarget(req);
    const verdict = inspector.inspect(ip, n, 'request', accepted && !blockMode ? 'forwarded' : 'blocked');
    if (verdict !== null && blockMode) {
      metrics.requests.inc({ outcome: 'blocked' });
      refuse(req, res, transferEncoding, options.blockStatus, 'ERR_BLOCKED');
      return undefined;
    }
    if (!accepted) {
      metrics.requests.inc({ outcome: 'error' });
      refuse(req, res, transferEncoding, 400, new OpenProxyRequestError().code);
      return undefined;
    }
    setForwardedHeaders(req, ctx.isTrustedPeer(req));
    return newExchange(req, res, ip, n, transferEncoding);
  }

  return {
    forwarder,
    request(req, res) {
      if (ctx.closing) res.setHeader('connection', 'close');
      const x = admit(req, res);
      if (x !== undefined) forwarder.web(x);
    },
    upgrade(req, socket, head) {
      const upgrade = req.headers.upgrade;
      if (req.method !== 'GET' || upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
        metrics.requests.inc({ outcome: 'error' });
        sendRawError(socket, 400, 'ERR_UNSUPPORTED_UPGRADE');
        return;
      }
      const x = admit(req, socket);
      if (x === undefined) return;
      req.headers.connection = 'upgrade';
      req.headers.upgrade = upgrade;
      forwarder.ws(x, socket, head);
    },
  };
}

/** Answers without forwarding (and without reading the body). */
function refuse(req: IncomingMessage, res: ServerResponse | Duplex, transferEncoding: string | undefined, status: number, code: string): void {
  if ('writeHead' in res) sendError(res, status, code, closeIfBodyUnread(req, transferEncoding));
  else sendRawError(res, status, code);
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
