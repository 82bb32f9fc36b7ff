import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { BadRequestError, ClientTimeoutError, HeadersTooLargeError, type WormwatchError } from '../errors.js';
import { sendError, sendRawError } from './respond.js';

type PendingSocket = Duplex & { _httpMessage?: ServerResponse | null };

/**
 * Node's `clientError`: the request could not be parsed (or timed out) so there is no request
 * object. Answer 431/408/400 on the socket and close it; never throw. When earlier pipelined
 * requests on the connection still wait for their answers, the error answer waits for them:
 * written at once it would arrive in the place of an answer the origin is still preparing, and
 * the client would take it for that request's (a desynchronised response).
 */
export function clientErrorHandler(
  logger: Logger,
  /** Judges the bytes that could not be parsed (a TLS handshake, an SSH banner, a worm in a broken request); must not throw. */
  inspectUnparsed?: (socket: Duplex, firstLine: string) => void,
): (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => void {
  return (err, socket) => {
    logger.debug({ code: err.code, err: err.message }, 'malformed request');
    if (err.rawPacket !== undefined && err.rawPacket.length > 0 && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') inspectUnparsed?.(socket, firstLine(err.rawPacket));
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = err.code === 'HPE_HEADER_OVERFLOW' ? new HeadersTooLargeError() : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? new ClientTimeoutError() : new BadRequestError();
    // No body for what was a HEAD request, as far as its first bytes tell.
    const head = err.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    const pending = (socket as PendingSocket)._httpMessage;
    // The request being answered has not arrived whole: the error is in its own body (a bad
    // chunk), so it is that request that gets the 400, and its origin request is dropped.
    if (pending !== undefined && pending !== null && pending.req?.complete === false) return failInBody(pending, socket, answer);
    afterPending(socket as PendingSocket, () => sendRawError(socket, answer, head));
  };
}

function failInBody(res: ServerResponse, socket: Duplex, answer: WormwatchError): void {
  if (res.headersSent) {
    socket.destroy();
    return;
  }
  res.once('finish', () => socket.destroy());
  sendError(res, answer, { connection: 'close' });
}

/** Runs `then` once no response is in progress or queued on the socket (at once if none is). */
function afterPending(socket: PendingSocket, then: () => void): void {
  // A response stays attached until its 'finish' has been handled (then Node detaches it and
  // attaches the next queued one), even when it has already written everything.
  const pending = socket._httpMessage;
  if (pending === undefined || pending === null) {
    if (socket.writable) then();
    else socket.destroy();
    return;
  }
  // Node attaches the next queued response when this one finishes; look again after that.
  pending.once('finish', () => setImmediate(() => afterPending(socket, then)));
  pending.once('close', () => {
    if (!pending.writableFinished) socket.destroy();
  });
}

/** Most bytes of an unparsable request judged: what nginx would log of it as the request line. */
export const UNPARSED_LINE_MAX = 8192;

/**
 * The first line of bytes that were not HTTP, as latin1 (one character per byte, so `\x16\x03`
 * stays matchable), at most UNPARSED_LINE_MAX bytes: the text a `non-http` signature's `raw`
 * target sees, as it sees nginx's logged line of the same bytes.
 */
export function firstLine(raw: Buffer): string {
  const head = raw.subarray(0, UNPARSED_LINE_MAX);
  const end = head.indexOf(10);
  return head.subarray(0, end < 0 ? head.length : end).toString('latin1').replace(/\r$/, '');
}
