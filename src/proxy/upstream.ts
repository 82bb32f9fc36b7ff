import type http from 'node:http';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { createProxyServer } from 'http-proxy-3';
import { UpstreamBusyError, UpstreamConnectTimeoutError, UpstreamTimeoutError } from '../errors.js';
import { clearTimers, exchangeOf, tag, type Exchange } from './exchange.js';
import { stripHopByHop } from './hop-by-hop.js';
import { shouldRetry } from './retry.js';
import { createUpstreamPool, dequeue, isQueued, UPSTREAM_IDLE_MS, type PoolStats } from './upstream-pool.js';

export { UPSTREAM_IDLE_MS } from './upstream-pool.js';

export interface ForwarderConfig {
  upstream: URL;
  connectTimeout: number;
  responseTimeout: number;
  maxSockets: number;
  /** The origin answered (any status, or 101 for an upgrade). */
  onResponse(x: Exchange, proxyRes: IncomingMessage): void;
  /** Forwarding failed before a response (or broke off in one); called once per exchange. */
  onError(x: Exchange, err: unknown): void;
  /** A stale pooled socket failed and the request is being sent again on a fresh connection. */
  onRetry(x: Exchange): void;
  /** The client left (or timed out) before the origin answered: the origin request was dropped. */
  onAbandoned(x: Exchange): void;
  /** Whether new responses should close their connection (shutting down). */
  isClosing(): boolean;
}

export interface Forwarder {
  web(x: Exchange): void;
  ws(x: Exchange, socket: Duplex, head: Buffer): void;
  /** Sockets to the origin by state, and requests waiting for one. */
  stats(): PoolStats;
  /** Closes the pooled origin connections. */
  destroy(): void;
}

/**
 * Forwarding through http-proxy-3, always to the one configured upstream, over an explicit
 * keep-alive agent (both Node and the library default to `Connection: close` without one).
 */
export function createForwarder(cfg: ForwarderConfig): Forwarder {
  const basePath = cfg.upstream.pathname.replace(/\/+$/, '');
  const onAnswer = function (this: ClientRequest, proxyRes: IncomingMessage): void {
    const x = exchangeOf(this);
    if (x === undefined) return;
    clearTimers(x);
    x.answered = true;
    x.proxyRes = proxyRes;
    // A 101 keeps its Connection/Upgrade: they are what switches the client's protocol too.
    if (proxyRes.statusCode !== 101) prepareHeaders(x, proxyRes, cfg.isClosing());
    cfg.onResponse(x, proxyRes);
  };
  const onSocket = function (this: ClientRequest, socket: Socket): void {
    const x = exchangeOf(this);
    if (x === undefined) return;
    x.queuedIn = undefined;
    x.socketBytes = socket.bytesRead;
    if (x.connectTimer !== undefined) clearTimeout(x.connectTimer);
    x.connectTimer = undefined;
    if (!socket.connecting) return;
    x.connectTimer = setTimeout(onConnectTimeout, cfg.connectTimeout, x);
    socket.once('connect', () => {
      if (x.connectTimer !== undefined) clearTimeout(x.connectTimer);
      x.connectTimer = undefined;
    });
  };
  let dispatching: Exchange | undefined;
  const pool = createUpstreamPool(cfg.upstream, cfg.maxSockets, (proxyReq, agent) => {
    const x = dispatching;
    if (x === undefined) return;
    x.upstream = proxyReq;
    tag(proxyReq, x);
    // The library rebuilds the path through WHATWG URL parsing (dot segments, backslashes,
    // `?` with nothing after it); the origin must get the bytes the client sent.
    proxyReq.path = x.req.url === '*' && basePath === '' ? '*' : basePath + (x.req.url ?? '/');
    // Registered while the request is being built, so before the library's own listeners.
    // `on`, not `once`: each fires at most once per request, and `once` allocates a wrapper.
    proxyReq.on('socket', onSocket);
    proxyReq.on('information', onInformation);
    proxyReq.on('response', onAnswer);
    proxyReq.on('upgrade', onAnswer);
    if (isQueued(agent, proxyReq)) {
      // Every pooled socket is busy: the wait for one is bounded like a connect.
      x.queuedIn = agent;
      x.connectTimer = setTimeout(onQueueTimeout, cfg.connectTimeout, x, fail);
    }
  });

  // `toProxy` and `prependPath: false`: the library then takes the path as it is instead of
  // parsing the target's and the request's through WHATWG URL (two parses a request); the path
  // it would build is replaced with the client's bytes in the hook above anyway.
  const proxy = createProxyServer({ target: cfg.upstream, agent: pool.pooled, ws: true, xfwd: false, changeOrigin: false, toProxy: true, prependPath: false });
  proxy.before('web', 'stream', restoreFraming);
  const fresh = { agent: pool.fresh };
  const send = (x: Exchange, options: { agent: http.Agent } | undefined): void => {
    dispatching = x;
    try {
      if (options === undefined) proxy.web(x.req, x.res as ServerResponse, onError);
      else proxy.web(x.req, x.res as ServerResponse, options, onError);
    } finally {
      dispatching = undefined;
    }
  };
  function fail(x: Exchange, err: unknown): void {
    if (x.failed) return;
    x.failed = true;
    clearTimers(x);
    cfg.onError(x, err);
  }
  const onError = (err: Error, req: IncomingMessage): void => {
    const x = exchangeOf(req);
    if (x === undefined || x.failed) return;
    // The response is already whole (a body sent after a HEAD answer, a late reset): the client
    // has all it asked for, so nothing changes for it; Node discards the origin socket itself.
    if (x.proxyRes?.complete === true) return;
    if (shouldRetry(x, err)) {
      x.retried = true;
      clearTimers(x);
      x.responseTimer = setTimeout(onResponseTimeout, cfg.responseTimeout, x);
      cfg.onRetry(x);
      send(x, fresh);
      return;
    }
    fail(x, err);
  };
  // Errors come through the per-call callback; this listener only stops the library throwing.
  proxy.on('error', onError);

  return {
    web(x) {
      dispatch(x, cfg);
      x.res.on('close', onClientGone);
      x.onAbandoned = cfg.onAbandoned;
      send(x, undefined);
    },
    ws(x, socket, head) {
      dispatch(x, cfg);
      dispatching = x;
      try {
        proxy.ws(x.req, socket as Socket, head, onError);
      } finally {
        dispatching = undefined;
      }
    },
    stats: () => pool.stats(),
    destroy() {
      pool.destroy();
    },
  };
}

/** Response headers towards the client: hop-by-hop ones out, keep-alive decided by our side. */
function prepareHeaders(x: Exchange, proxyRes: IncomingMessage, closing: boolean): void {
  const keepAliveHint = proxyRes.headers['keep-alive'];
  stripHopByHop(proxyRes.headers);
  // Node's agent reads the origin's `Keep-Alive: timeout=N` from these headers to retire a
  // pooled socket before the origin closes it; hidden from the copy to the client instead.
  // Only a hint shorter than our own idle limit changes anything, and most origins send a
  // longer one on every response: that case skips the (slow) property definition.
  if (typeof keepAliveHint === 'string' && hintMatters(keepAliveHint)) {
    Object.defineProperty(proxyRes.headers, 'keep-alive', { value: keepAliveHint, enumerable: false });
  }
  // The client's own connection decides keep-alive, not the origin's. An origin that answers
  // before the request body is in (an early 413, a redirect) ends the exchange: the rest of the
  // upload is not read, so the client connection closes after the answer.
  const keepAlive = 'shouldKeepAlive' in x.res && x.res.shouldKeepAlive && !closing && x.req.complete;
  proxyRes.headers.connection = keepAlive ? 'keep-alive' : 'close';
}

function dispatch(x: Exchange, cfg: ForwarderConfig): void {
  x.started = performance.now();
  // Covers waiting for a pooled socket, connecting and the origin's think time. It also bounds
  // an upgrade whose client left early: the unread client socket cannot tell us sooner.
  // A timer per request, deliberately: one shared sweep over a Set of waiting requests was
  // tried and made every request's objects survive into the old generation (about 5 KB promoted
  // per request, young-generation pauses tripled), far costlier than the timer.
  x.responseTimer = setTimeout(onResponseTimeout, cfg.responseTimeout, x);
}

let lastHint = '';
let lastHintMatters = false;

/**
 * Whether Node's agent would act on this `Keep-Alive` value: it retires a pooled socket one
 * second before `timeout=N`, and never reuses it when that leaves nothing. One cached answer,
 * since an origin sends the same value on every response.
 */
function hintMatters(hint: string): boolean {
  if (hint !== lastHint) {
    const seconds = /^timeout=(\d+)/.exec(hint)?.[1];
    lastHint = hint;
    lastHintMatters = seconds !== undefined && Number(seconds) * 1000 - 1000 < UPSTREAM_IDLE_MS;
  }
  return lastHintMatters;
}

/**
 * The client left, or was answered. Unless the exchange completed in both directions (the whole
 * request read, the whole response written), the origin request goes at once: an origin that
 * answered early and keeps reading an upload the client abandoned would otherwise hold its
 * pooled socket for ever, until the pool is empty and every request waits.
 */
function onClientGone(this: ServerResponse): void {
  const x = exchangeOf(this);
  if (x === undefined) return;
  clearTimers(x);
  if (this.writableFinished && x.req.complete) return;
  const upstream = x.upstream;
  if (!x.answered && !x.failed) x.onAbandoned?.(x);
  x.failed = true; // nobody is left to answer; the destroy's own error is not a failure to report
  if (upstream === undefined) return;
  if (x.queuedIn !== undefined) dequeue(x.queuedIn, upstream);
  x.queuedIn = undefined;
  if (!upstream.destroyed) upstream.destroy();
}

function onResponseTimeout(x: Exchange): void {
  x.responseTimer = undefined;
  x.upstream?.destroy(new UpstreamTimeoutError());
}

function onConnectTimeout(x: Exchange): void {
  x.connectTimer = undefined;
  x.upstream?.destroy(new UpstreamConnectTimeoutError());
}

/** Still queued when the connect time-out ran out: out of the queue, and answered 503. */
function onQueueTimeout(x: Exchange, fail: (x: Exchange, err: unknown) => void): void {
  x.connectTimer = undefined;
  const upstream = x.upstream;
  if (x.queuedIn === undefined || upstream === undefined || !dequeue(x.queuedIn, upstream)) return;
  x.queuedIn = undefined;
  fail(x, new UpstreamBusyError());
  upstream.destroy();
}

/** Relays 103 Early Hints; a 100 Continue was already sent to the client by Node. */
function onInformation(this: ClientRequest, info: http.InformationEvent): void {
  const x = exchangeOf(this);
  if (x === undefined || info.statusCode !== 103 || !('writeEarlyHints' in x.res)) return;
  const link = info.headers.link;
  if (link !== undefined && !x.res.headersSent) x.res.writeEarlyHints({ link });
}

/**
 * Library pass, before `stream`: the framing decided when the request arrived, restated. The
 * library forces `content-length: 0` on DELETE/OPTIONS; a chunked body stays chunked (Node then
 * chunk-encodes what it writes, whatever the method), so the origin always gets the body framed.
 */
function restoreFraming(req: IncomingMessage): void {
  const x = exchangeOf(req);
  if (x?.transferEncoding === undefined) return;
  req.headers['transfer-encoding'] = x.transferEncoding;
  delete req.headers['content-length'];
}
