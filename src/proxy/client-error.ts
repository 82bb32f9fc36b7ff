import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { sendRawError } from './errors.js';

/**
 * Node's `clientError`: the request could not be parsed (or timed out) so there is no request
 * object. Answer 431/408/400 on the socket and close it; never throw.
 */
export function clientErrorHandler(logger: Logger): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    logger.debug({ code: err.code, err: err.message }, 'malformed request');
    // A response already under way on this keep-alive socket must not get a second status line.
    const inProgress = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent === true) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') sendRawError(socket, 431, 'ERR_HEADERS_TOO_LARGE');
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') sendRawError(socket, 408, 'ERR_CLIENT_TIMEOUT');
    else sendRawError(socket, 400, 'ERR_BAD_REQUEST');
  };
}
