import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyContext } from './context.js';
import { closeIfBodyUnread } from './respond.js';
import { stripHopByHop } from './hop-by-hop.js';

const NOT_FOUND_PAGE =
  '<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>' +
  '<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n';

/**
 * `--intake`: behind nginx's `error_page 404 = @wormwatch`, every request received is one the
 * site answered 404. Both stages are inspected, `onNotFound` hears of it, and the client gets
 * the 404 page. Nothing is forwarded.
 */
export function intakeHandler(ctx: ProxyContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const transferEncoding = stripHopByHop(req.headers);
    const ip = ctx.clientAddress(req);
    const n = ctx.inspector.normalise(req);
    ctx.inspector.inspect(ip, n, 'request', 'observed');
    ctx.inspector.answered(ip, n, 404, 'observed');
    ctx.onNotFound?.(ip, n, new Date());
    ctx.metrics.requests.inc({ outcome: 'observed' });
    // The body is of no interest: the connection closes rather than it being read.
    res.writeHead(404, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(NOT_FOUND_PAGE),
      ...closeIfBodyUnread(req, transferEncoding),
      ...(ctx.closing ? { connection: 'close' } : undefined),
    });
    res.end(req.method === 'HEAD' ? undefined : NOT_FOUND_PAGE);
  };
}

/**
 * `--mirror`: nginx's `mirror` sends a copy of each request and ignores the answer. Inspected at
 * the request stage only; answered 204 at once, forwarded nowhere.
 */
export function mirrorHandler(ctx: ProxyContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const transferEncoding = stripHopByHop(req.headers);
    const ip = ctx.clientAddress(req);
    ctx.inspector.inspect(ip, ctx.inspector.normalise(req), 'request', 'observed');
    ctx.metrics.requests.inc({ outcome: 'observed' });
    res.writeHead(204, { ...closeIfBodyUnread(req, transferEncoding), ...(ctx.closing ? { connection: 'close' } : undefined) });
    res.end();
  };
}
