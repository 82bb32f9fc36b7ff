import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Options } from '../config/options.js';
import type { NormalisedRequest } from '../detect/types.js';
import type { ProxyMetrics } from '../metrics.js';
import type { Logger } from '../log.js';
import { clientAddressResolver, normaliseAddress, trustedPeerTest } from './client-address.js';
import type { Inspector } from './inspect.js';

/** The settings the proxy reads, and no others. */
export type ProxyOptions = Pick<Options,
  'upstream' | 'listen' | 'mode' | 'blockStatus' | 'trustProxy' | 'trustAllProxies' | 'clientIpHeader' | 'connectTimeout' | 'responseTimeout'
  | 'clientTimeout' | 'headersTimeout' | 'maxHeaderSize' | 'upstreamMaxSockets' | 'shutdownGrace' | 'intake' | 'mirror'>;

/** The bans the request path reads (block mode): in-memory answers, never a wait. */
export interface BanLookup {
  /** Milliseconds left of the ban covering this client address, or 0. */
  remaining(ip: string): number;
  /** Whether the request's served path is blocked (it served a secret; --block-exposures). */
  pathBlocked(n: NormalisedRequest): boolean;
}

export const NO_BANS: BanLookup = { remaining: () => 0, pathBlocked: () => false };

/** What every request handler of one proxy shares; built once in `createProxy`. */
export interface ProxyContext {
  options: ProxyOptions;
  metrics: ProxyMetrics;
  logger: Logger;
  inspector: Inspector;
  bans: BanLookup;
  onNotFound: ((ip: string, req: NormalisedRequest, at: Date) => void) | undefined;
  /** The client address of a request (after `--trust-proxy` / `--client-ip-header`). */
  clientAddress(req: IncomingMessage): string;
  /** Whether the socket peer is a trusted proxy (its forwarding headers are believed). */
  isTrustedPeer(req: IncomingMessage): boolean;
  /** True once `close()` has begun: responses then close their connection. */
  closing: boolean;
}

export function addressFunctions(options: Pick<Options, 'trustProxy' | 'clientIpHeader'>): Pick<ProxyContext, 'clientAddress' | 'isTrustedPeer'> {
  const fromForwardedFor = clientAddressResolver(options.trustProxy);
  const isTrustedPeer = trustedPeerTest(options.trustProxy);
  const header = options.clientIpHeader;
  if (header === undefined) return { clientAddress: fromForwardedFor, isTrustedPeer };
  return {
    isTrustedPeer,
    clientAddress(req) {
      const value = req.headers[header];
      if (typeof value === 'string' && isTrustedPeer(req)) {
        const address = normaliseAddress(value.trim());
        if (isIP(address) !== 0) return address;
      }
      return fromForwardedFor(req);
    },
  };
}
