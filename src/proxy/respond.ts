import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import {
  UpstreamConnectTimeoutError,
  UpstreamProtocolError,
  UpstreamRefusedError,
  WormwatchError,
} from '../errors.js';

const REFUSED = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** Maps whatever the forwarding failed with to one of our coded errors. */
export function toUpstreamError(err: unknown): WormwatchError {
  if (err instanceof WormwatchError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (code === 'ETIMEDOUT') return new UpstreamConnectTimeoutError(undefined, { cause: err });
  if (REFUSED.has(code)) return new UpstreamRefusedError(undefined, { cause: err });
  return new UpstreamProtocolError(undefined, { cause: err });
}

/**
 * A short plain-text answer naming the error's code, sent by wormwatch itself, with the error's
 * status (or `status`: block mode answers with `--block-status`).
 */
export function sendError(res: ServerResponse, err: WormwatchError, extra?: OutgoingHttpHeaders, status = err.status): void {
  const code = err.code;
  if (res.headersSent) {
    // Too late for a status: cut the response so the client sees it is incomplete.
    res.destroy();
    return;
  }
  const body = `${status} ${STATUS_CODES[status] ?? 'Error'}: ${code}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
}

/**
 * Headers for an answer given without reading the request body: rather than have Node read and
 * discard a body of any size, the connection closes after the answer.
 */
export function closeIfBodyUnread(req: IncomingMessage, transferEncoding: string | undefined): OutgoingHttpHeaders | undefined {
  if (req.complete || req.readableEnded) return undefined;
  const length = req.headers['content-length'];
  const hasBody = transferEncoding !== undefined || (length !== undefined && length !== '0');
  return hasBody ? { connection: 'close' } : undefined;
}

/** The same answer written on a raw socket (upgrade requests, CONNECT, parse errors), then closed. */
export function sendRawError(socket: Duplex, err: WormwatchError, headRequest = false): void {
  const { status, code } = err;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${status} ${STATUS_CODES[status] ?? 'Error'}: ${code}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nconnection: close\r\n` +
      `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${headRequest ? '' : body}`,
  );
  // Once flushed, close both ways: a half-open socket from a bad client must not linger.
  socket.once('finish', () => socket.destroy());
}
