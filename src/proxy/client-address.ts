import type { IncomingMessage } from 'node:http';
import { compileProxyTrust, forwardedClient, normaliseAddress } from '../address.js';

export { normaliseAddress } from '../address.js';

/** Finds a request's client address; built once per proxy from `--trust-proxy`. */
export type ClientAddressOf = (req: IncomingMessage) => string;

/**
 * Without trusted proxies the client is the socket peer. With them it is the right-most
 * `X-Forwarded-For` entry not in a trusted range (`proxy-addr` semantics, in `forwardedClient`,
 * which `wormwatch scan` shares), so a client cannot pick its own address by sending the header:
 * only entries appended by trusted hops count.
 */
export function clientAddressResolver(trustProxy: readonly string[]): ClientAddressOf {
  const trust = compileProxyTrust(trustProxy);
  if (trust === null) return (req) => peerAddress(req);
  return (req) => forwardedClient(req.socket.remoteAddress, req.headers['x-forwarded-for'], trust);
}

const PEER = Symbol('wormwatch.peer');
type PeerTagged = { [PEER]?: string };

/**
 * The socket peer, normalised once per connection rather than once per request: parsing the
 * address costs more than the rest of the request's inspection, and a keep-alive connection
 * carries many requests from the one peer.
 */
export function peerAddress(req: IncomingMessage): string {
  const socket = req.socket as IncomingMessage['socket'] & PeerTagged;
  return (socket[PEER] ??= normaliseAddress(socket.remoteAddress));
}

/** Whether the socket peer is one of the trusted proxies (may set forwarding headers). */
export function trustedPeerTest(trustProxy: readonly string[]): (req: IncomingMessage) => boolean {
  const trust = compileProxyTrust(trustProxy);
  if (trust === null) return () => false;
  return (req) => {
    const peer = req.socket.remoteAddress;
    return peer !== undefined && trust(peer, 0);
  };
}
