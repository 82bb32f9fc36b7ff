import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/**
 * One spelling per client address, wherever it came from (a socket, X-Forwarded-For, a log
 * line, an admin URL): `::ffff:192.0.2.1` is `192.0.2.1`, `2001:DB8::0:1` is `2001:db8::1`. So
 * each address names one offender, one notice, one ban.
 */

/** The canonical text of an address, or null when `text` is not one. */
export function canonicalIp(text: string): string | null {
  // net.isIP first: ipaddr.js alone would also take `1` or `0x7f.1` as IPv4 addresses.
  const version = isIP(text);
  if (version === 4) return text; // already canonical; skips ipaddr.js on the common path
  if (version === 0) return null;
  try {
    return ipaddr.process(text).toString();
  } catch {
    return null;
  }
}

/** The canonical text of an address, or `text` itself when it is not one (`unknown` when absent). */
export function normaliseAddress(text: string | undefined): string {
  if (text === undefined) return 'unknown';
  return canonicalIp(text) ?? text;
}

/** True when `addr` lies in one of the CIDRs (or equals one of the single addresses); IPv4 also matches IPv4-mapped ranges. */
export function matchesAny(addr: ipaddr.IPv4 | ipaddr.IPv6, cidrs: readonly string[]): boolean {
  for (const c of cidrs) {
    try {
      const [net, bits] = c.includes('/') ? ipaddr.parseCIDR(c) : cidrOfOne(c);
      const probe = net.kind() === addr.kind() ? addr : addr instanceof ipaddr.IPv4 && net.kind() === 'ipv6' ? addr.toIPv4MappedAddress() : null;
      if (probe && probe.match(net, bits)) return true;
    } catch {
      // Validated at config load; an unparsable entry simply matches nothing.
    }
  }
  return false;
}

function cidrOfOne(a: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const p = ipaddr.process(a);
  return [p, p.kind() === 'ipv4' ? 32 : 128];
}

/** Whether the address at hop `hop` (0: the peer) is a trusted proxy; compiled once from `--trust-proxy`. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * The trust test of `--trust-proxy` (proxy-addr's), or null when no proxy is trusted. proxy-addr
 * refuses a `/0` range, so one (allowed with `--trust-all-proxies`) is given as its two halves.
 */
export function compileProxyTrust(cidrs: readonly string[]): ProxyTrust | null {
  if (cidrs.length === 0) return null;
  return proxyaddr.compile(cidrs.flatMap((c) => (/\/0+$/.test(c.trim()) ? halves(c.trim()) : [c])));
}

function halves(everything: string): string[] {
  return ipaddr.parse(everything.replace(/\/0+$/, '')).kind() === 'ipv4' ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
}

/**
 * The client behind trusted proxies, for the proxy (a socket peer and its `X-Forwarded-For`) and
 * the log scanner (the logged peer and the logged field) alike, with proxy-addr's semantics: the
 * peer is the client unless trusted; then the list is walked from the right, each trusted entry
 * skipped, and the first untrusted entry is the client, so a client cannot pick its address by
 * sending the header: only entries appended by trusted hops count. proxy-addr reads a request,
 * so the two values are handed to it as one.
 */
export function forwardedClient(peer: string | undefined, forwardedFor: string | string[] | undefined, trust: ProxyTrust | null): string {
  if (trust === null) return normaliseAddress(peer);
  const hops = proxyaddr.all({ headers: { 'x-forwarded-for': forwardedFor }, socket: { remoteAddress: peer } } as unknown as IncomingMessage, trust);
  // A non-address entry can only be one the client wrote before a forged trusted hop (or a
  // garbled log field): fall back to the nearest hop that is an address.
  for (let i = hops.length - 1; i >= 0; i--) {
    if (ipaddr.isValid(hops[i]!)) return normaliseAddress(hops[i]);
  }
  return normaliseAddress(peer);
}
