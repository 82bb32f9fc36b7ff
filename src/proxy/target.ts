import type { IncomingMessage } from 'node:http';

/**
 * Never an open proxy. wormwatch only ever connects to the configured upstream, and only
 * forwards origin-form targets (`/path?query`) and `OPTIONS *`. An absolute-form target
 * (`GET http://host/path`) is accepted only when its authority is the request's own Host (RFC 9112
 * section 3.2.2 lets clients send that to any server); it is then forwarded with the path alone.
 * Any other absolute-form or authority-form target is refused with 400; CONNECT gets 405 (see
 * `index.ts`).
 *
 * @returns true when `req.url` is now a target to forward (rewritten in place if it was absolute).
 */
export function acceptTarget(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  if (url.charCodeAt(0) === 47 /* '/' */) return true;
  if (url === '*') return req.method === 'OPTIONS';
  const m = /^https?:\/\/([^/?#]*)(.*)$/is.exec(url);
  if (m === null) return false;
  const host = req.headers.host;
  if (host === undefined || m[1]!.toLowerCase() !== host.toLowerCase()) return false;
  const rest = m[2]!;
  req.url = rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
  return true;
}
