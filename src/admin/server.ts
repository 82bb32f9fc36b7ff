import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ListenAddress } from '../config/parse.js';
import type { OffenderStore } from '../offenders/store.js';
import { PUBLIC_PATHS, refusalOf } from './guard.js';
import type { Metrics } from '../metrics.js';
import { offenderRoutes } from '../offenders/routes.js';
import { BadRequestError, InternalError, MethodNotAllowedError, NotFoundError, WormwatchError } from '../errors.js';
import { writeBody } from './compress.js';
import { sendError, sendJson, type AdminRoute } from './route.js';


export interface AdminServerDeps {
  metrics: Metrics;
  offenders: OffenderStore;
  /** True while the proxy listens and is not shutting down (drives `/readyz`). */
  isReady: () => boolean;
  routes?: AdminRoute[];
  logger?: Logger;
  /** The admin token in force (see `admin/token.ts`); undefined: loopback callers only. */
  token?: () => string | undefined;
  /** Serve only `/metrics`, `/healthz` and `/readyz` (the `--metrics-listen` port). */
  publicOnly?: boolean;
}

export interface AdminServer {
  server: http.Server;
  listen(address: ListenAddress): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Cap on a slow or stuck admin client, so scrapes cannot pile up sockets. */
const ADMIN_REQUEST_TIMEOUT_MS = 30_000;

export function createAdminServer(deps: AdminServerDeps): AdminServer {
  // The extensions' routes before the local offender routes: fleet mode answers /offenders for the fleet.
  const all = [...builtinRoutes(deps), ...(deps.routes ?? []), ...offenderRoutes(deps.offenders)];
  const routes = deps.publicOnly ? all.filter((r) => PUBLIC_PATHS.has(r.path)) : all;
  const token = deps.token ?? (() => undefined);
  const server = http.createServer({ requestTimeout: ADMIN_REQUEST_TIMEOUT_MS }, (req, res) => {
    dispatch(routes, req, res, token()).catch((err: unknown) => fail(res, err, deps.logger));
  });
  return {
    server,
    listen: (address) => listen(server, address),
    close: () => close(server),
  };
}

function builtinRoutes({ metrics, isReady }: AdminServerDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        const body = await metrics.registry.metrics();
        writeBody(res, 200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }, body);
      },
    },
    { method: 'GET', path: '/healthz', handle: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handle: (_req, res) => (isReady() ? sendJson(res, 200, { status: 'ready' }) : sendJson(res, 503, { status: 'not ready' })),
    },
  ];
}

async function dispatch(routes: AdminRoute[], req: http.IncomingMessage, res: http.ServerResponse, token: string | undefined): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://admin.invalid');
  } catch {
    return sendError(res, new BadRequestError('malformed request target'));
  }
  const refusal = refusalOf(req, url.pathname, token);
  if (refusal !== null) return sendError(res, refusal.error, refusal.headers);
  const onPath = matchPath(routes, url.pathname);
  if (onPath.length === 0) return sendError(res, new NotFoundError(`no such endpoint: ${url.pathname}`));
  // HEAD is served by the GET handler; Node drops the body of a HEAD response itself.
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const route = onPath.find((r) => r.method.toUpperCase() === method);
  if (!route) {
    const allow = [...new Set(onPath.map((r) => r.method.toUpperCase()))].join(', ');
    res.setHeader('Allow', allow);
    return sendError(res, new MethodNotAllowedError(`method ${req.method} not allowed here; allowed: ${allow}`));
  }
  await route.handle(req, res, url);
}

/** Routes for this path: exact matches if any, else those of the longest matching prefix. */
function matchPath(routes: AdminRoute[], pathname: string): AdminRoute[] {
  const exact = routes.filter((r) => r.path === pathname);
  if (exact.length > 0) return exact;
  // `/` (the page) is a path of its own, never a prefix of every other.
  const prefixed = routes.filter((r) => r.path.endsWith('/') && r.path !== '/' && pathname.startsWith(r.path) && pathname.length > r.path.length);
  const longest = Math.max(0, ...prefixed.map((r) => r.path.length));
  return prefixed.filter((r) => r.path.length === longest);
}

function fail(res: http.ServerResponse, err: unknown, logger?: Logger): void {
  // A handler's refusal (a bad body, a conflict) is the caller's mistake, answered as such.
  if (err instanceof WormwatchError && err.status < 500 && !res.headersSent) return sendError(res, err);
  logger?.error({ err }, 'admin request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendError(res, new InternalError());
}

function listen(server: http.Server, { host, port }: ListenAddress): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function close(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // A scrape still running after a second is not worth delaying shutdown for.
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}
