import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** An address as a number, so ranges and prefixes compare and mask with plain arithmetic. */
export interface Addr {
  family: 4 | 6;
  value: bigint;
}

export interface Prefix {
  family: 4 | 6;
  /** The network address (host bits zero). */
  network: bigint;
  length: number;
}

/** A CIDR list longer than this is not kept (an arbitrary range splits into at most 2×bits). */
export const MAX_CIDRS = 64;

export function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/**
 * Parses an address as RDAP servers write it: plain, IPv6 fully expanded
 * (`2001:4860:0000:...`), or with a stray prefix suffix (`62.239.237.0/32`, seen in RIPE answers).
 * IPv4-mapped IPv6 becomes IPv4. Returns null for anything else (including zone ids).
 */
export function parseAddr(text: unknown): Addr | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return null;
  const bare = text.trim().replace(/\/\d{1,3}$/, '');
  // node:net's strict grammar: no `127.1`, hex or octal forms that ipaddr.js would also accept.
  if (isIP(bare) === 0 || bare.includes('%')) return null;
  const parsed = ipaddr.process(bare);
  const bytes = parsed.toByteArray();
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return { family: parsed.kind() === 'ipv4' ? 4 : 6, value };
}

export function formatAddr(a: Addr): string {
  const n = a.family === 4 ? 4 : 16;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((a.value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

export function mask(family: 4 | 6, length: number): bigint {
  const total = bits(family);
  return ((1n << BigInt(length)) - 1n) << BigInt(total - length);
}

/** The prefix of `length` bits that contains `a`. */
export function prefixOf(a: Addr, length: number): Prefix {
  return { family: a.family, network: a.value & mask(a.family, length), length };
}

export function contains(p: Prefix, a: Addr): boolean {
  return p.family === a.family && (a.value & mask(p.family, p.length)) === p.network;
}

export function parsePrefix(text: unknown): Prefix | null {
  if (typeof text !== 'string') return null;
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return null;
  return prefixFrom(m[1], Number(m[2]));
}

/** A prefix from an address and a length; null if either is invalid or host bits are set. */
export function prefixFrom(address: unknown, length: unknown): Prefix | null {
  const a = parseAddr(address);
  if (!a || typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > bits(a.family)) return null;
  const p = prefixOf(a, length);
  return p.network === a.value ? p : null;
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr({ family: p.family, value: p.network })}/${p.length}`;
}

export function lastOf(p: Prefix): bigint {
  return p.network | (~mask(p.family, p.length) & mask(p.family, bits(p.family)));
}

/**
 * The smallest list of prefixes that covers start..end exactly, or null if it would exceed
 * MAX_CIDRS (cannot happen for a valid range: at most 2×bits-2 prefixes, 254 for IPv6; the bound
 * keeps a hostile range from costing more than that).
 */
export function rangeToPrefixes(start: Addr, end: Addr): Prefix[] | null {
  if (start.family !== end.family || start.value > end.value) return null;
  const total = bits(start.family);
  const out: Prefix[] = [];
  let cur = start.value;
  while (cur <= end.value) {
    let length = total;
    // Grow the block while it stays aligned and inside the range.
    while (length > 0) {
      const next = length - 1;
      const size = 1n << BigInt(total - next);
      if ((cur & (size - 1n)) !== 0n || cur + size - 1n > end.value) break;
      length = next;
    }
    out.push({ family: start.family, network: cur, length });
    if (out.length > MAX_CIDRS) return null;
    cur += 1n << BigInt(total - length);
  }
  return out;
}
