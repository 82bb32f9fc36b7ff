import { contains, formatAddr, formatPrefix, lastOf, parseAddr, prefixFrom, rangeToPrefixes, type Addr, type Prefix, MAX_CIDRS } from './prefix.js';

/** The IP network an answer describes (RFC 9083 §5.4), sanitised. */
export interface RdapNetwork {
  start: string;
  end: string;
  cidrs: string[];
  handle: string | null;
  name: string | null;
  /** Two upper-case letters, or null. */
  country: string | null;
}

export interface ParsedNetwork {
  network: RdapNetwork;
  prefixes: Prefix[];
}

/** Handles and names are bounded and stripped of control characters before anyone logs them. */
const MAX_TEXT = 200;

/**
 * The network of an `ip network` answer, or why there is none usable. A network that does not
 * contain the queried address is refused: the answer would then be about something else, and
 * caching it would misattribute other addresses.
 */
export function parseNetwork(response: unknown, queried: Addr): { ok: ParsedNetwork } | { error: string } {
  if (typeof response !== 'object' || response === null || Array.isArray(response)) return { error: 'the RDAP answer is not a JSON object' };
  const r = response as Record<string, unknown>;
  if (r.objectClassName !== undefined && r.objectClassName !== 'ip network') return { error: 'the RDAP answer is not an ip network object' };
  const start = parseAddr(r.startAddress);
  const end = parseAddr(r.endAddress);
  if (!start || !end || start.family !== end.family || start.value > end.value) return { error: 'the RDAP answer has no valid startAddress/endAddress' };
  if (start.family !== queried.family || queried.value < start.value || queried.value > end.value) {
    return { error: 'the network in the RDAP answer does not contain the queried address' };
  }
  const listed = cidr0(r.cidr0_cidrs, start, end);
  const prefixes = listed && covers(listed, queried) ? listed : rangeToPrefixes(start, end);
  if (!prefixes) return { error: 'the network range in the RDAP answer cannot be expressed in a bounded number of prefixes' };
  return {
    ok: {
      prefixes,
      network: {
        start: formatAddr(start),
        end: formatAddr(end),
        cidrs: prefixes.map(formatPrefix),
        handle: cleanText(r.handle),
        name: cleanText(r.name),
        country: typeof r.country === 'string' && /^[A-Za-z]{2}$/.test(r.country) ? r.country.toUpperCase() : null,
      },
    },
  };
}

/**
 * The `cidr0` extension's prefixes (`[{ "v4prefix": "192.0.2.0", "length": 24 }]`), used only if
 * every one lies inside start..end; otherwise null and the range is split instead.
 */
function cidr0(value: unknown, start: Addr, end: Addr): Prefix[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_CIDRS) return null;
  const out: Prefix[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) return null;
    const o = item as Record<string, unknown>;
    const p = prefixFrom(start.family === 4 ? o.v4prefix : o.v6prefix, o.length);
    if (!p || p.network < start.value || lastOf(p) > end.value) return null;
    out.push(p);
  }
  return out;
}

/** Whether any of the prefixes contains the address. */
export function covers(prefixes: readonly Prefix[], a: Addr): boolean {
  return prefixes.some((p) => contains(p, a));
}

export function cleanText(v: unknown, max = MAX_TEXT): string | null {
  if (typeof v !== 'string') return null;
  const s = v.replace(/[\x00-\x1f\x7f\u0085\u2028\u2029]+/g, ' ').trim().slice(0, max);
  return s === '' ? null : s;
}
