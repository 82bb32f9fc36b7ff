import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyMetrics } from '../metrics.js';
import type { Options } from '../config/options.js';
import type { Engine, NormalisedRequest } from '../detect/types.js';
import { MethodNotAllowedError } from '../errors.js';
import type { DetectionListener } from '../detect/detection.js';
import type { Logger } from '../log.js';
import { clientErrorHandler } from './client-error.js';
import { normaliseAddress } from '../address.js';
import { splitRequestLine } from '../detect/request-line.js';
import { addressFunctions, NO_BANS, type BanLookup, type ProxyContext, type ProxyOptions } from './context.js';

export type { BanLookup, ProxyOptions } from './context.js';
import { sendRawError } from './respond.js';
import { forwardingHandlers } from './handlers.js';
import { stripHopByHop } from './hop-by-hop.js';
import { createInspector } from './inspect.js';
import { intakeHandler, mirrorHandler } from './observe.js';
import { checkProxyOptions } from './validate.js';

export { checkProxyOptions } from './validate.js';

export interface ProxyDeps {
  options: ProxyOptions;
  /** A getter, so a rules reload swaps the engine under a running proxy. */
  engine: () => Engine;
  metrics: ProxyMetrics;
  logger: Logger;
  /** Called synchronously for every detection; must return at once. */
  onDetection: DetectionListener;
  /** Called for every 404 the origin answers (every request in `--intake` mode). */
  onNotFound?: (ip: string, req: NormalisedRequest, at: Date) => void;
  /** Block mode: the bans to refuse (default none). */
  bans?: BanLookup;
}

export interface ProxyHandle {
  server: Server;
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

export function createProxy(deps: ProxyDeps): ProxyHandle {
  const { options, metrics, logger } = deps;
  checkProxyOptions(options);
  const ctx: ProxyContext = {
    options,
    metrics,
    logger,
    inspector: createInspector(deps.engine, deps.onDetection, logger),
    bans: deps.bans ?? NO_BANS,
    onNotFound: deps.onNotFound,
    closing: false,
    ...addressFunctions(options),
  };
  const server = http.createServer({
    maxHeaderSize: options.maxHeaderSize,
    headersTimeout: options.headersTimeout,
    // A whole-request deadline would cut long uploads; the idle time-out bounds slow ones.
    requestTimeout: 0,
    keepAliveTimeout: options.clientTimeout,
    // Node checks the headers time-out only this often (default 30 s).
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(options.headersTimeout / 4))),
  });
  server.timeout = options.clientTimeout;
  server.on('clientError', clientErrorHandler(logger, (socket, line) => inspectUnparsed(ctx, socket, line)));
  server.on('connect', (req: IncomingMessage, socket: Duplex) => refuseConnect(ctx, req, socket));

  const upgraded = new Set<Duplex>();
  let destroyForwarder = (): void => {};
  if (options.intake) server.on('request', intakeHandler(ctx));
  else if (options.mirror) server.on('request', mirrorHandler(ctx));
  else {
    const handlers = forwardingHandlers(ctx, options.upstream!);
    server.on('request', handlers.request);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      handlers.upgrade(req, socket, head);
    });
    metrics.upstreamSockets.watch(() => handlers.forwarder.stats());
    metrics.upstreamQueued.watch(() => handlers.forwarder.stats().queued);
    destroyForwarder = () => handlers.forwarder.destroy();
  }

  return {
    server,
    listen: () => listen(server, options.listen),
    async close(graceMs = options.shutdownGrace) {
      ctx.closing = true;
      await shutdown(server, upgraded, graceMs);
      destroyForwarder();
    },
  };
}

/**
 * Bytes that are not HTTP still say who sent them: a TLS handshake or an SSH banner on the HTTP
 * port (the `non-http` family), or a worm inside a request too broken to parse. Judged at the
 * request stage on the first line, as `scan` judges the line nginx logs of the same bytes; the
 * answer stays the 400 (or 431). The address is the socket peer: no header was parsed to say more.
 */
function inspectUnparsed(ctx: ProxyContext, socket: Duplex, line: string): void {
  try {
    const ip = normaliseAddress((socket as Duplex & { remoteAddress?: string }).remoteAddress);
    ctx.inspector.inspect(ip, ctx.inspector.normaliseView(splitRequestLine(line)), 'request', 'observed');
  } catch (err) {
    ctx.logger.error({ err }, 'inspecting an unparsable request failed');
  }
}

/** CONNECT would open a tunnel to any host: never. Inspected first, so probes are still seen. */
function refuseConnect(ctx: ProxyContext, req: IncomingMessage, socket: Duplex): void {
  stripHopByHop(req.headers);
  const ip = ctx.clientAddress(req);
  ctx.inspector.inspect(ip, ctx.inspector.normalise(req), 'request', 'blocked');
  ctx.metrics.requests.inc({ outcome: 'error' });
  sendRawError(socket, new MethodNotAllowedError());
}

function listen(server: Server, at: Options['listen']): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

async function shutdown(server: Server, upgraded: Set<Duplex>, graceMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Responses in flight now carry `Connection: close`; sweep each socket as it turns idle.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([closed, expired]);
  clearInterval(sweep);
  clearTimeout(timer);
  server.closeAllConnections();
  for (const socket of upgraded) socket.destroy();
  await closed;
}
