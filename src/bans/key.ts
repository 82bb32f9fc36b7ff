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

/**
 * The same key for an address already in canonical text (the proxy's client address), without a
 * parsing library: a few hundred nanoseconds rather than ipaddr.js's several microseconds, paid
 * by every IPv6 request while any IPv6 ban exists. Anything unexpected goes the slow, sure way.
 */
export function canonicalBanKey(ip: string, ipv6Prefix: number): string | null {
  if (!ip.includes(':')) return ip;
  if (ipv6Prefix >= 128) return ip;
  const groups = hextets(ip);
  if (groups === null) return banKey(ip, ipv6Prefix);
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, ipv6Prefix - i * 16));
    groups[i] = groups[i]! & (keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff);
  }
  return `${rfc5952(groups)}/${ipv6Prefix}`;
}

/**
 * The eight 16-bit groups of lower-case IPv6 text without an embedded IPv4 part, or null. One
 * pass over the characters: split and regular expressions cost several times more.
 */
function hextets(text: string): number[] | null {
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return null;
  const head = groupsIn(text, 0, gap < 0 ? text.length : gap);
  const tail = gap < 0 ? [] : groupsIn(text, gap + 2, text.length);
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (gap < 0 ? missing !== 0 : missing < 1) return null;
  for (let i = 0; i < missing; i++) head.push(0);
  for (const g of tail) head.push(g);
  return head;
}

/** The `:`-separated hex groups of `text[from, to)`: none for an empty range; null for an empty or bad group. */
function groupsIn(text: string, from: number, to: number): number[] | null {
  const out: number[] = [];
  if (from === to) return out;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? text.charCodeAt(i) : 58; // the end closes the last group like a ':'
    if (c === 58) {
      if (digits === 0) return null;
      out.push(value);
      value = 0;
      digits = 0;
      continue;
    }
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0 || ++digits > 4) return null;
    value = value * 16 + d;
  }
  return out;
}

/** RFC 5952 text: the first longest run of two or more zero groups as `::`, hex without leading zeros. */
function rfc5952(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
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
