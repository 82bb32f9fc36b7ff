import type { Exchange } from './exchange.js';

/** Methods that may be sent twice (RFC 9110 section 9.2.2) and that carry no body here. */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The errors of a socket the origin had already closed: the request never reached it. */
const STALE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Whether a failed request is sent once more, on a fresh connection: a keep-alive socket from
 * the pool that the origin closed just as it was reused (the origin's idle limit raced ours).
 * As Envoy and HAProxy do, only when that is certain to be harmless: an idempotent method with
 * no body, a reused socket that failed before a single response byte arrived, never twice, and
 * only while the client still waits.
 */
export function shouldRetry(x: Exchange, err: unknown): boolean {
  const upstream = x.upstream;
  if (upstream === undefined || x.retried || x.answered || !upstream.reusedSocket) return false;
  if (!REPLAYABLE.has(x.req.method ?? '') || hasBody(x)) return false;
  if (!STALE.has((err as NodeJS.ErrnoException | undefined)?.code ?? '')) return false;
  if ((upstream.socket?.bytesRead ?? x.socketBytes) !== x.socketBytes) return false;
  return 'headersSent' in x.res ? !x.res.headersSent && !x.res.destroyed : false;
}

function hasBody(x: Exchange): boolean {
  const length = x.req.headers['content-length'];
  return x.transferEncoding !== undefined || (length !== undefined && length !== '0');
}
