/**
 * A real node:http origin on 127.0.0.1, on a free port, for tests that need something behind the
 * proxy. Each request is recorded (method, target as received, headers); `routes` answer by exact
 * path (the part before `?`), anything else gets `fallback` (by default a JSON echo of the request).
 *
 *   const origin = await startOrigin({ routes: { '/missing': (req, res) => { res.statusCode = 404; res.end(); } } });
 *   ... fetch through the proxy to origin.url ...
 *   await origin.close();
 */
import http, { type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface RecordedRequest {
  method: string;
  /** The request-target exactly as the origin received it. */
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
}

export interface OriginOptions {
  routes?: Record<string, RequestListener>;
  fallback?: RequestListener;
  /** Handles `upgrade` requests (e.g. a `ws` WebSocketServer's handleUpgrade). */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface Origin {
  server: Server;
  port: number;
  /** `http://127.0.0.1:PORT`, for `--upstream`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Default answer: 200 with `{method, url, headers}` as JSON. */
export const echo: RequestListener = (req, res) => {
  req.resume();
  req.on('end', () => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
};

export async function startOrigin(opts: OriginOptions = {}): Promise<Origin> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    const path = (req.url ?? '').split('?')[0]!;
    const route = opts.routes?.[path] ?? opts.fallback ?? echo;
    route(req, res);
  });
  if (opts.onUpgrade) server.on('upgrade', opts.onUpgrade);
  // closeAllConnections() does not reach upgraded sockets; close() must not wait for them.
  const sockets = new Set<Duplex>();
  server.on('connection', (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      }),
  };
}
