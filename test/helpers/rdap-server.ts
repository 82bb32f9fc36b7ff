/**
 * A loopback RDAP server (127.0.0.1, ephemeral port) for the tests: serves fixtures by path,
 * records every request, and misbehaves on request (status, delay, Retry-After, redirects, a
 * body that never ends, a body that stalls).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RdapBehaviour {
  status?: number;
  /** JSON value (serialised) or raw text. Default: the RFC 9083 error object for the status. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before sending headers (a slow server). */
  delayMs?: number;
  retryAfter?: string;
  /** Redirect target (sent as `Location`). */
  location?: string;
  /** Stream this many bytes of an endless JSON string (over-long answers); stops when the client leaves. */
  streamBytes?: number;
  /** Send headers and part of a body, then stall. */
  stallBody?: boolean;
}

export type Route = RdapBehaviour | ((path: string, hit: number) => RdapBehaviour);

export interface RecordedRequest {
  path: string;
  accept: string | undefined;
  userAgent: string | undefined;
}

export interface TestRdapServer {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  origin: string;
  requests: RecordedRequest[];
  /** Bytes written by streaming routes (to check an over-long body was cut off). */
  streamed: number;
  /** Most requests open at the same time so far. */
  maxConcurrent: number;
  /** Sets or replaces the route for an exact path, e.g. `/ripe/ip/193.0.6.139`. */
  route(path: string, r: Route): void;
  /** Requests whose path starts with `prefix`. */
  hits(prefix: string): number;
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

export async function startRdapServer(routes: Record<string, Route> = {}): Promise<TestRdapServer> {
  const table = new Map<string, Route>(Object.entries(routes));
  const counts = new Map<string, number>();
  let active = 0;
  const state: TestRdapServer = {
    url: '',
    origin: '',
    requests: [],
    streamed: 0,
    maxConcurrent: 0,
    route: (path, r) => void table.set(path, r),
    hits: (prefix) => state.requests.filter((r) => r.path.startsWith(prefix)).length,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const path = decodeURI((req.url ?? '/').split('?')[0]!);
    state.requests.push({ path, accept: req.headers.accept, userAgent: req.headers['user-agent'] });
    active++;
    state.maxConcurrent = Math.max(state.maxConcurrent, active);
    res.once('close', () => active--);
    const hit = (counts.get(path) ?? 0) + 1;
    counts.set(path, hit);
    const route = table.get(path);
    const b: RdapBehaviour = typeof route === 'function' ? route(path, hit) : route ?? { status: 404 };
    const respond = (): void => serve(res, b, (n) => (state.streamed += n));
    if (b.delayMs) setTimeout(respond, b.delayMs).unref();
    else respond();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.origin = `http://127.0.0.1:${port}`;
  state.url = `${state.origin}/`;
  return state;
}

function serve(res: http.ServerResponse, b: RdapBehaviour, onStreamed: (n: number) => void): void {
  if (res.destroyed) return;
  const status = b.status ?? 200;
  const headers: Record<string, string> = { 'content-type': 'application/rdap+json', ...b.headers };
  if (b.retryAfter !== undefined) headers['retry-after'] = b.retryAfter;
  if (b.location !== undefined) headers.location = b.location;
  if (b.streamBytes !== undefined) return streamEndless(res, status, headers, b.streamBytes, onStreamed);
  const body = b.body === undefined ? JSON.stringify(errorObject(status)) : typeof b.body === 'string' ? b.body : JSON.stringify(b.body);
  if (b.stallBody) {
    res.writeHead(status, headers);
    res.write(body.slice(0, Math.max(1, body.length >> 1)));
    return; // never ends; the client's time-out must cut it
  }
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** `{"x":"aaaa...` for up to `limit` bytes, paced by the socket, until the client goes away. */
function streamEndless(res: http.ServerResponse, status: number, headers: Record<string, string>, limit: number, onStreamed: (n: number) => void): void {
  res.writeHead(status, headers);
  let sent = 0;
  const first = Buffer.from('{"vcardArray":["vcard",[["fn",{},"text","');
  const chunk = Buffer.alloc(CHUNK, 'a');
  const pump = (): void => {
    while (!res.destroyed && sent < limit) {
      const piece = sent === 0 ? first : chunk;
      sent += piece.length;
      onStreamed(piece.length);
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end('"]]]}');
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}

/** RFC 9083 §6 error response. */
export function errorObject(status: number): { errorCode: number; title: string } {
  return { errorCode: status, title: http.STATUS_CODES[status] ?? 'Error' };
}
