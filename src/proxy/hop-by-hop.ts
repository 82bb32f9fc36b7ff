import type { IncomingHttpHeaders } from 'node:http';

// RFC 9110 section 7.6.1: these, and every header named in Connection, apply to one hop only.
const HOP_BY_HOP = ['connection', 'proxy-connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'expect'] as const;

/**
 * Headers a client may not name in `Connection`. Dropping the framing headers would let the body
 * reach the origin unframed, where it reads as a second request nobody inspected (request
 * smuggling); dropping Host or the forwarding headers changes who the origin thinks is asking.
 * Envoy rejects nominated X-Forwarded-* headers the same way; nginx never honours nominations.
 */
const NOT_NOMINABLE = new Set(['transfer-encoding', 'content-length', 'host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'forwarded']);

/** The first header a request's `Connection` names that it must not (see NOT_NOMINABLE), or null. */
export function forbiddenNomination(headers: IncomingHttpHeaders): string | null {
  const connection = headers.connection;
  if (connection === undefined) return null;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (NOT_NOMINABLE.has(name)) return name;
  }
  return null;
}

/**
 * Removes hop-by-hop headers from a request or response header object, in place.
 *
 * `trailer` goes too (http-proxy issue #1647: a client `Trailer:` header wedged the old library),
 * and `expect`: Node has already answered `100 Continue` to the client, so the origin must not be
 * asked again. `transfer-encoding` is read before anything is removed and returned rather than
 * lost: a body Node de-chunked must be re-chunked towards the origin, or its bytes would be read
 * there as a next request. (Reading it after the names in Connection were dropped was the
 * `Connection: transfer-encoding` smuggling bug.)
 *
 * @returns the `transfer-encoding` value the message arrived with, if any.
 */
export function stripHopByHop(headers: IncomingHttpHeaders): string | undefined {
  const transferEncoding = headers['transfer-encoding'];
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !isEndToEndFraming(name)) delete headers[name];
    }
  }
  // Most messages carry none or one of these: a `delete` of an absent name still costs a
  // dictionary lookup on an object already in dictionary mode, a read is cheaper.
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  return transferEncoding;
}

/** Headers an origin could name in `Connection` to make a proxy drop what the client relies on. */
function isEndToEndFraming(name: string): boolean {
  return name === 'content-length' || name === 'host';
}
