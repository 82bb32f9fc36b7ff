import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Longest text looked at: a full IPv6 address with an IPv4 tail is 45 characters; the rest
 * allows a short zone id. Anything longer is not parsed at all (bounds the cost of garbage).
 */
export const MAX_ADDRESS_TEXT = 64;

/** An address worth looking up, in the forms the two kinds of database want. */
export type LookupAddress =
  | { readonly version: 4; readonly text: string; readonly value: number }
  | { readonly version: 6; readonly text: string; readonly words: readonly [number, number, number, number] };

/** [network, prefix length] */
type Net4 = readonly [string, number];

// IANA IPv4 special-purpose ranges (RFC 6890 and successors) and multicast/reserved space:
// private, shared, loopback, link-local, documentation, benchmarking, 6to4 relay, AS112, AMT...
// None is one network's: the databases' answers for them are wrong or meaningless.
const SPECIAL_V4: readonly Net4[] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.31.196.0', 24], ['192.52.193.0', 24],
  ['192.88.99.0', 24], ['192.168.0.0', 16], ['192.175.48.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 3],
];

function parseV4(text: string): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      value = value * 256 + octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 0x30);
    }
  }
  return value * 256 + octet;
}

const SPECIAL_V4_MASKS = SPECIAL_V4.map(([net, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [parseV4(net) & mask, mask] as const;
});

export function isGlobalV4(value: number): boolean {
  for (const [net, mask] of SPECIAL_V4_MASKS) if (((value & mask) >>> 0) === net >>> 0) return false;
  return true;
}

/**
 * Global unicast IPv6: inside 2000::/3 (everything outside it is unassigned, ULA, link-local,
 * multicast...), but not 2001::/23 (IETF protocol assignments: Teredo, benchmarking, ORCHID),
 * 2001:db8::/32 and 3fff::/20 (documentation) or 2002::/16 (6to4, an IPv4 address in disguise).
 */
export function isGlobalV6(words: readonly [number, number, number, number]): boolean {
  const w0 = words[0];
  if (w0 >>> 29 !== 1) return false;
  const top16 = w0 >>> 16;
  if (top16 === 0x2001 && (w0 & 0xfe00) === 0) return false;
  if (w0 === 0x20010db8 || top16 === 0x2002 || w0 >>> 12 === 0x3fff0) return false;
  return true;
}

function v4Address(value: number): LookupAddress | null {
  if (!isGlobalV4(value)) return null;
  return { version: 4, text: `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`, value };
}

/**
 * Parses `input` strictly (net.isIP: no `1.2.3`, `0x8.8.8.8` or padded text, which the mmdb
 * reader would otherwise read as some other address), unwraps IPv4-mapped IPv6 to IPv4 (the
 * packaged country database has no `::ffff:0:0/96` alias), drops a zone id, and keeps only global
 * unicast addresses: private, loopback, documentation, 6to4, Teredo... get null, because the
 * databases answer such ranges wrongly (the packaged one puts 2001:db8::/32 in JP).
 */
export function toLookupAddress(input: unknown): LookupAddress | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_ADDRESS_TEXT) return null;
  const version = isIP(input);
  // net.isIP's IPv4 form is exactly four decimal octets, so the digit loop cannot misread it.
  if (version === 4) return v4Address(parseV4(input));
  if (version !== 6) return null;
  let parts: number[];
  try {
    parts = ipaddr.IPv6.parse(input).parts;
  } catch {
    return null;
  }
  const word = (i: number): number => (((parts[i] ?? 0) << 16) | (parts[i + 1] ?? 0)) >>> 0;
  const words = [word(0), word(2), word(4), word(6)] as const;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return v4Address(words[3]);
  if (!isGlobalV6(words)) return null;
  // The reader takes any valid spelling; re-serialising costs more than the lookup itself.
  const zone = input.indexOf('%');
  return { version: 6, text: zone < 0 ? input : input.slice(0, zone), words };
}
