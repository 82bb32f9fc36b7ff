import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';
import { normaliseAddress } from '../address.js';

export { normaliseAddress } from '../address.js';

/** Finds a request's client address; built once per proxy from `--trust-proxy`. */
export type ClientAddressOf = (req: IncomingMessage) => string;

/**
 * Without trusted proxies the client is the socket peer. With them it is the right-most
 * `X-Forwarded-For` entry not in a trusted range (`proxy-addr` semantics), so a client cannot
 * pick its own address by sending the header: only entries appended by trusted hops count.
 */
export function clientAddressResolver(trustProxy: readonly string[]): ClientAddressOf {
  if (trustProxy.length === 0) return (req) => peerAddress(req);
  const trust = proxyaddr.compile([...trustProxy]);
  return (req) => {
    const hops = proxyaddr.all(req, trust);
    // A non-address entry can only be one the client wrote before a forged trusted hop; fall
    // back to the nearest hop that is an address.
    for (let i = hops.length - 1; i >= 0; i--) {
      if (ipaddr.isValid(hops[i]!)) return normaliseAddress(hops[i]);
    }
    return peerAddress(req);
  };
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
  if (trustProxy.length === 0) return () => false;
  const trust = proxyaddr.compile([...trustProxy]);
  return (req) => {
    const peer = req.socket.remoteAddress;
    return peer !== undefined && trust(peer, 0);
  };
}
