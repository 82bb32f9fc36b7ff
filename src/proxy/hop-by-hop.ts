import type { IncomingHttpHeaders } from 'node:http';

// RFC 9110 section 7.6.1: these, and every header named in Connection, apply to one hop only.
const HOP_BY_HOP = ['connection', 'proxy-connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'expect'] as const;

/**
 * Removes hop-by-hop headers from a request or response header object, in place.
 *
 * `trailer` goes too (http-proxy issue #1647: a client `Trailer:` header wedged the old library),
 * and `expect`: Node has already answered `100 Continue` to the client, so the origin must not be
 * asked again. `transfer-encoding` is returned rather than lost: a request body Node de-chunked
 * must be re-chunked towards the origin, or its bytes would be read there as a next request.
 *
 * @returns the removed `transfer-encoding` value, if any.
 */
export function stripHopByHop(headers: IncomingHttpHeaders): string | undefined {
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !isEndToEndFraming(name)) delete headers[name];
    }
  }
  const transferEncoding = headers['transfer-encoding'];
  // Most messages carry none or one of these: a `delete` of an absent name still costs a
  // dictionary lookup on an object already in dictionary mode, a read is cheaper.
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  return transferEncoding;
}

/** Headers a client could name in `Connection` to make a proxy drop what the origin relies on. */
function isEndToEndFraming(name: string): boolean {
  return name === 'content-length' || name === 'host';
}
