/**
 * A raw-socket (node:net) HTTP/1.1 origin on 127.0.0.1:0 that parses with its OWN strict parser
 * (`http1-parse.ts`, never node:http) and records, per connection, every request it parsed and
 * the raw bytes it received. Each request is answered with a small response naming it:
 *
 *   HTTP/1.1 200 OK | x-fuzz-echo: <the request's x-fuzz-id, or ->
 *   x-fuzz-conn: <connection number> | body: `echo <id> <method> <target>\n` (target JSON-escaped)
 *
 * Strict means: obs-fold, whitespace before a colon, bare CR, CTLs in values, conflicting or
 * duplicate Content-Length, Content-Length with Transfer-Encoding, a coding other than a final
 * `chunked`, bad chunk sizes or extensions all get `400` and the connection closed (the request
 * is recorded in `rejections`). A bare LF ends a line of the head (RFC 9112 section 2.2 lets a
 * recipient accept it; IIS and nginx do, so a smuggled request written with LFs is seen).
 * A request with neither Content-Length nor Transfer-Encoding has NO body: whatever follows its
 * head is parsed as the next request. Requests an HTTP/1.1 server must refuse but can delimit
 * (no Host, ...) get `400` and the connection stays open; control bytes in a target are kept
 * (IIS 5 took them: the Welchia WebDAV overflow carries them).
 *
 * Options (all optional):
 * - `answerEarly(req)`: answer as soon as the head is parsed, before the body, and keep reading
 *   it. Default: the path is `/early` or under `/early/`.
 * - `answerDelayMs(req)`: wait this long before answering (answers stay in request order).
 *   Default: 0.
 * - `closeAfterAnswerMs`: close each connection this many ms after an answer (a keep-alive
 *   origin that retires connections, for stale-pool tests). Default: never.
 * - `headBody`: send the body on HEAD responses too (a broken origin), always or for the
 *   requests the function picks. Default: false.
 * - `idleTimeoutMs`: close connections idle this long. Default: never; sockets are kept open
 *   forever, even in the middle of a body that never comes (what makes a leak visible).
 * - `bareLf` (default true), `maxHeadBytes` (default 64 KiB), `maxRecordedBytes` per connection
 *   (default 1 MiB) and `maxTotalRecordedBytes` in all (default 64 MiB), beyond which bytes are
 *   only counted, `maxRequests` recorded in all (100,000); 4 KiB of each body is kept.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { RequestParser, type ParsedRequest } from './http1-parse.js';

export interface OriginRequest extends ParsedRequest {
  connId: number;
  /** Position of the request on its connection. */
  seq: number;
  /** The one `x-fuzz-id` value, or undefined if there is none or more than one. */
  fuzzId: string | undefined;
  /** When the answer was written (undefined while it is owed). */
  answeredAt: number | undefined;
}

export interface OriginConnection {
  id: number;
  openedAt: number;
  closedAt: number | undefined;
  raw: Buffer[];
  rawBytes: number;
  requests: OriginRequest[];
  error: { code: string; offset: number } | undefined;
  /** A request is being read or awaits its answer. */
  busy: boolean;
}

export interface RawOriginOptions {
  answerEarly?: (req: OriginRequest) => boolean;
  answerDelayMs?: (req: OriginRequest) => number;
  closeAfterAnswerMs?: number;
  headBody?: boolean | ((req: OriginRequest) => boolean);
  idleTimeoutMs?: number;
  bareLf?: boolean;
  maxHeadBytes?: number;
  maxRecordedBytes?: number;
  maxTotalRecordedBytes?: number;
  maxRequests?: number;
}

export interface RawOrigin {
  port: number;
  url: string;
  connections: OriginConnection[];
  /** Every request parsed, in arrival order (bounded by `maxRequests`). */
  requests: OriginRequest[];
  /** Requests whose head was read but refused as malformed (connection then closed). */
  rejections: OriginRequest[];
  /** Parsed requests beyond `maxRequests` (counted, not kept). */
  droppedRequests: number;
  /** Raw bytes kept, all connections together. */
  recordedBytes: number;
  openSockets(): number;
  busySockets(): OriginConnection[];
  close(): Promise<void>;
}

/** Stands for a request whose head could not be read, in the answer to it. */
const UNKNOWN_REQUEST = { method: '', target: '', fuzzId: undefined, connId: 0 } as unknown as OriginRequest;

const isEarlyPath = (r: OriginRequest): boolean => /^\/early(?:[/?]|$)/.test(r.target);

export async function startRawOrigin(opts: RawOriginOptions = {}): Promise<RawOrigin> {
  const sockets = new Set<net.Socket>();
  const origin: RawOrigin = {
    port: 0,
    url: '',
    connections: [],
    requests: [],
    rejections: [],
    droppedRequests: 0,
    recordedBytes: 0,
    openSockets: () => sockets.size,
    busySockets: () => origin.connections.filter((c) => c.closedAt === undefined && c.busy),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, origin, opts);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin.port = (server.address() as AddressInfo).port;
  origin.url = `http://127.0.0.1:${origin.port}`;
  return origin;
}

function fuzzIdOf(r: ParsedRequest): string | undefined {
  const ids = r.fields.filter(([n]) => n === 'x-fuzz-id');
  return ids.length === 1 ? ids[0]![1] : undefined;
}

function serveConnection(socket: net.Socket, origin: RawOrigin, opts: RawOriginOptions): void {
  const conn: OriginConnection = { id: origin.connections.length + 1, openedAt: Date.now(), closedAt: undefined, raw: [], rawBytes: 0, requests: [], error: undefined, busy: false };
  origin.connections.push(conn);
  const maxRaw = opts.maxRecordedBytes ?? 1 << 20;
  const maxTotal = opts.maxTotalRecordedBytes ?? 64 << 20;
  // Answers leave in request order, each after the previous one (delays do not reorder).
  let answering: Promise<void> = Promise.resolve();
  let pending = 0;
  let closing = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const early = opts.answerEarly ?? isEarlyPath;

  const refreshBusy = (): void => {
    conn.busy = pending > 0 || parser.midMessage;
  };
  const queueAnswer = (r: OriginRequest, status: number, close: boolean): void => {
    pending++;
    const delay = status === 200 ? (opts.answerDelayMs?.(r) ?? 0) : 0;
    answering = answering.then(async () => {
      if (delay > 0) await new Promise((res) => setTimeout(res, delay));
      const headBody = typeof opts.headBody === 'function' ? opts.headBody(r) : opts.headBody === true;
      if (!socket.destroyed) socket.write(responseFor(r, status, close, headBody), 'latin1');
      r.answeredAt = Date.now();
      pending--;
      refreshBusy();
      if (close) socket.end(() => socket.destroy());
      else if (opts.closeAfterAnswerMs !== undefined) setTimeout(() => socket.destroy(), opts.closeAfterAnswerMs).unref();
    });
  };
  const record = (p: ParsedRequest, into: OriginRequest[]): OriginRequest => {
    const r = p as OriginRequest;
    r.connId = conn.id;
    r.seq = conn.requests.length;
    r.fuzzId = fuzzIdOf(p);
    r.answeredAt = undefined;
    conn.requests.push(r);
    if (origin.requests.length + origin.rejections.length < (opts.maxRequests ?? 100_000)) into.push(r);
    else origin.droppedRequests++;
    return r;
  };
  const parser = new RequestParser(
    { lenient: false, bareLf: opts.bareLf ?? true, maxHeadBytes: opts.maxHeadBytes ?? 65536, maxBodyRecord: 4096 },
    {
      onHead(p) {
        if (closing) return;
        const r = record(p, origin.requests);
        if (early(r)) queueAnswer(r, p.refuse === 'must' ? 400 : 200, p.closeAfter);
      },
      onComplete(p) {
        if (closing) return;
        const r = p as OriginRequest;
        if (!early(r)) queueAnswer(r, p.refuse === 'must' ? 400 : 200, p.closeAfter);
        // A server reads nothing after a request that asked it to close.
        if (p.closeAfter) closing = true;
      },
      onError(e, p) {
        conn.error = { code: e.code, offset: e.offset };
        if (closing) return;
        closing = true;
        // A rejected head is recorded apart; an error in a body concerns a request already recorded.
        const r = p === undefined ? undefined : p.rejected ? record(p, origin.rejections) : (p as OriginRequest);
        if (r !== undefined && !r.rejected && early(r)) answering = answering.then(() => void socket.destroy());
        else queueAnswer(r ?? UNKNOWN_REQUEST, e.status, true);
      },
    },
  );
  socket.on('data', (data: Buffer) => {
    const room = Math.min(maxRaw - conn.rawBytes, maxTotal - origin.recordedBytes);
    if (room > 0) {
      conn.raw.push(data.subarray(0, room));
      origin.recordedBytes += Math.min(room, data.length);
    }
    conn.rawBytes += data.length;
    if (!closing) parser.feed(data);
    refreshBusy();
    if (opts.idleTimeoutMs !== undefined) {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => socket.destroy(), opts.idleTimeoutMs);
    }
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    conn.closedAt = Date.now();
    clearTimeout(idleTimer);
  });
}

/** JSON-escaped, so the echo line is one line whatever the target holds. */
function echoBody(r: OriginRequest): string {
  return `echo ${r.fuzzId ?? '-'} ${JSON.stringify(r.method)} ${JSON.stringify(r.target)}\n`;
}

function responseFor(r: OriginRequest, status: number, close: boolean, headBody: boolean): string {
  const body = echoBody(r);
  const reason = status === 200 ? 'OK' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  const id = (r.fuzzId ?? '-').replace(/[^\x21-\x7e]/g, '?');
  const send = r.method !== 'HEAD' || headBody;
  return (
    `HTTP/1.1 ${status} ${reason}\r\nx-fuzz-echo: ${id}\r\nx-fuzz-conn: ${r.connId ?? 0}\r\n` +
    `content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body, 'latin1')}\r\n` +
    (close ? 'connection: close\r\n' : '') +
    `\r\n${send ? body : ''}`
  );
}
