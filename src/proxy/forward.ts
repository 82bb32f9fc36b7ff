import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { createProxyServer } from 'http-proxy-3';
import { UpstreamConnectTimeoutError, UpstreamTimeoutError } from '../errors.js';
import { clearTimers, exchangeOf, tag, type Exchange } from './exchange.js';
import { stripHopByHop } from './hop-by-hop.js';

/** Idle pooled connections to the origin are closed after this. */
export const UPSTREAM_IDLE_MS = 4_000;

export interface ForwarderConfig {
  upstream: URL;
  connectTimeout: number;
  responseTimeout: number;
  maxSockets: number;
  /** The origin answered (any status, or 101 for an upgrade). */
  onResponse(x: Exchange, proxyRes: IncomingMessage): void;
  /** Forwarding failed before a response; `x.res` still needs an answer. */
  onError(x: Exchange, err: unknown): void;
  /** Whether new responses should close their connection (shutting down). */
  isClosing(): boolean;
}

export interface Forwarder {
  web(x: Exchange): void;
  ws(x: Exchange, socket: Duplex, head: Buffer): void;
  /** Closes the pooled origin connections. */
  destroy(): void;
}

/**
 * Forwarding through http-proxy-3, always to the one configured upstream, over an explicit
 * keep-alive agent (both Node and the library default to `Connection: close` without one).
 */
export function createForwarder(cfg: ForwarderConfig): Forwarder {
  // `timeout` retires idle pooled sockets before common origins' own 5 s keep-alive limit; Node
  // only honours a shorter `Keep-Alive: timeout=N` hint from the origin when this is set.
  const agentOptions = { keepAlive: true, maxSockets: cfg.maxSockets, scheduling: 'lifo' as const, timeout: UPSTREAM_IDLE_MS };
  const agent = cfg.upstream.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const basePath = cfg.upstream.pathname.replace(/\/+$/, '');
  const onAnswer = function (this: ClientRequest, proxyRes: IncomingMessage): void {
    const x = exchangeOf(this);
    if (x === undefined) return;
    clearTimers(x);
    x.answered = true;
    // A 101 keeps its Connection/Upgrade: they are what switches the client's protocol too.
    if (proxyRes.statusCode !== 101) {
      const keepAliveHint = proxyRes.headers['keep-alive'];
      stripHopByHop(proxyRes.headers);
      // Node's agent reads the origin's `Keep-Alive: timeout=N` from these headers to retire a
      // pooled socket before the origin closes it; hidden from the copy to the client instead.
      // Only a hint shorter than our own idle limit changes anything, and most origins send a
      // longer one on every response: that case skips the (slow) property definition.
      if (typeof keepAliveHint === 'string' && hintMatters(keepAliveHint)) {
        Object.defineProperty(proxyRes.headers, 'keep-alive', { value: keepAliveHint, enumerable: false });
      }
      // The client's own connection decides keep-alive, not the origin's.
      const keepAlive = 'shouldKeepAlive' in x.res && x.res.shouldKeepAlive && !cfg.isClosing();
      proxyRes.headers.connection = keepAlive ? 'keep-alive' : 'close';
    }
    cfg.onResponse(x, proxyRes);
  };
  const onSocket = function (this: ClientRequest, socket: Socket): void {
    const x = exchangeOf(this);
    if (x === undefined || !socket.connecting) return;
    x.connectTimer = setTimeout(onConnectTimeout, cfg.connectTimeout, x);
    socket.once('connect', () => {
      if (x.connectTimer !== undefined) clearTimeout(x.connectTimer);
      x.connectTimer = undefined;
    });
  };
  let dispatching: Exchange | undefined;
  hookAgent(agent, (proxyReq) => {
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
  });

  const proxy = createProxyServer({ target: cfg.upstream, agent, ws: true, xfwd: false, changeOrigin: false });
  proxy.before('web', 'stream', restoreFraming);
  const onError = (err: Error, req: IncomingMessage): void => {
    const x = exchangeOf(req);
    if (x !== undefined) cfg.onError(x, err);
  };
  // Errors come through the per-call callback; this listener only stops the library throwing.
  proxy.on('error', onError);

  return {
    web(x) {
      dispatch(x, cfg);
      x.res.on('close', onClientGone);
      dispatching = x;
      try {
        proxy.web(x.req, x.res as ServerResponse, onError);
      } finally {
        dispatching = undefined;
      }
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
    destroy() {
      agent.destroy();
    },
  };
}

type AddRequest = (req: ClientRequest, options: unknown) => void;

/** The agent is the one place the library's outgoing request is visible as soon as it exists. */
function hookAgent(agent: http.Agent, onRequest: (req: ClientRequest) => void): void {
  const pooled = agent as http.Agent & { addRequest: AddRequest };
  const addRequest = pooled.addRequest.bind(pooled);
  pooled.addRequest = (req, options) => {
    onRequest(req);
    addRequest(req, options);
  };
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

/** The client left (or was answered): its timers must not keep the exchange alive. */
function onClientGone(this: ServerResponse): void {
  const x = exchangeOf(this);
  if (x !== undefined) clearTimers(x);
}

function onResponseTimeout(x: Exchange): void {
  x.responseTimer = undefined;
  x.upstream?.destroy(new UpstreamTimeoutError());
}

function onConnectTimeout(x: Exchange): void {
  x.connectTimer = undefined;
  x.upstream?.destroy(new UpstreamConnectTimeoutError());
}

/** Relays 103 Early Hints; a 100 Continue was already sent to the client by Node. */
function onInformation(this: ClientRequest, info: http.InformationEvent): void {
  const x = exchangeOf(this);
  if (x === undefined || info.statusCode !== 103 || !('writeEarlyHints' in x.res)) return;
  const link = info.headers.link;
  if (link !== undefined && !x.res.headersSent) x.res.writeEarlyHints({ link });
}

/** Library pass: it forces `content-length: 0` on DELETE/OPTIONS; keep a chunked body chunked. */
function restoreFraming(req: IncomingMessage): void {
  const x = exchangeOf(req);
  if (x?.transferEncoding === undefined) return;
  req.headers['transfer-encoding'] = x.transferEncoding;
  delete req.headers['content-length'];
}
