import ipaddr from 'ipaddr.js';
import { canonicalIp } from '../address.js';

/**
 * What a ban is keyed by. An IPv4 address bans itself; an IPv6 address bans its whole prefix
 * (`--ban-ipv6-prefix`, default /64: one host is handed a /64 and picks any address in it, so a
 * ban of one address would be walked around by the next). A blocked exposed path is keyed
 * `path:<the path as resolved>`, so it can never be mistaken for an address.
 */

export const PATH_PREFIX = 'path:';

/** The key of `ip`'s ban: `198.51.100.7`, `2001:db8:1:2::/64`; null when `ip` is not an address. */
export function banKey(ip: string, ipv6Prefix: number): string | null {
  const canonical = canonicalIp(ip);
  if (canonical === null) return null;
  if (!canonical.includes(':') || ipv6Prefix >= 128) return canonical;
  return `${networkOf(ipaddr.IPv6.parse(canonical), ipv6Prefix)}/${ipv6Prefix}`;
}

/** The network address of `addr`'s first `bits` bits, in RFC 5952 text. */
function networkOf(addr: ipaddr.IPv6, bits: number): string {
  const parts = addr.parts.slice();
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    parts[i] = parts[i]! & (keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff);
  }
  return new ipaddr.IPv6(parts).toRFC5952String();
}

/** The key blocking requests for `path` (a resolved path, lower-case, without the query). */
export function pathKey(path: string): string {
  return PATH_PREFIX + path;
}

export function isPathKey(key: string): boolean {
  return key.startsWith(PATH_PREFIX);
}
