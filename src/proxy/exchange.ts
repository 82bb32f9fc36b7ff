import type { Agent, ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NormalisedRequest } from '../detect/types.js';

/**
 * The one object kept per forwarded request: what the response side needs (client address,
 * the normalised request for the 404 stage, timers). Found again from the messages through a
 * symbol, so listeners are shared functions rather than closures made per request.
 */
export interface Exchange {
  req: IncomingMessage;
  /** The response, or the raw socket of an upgrade request. */
  res: ServerResponse | Duplex;
  ip: string;
  n: NormalisedRequest;
  /** The client's `Transfer-Encoding`, re-applied towards the origin (see hop-by-hop.ts). */
  transferEncoding: string | undefined;
  /** `performance.now()` when the request was handed to the origin. */
  started: number;
  upstream: ClientRequest | undefined;
  /** The agent in whose queue `upstream` waits for a socket, while it waits. */
  queuedIn: Agent | undefined;
  /** `socket.bytesRead` of the upstream socket when it was assigned: more read means a response began. */
  socketBytes: number;
  /** Sent again once on a fresh connection after its pooled socket turned out stale. */
  retried: boolean;
  /** The origin's response (or 101) has arrived. */
  answered: boolean;
  proxyRes: IncomingMessage | undefined;
  /** The forwarding failure was handled (the library may report one failure twice). */
  failed: boolean;
  /** Told when the client leaves before the origin answered (the `aborted` outcome). */
  onAbandoned?: ((x: Exchange) => void) | undefined;
  responseTimer: NodeJS.Timeout | undefined;
  /** While queued for a pooled socket, then while connecting: both bounded by `--connect-timeout`. */
  connectTimer: NodeJS.Timeout | undefined;
}

export const EXCHANGE = Symbol('wormwatch.exchange');

type Tagged = { [EXCHANGE]?: Exchange };

export function tag(target: object, x: Exchange): void {
  (target as Tagged)[EXCHANGE] = x;
}

export function exchangeOf(target: object): Exchange | undefined {
  return (target as Tagged)[EXCHANGE];
}

export function newExchange(req: IncomingMessage, res: ServerResponse | Duplex, ip: string, n: NormalisedRequest, transferEncoding: string | undefined): Exchange {
  const x: Exchange = {
    req, res, ip, n, transferEncoding, started: 0, upstream: undefined, queuedIn: undefined, socketBytes: 0, retried: false,
    answered: false, proxyRes: undefined, failed: false, onAbandoned: undefined, responseTimer: undefined, connectTimer: undefined,
  };
  tag(req, x);
  tag(res, x);
  return x;
}

export function clearTimers(x: Exchange): void {
  if (x.responseTimer !== undefined) clearTimeout(x.responseTimer);
  if (x.connectTimer !== undefined) clearTimeout(x.connectTimer);
  x.responseTimer = undefined;
  x.connectTimer = undefined;
}
