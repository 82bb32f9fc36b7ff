import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

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
