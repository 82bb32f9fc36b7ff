import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * One canonical spelling per address, so `::ffff:192.0.2.1`, `192.0.2.1` and
 * `2001:DB8::0:1` / `2001:db8::1` each name one offender. Null if `text` is not an address.
 */
export function canonicalIp(text: string): string | null {
  // net.isIP first: ipaddr.js alone would also take `1` or `0x7f.1` as IPv4 addresses.
  if (isIP(text) === 0) return null;
  try {
    return ipaddr.process(text).toString();
  } catch {
    return null;
  }
}

/**
 * Makes attacker-supplied text safe to store, log and show: control characters and anything
 * outside printable ASCII become `\xNN` / `\u{…}` escapes (no terminal escapes, no line breaks),
 * and the result is cut to `max` characters ending in `...`. Pure ASCII on purpose: V8 then
 * stores it one byte per character (a single `…` would double the memory of every sample).
 */
export function sanitiseLine(text: string, max: number): string {
  // Work on a bounded prefix: each character becomes at most a few escape characters.
  const head = text.length > max ? text.slice(0, max + 1) : text;
  let out = head.replace(/[^\x20-\x7e]/gu, (ch) => {
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
  if (out.length > max || head.length < text.length) out = `${out.slice(0, Math.max(0, max - 3))}...`;
  // A fresh flat copy: slices and concatenations would otherwise keep the attacker's whole
  // request line (or a rope of pieces) alive for as long as the offender is remembered.
  return Buffer.from(out, 'latin1').toString('latin1');
}
