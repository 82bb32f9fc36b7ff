import type { IncomingMessage } from 'node:http';
import { BadFramingError, HttpVersionError, TransferCodingError, type WormwatchError } from '../errors.js';

/**
 * What a request's version and framing ask that no origin can be relied on to read the same way:
 * any version but HTTP/1.0 and 1.1 (HTTP/2.0, HTTP/0.9 with headers), a Transfer-Encoding on
 * HTTP/1.0, and any transfer coding but `chunked` alone (`gzip, chunked`, `identity, chunked`,
 * an empty value). Node parses these leniently; forwarded, the origin would frame the body its
 * own way. Decided on the headers as Node parsed them, before any is removed.
 */
export function protocolProblem(req: IncomingMessage): WormwatchError | null {
  if (req.httpVersionMajor !== 1 || (req.httpVersionMinor !== 0 && req.httpVersionMinor !== 1)) return new HttpVersionError(req.httpVersion);
  const te = req.headers['transfer-encoding'];
  if (te === undefined) return null;
  if (req.httpVersionMinor === 0) return new BadFramingError();
  if (te.trim().toLowerCase() !== 'chunked') return new TransferCodingError();
  return null;
}
