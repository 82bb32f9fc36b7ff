import ipaddr from 'ipaddr.js';
import { ConfigError } from '../errors.js';
import type { Options } from '../config/options.js';

/** Cross-field checks of the proxy options; throws a one-line ConfigError naming the fix. */
export function checkProxyOptions(options: Pick<Options, 'upstream' | 'intake' | 'mirror' | 'trustProxy' | 'trustAllProxies'>): void {
  if (options.intake && options.mirror) throw new ConfigError('--intake and --mirror cannot be combined: choose one');
  if ((options.intake || options.mirror) && options.upstream !== undefined) {
    throw new ConfigError(`--upstream cannot be used with --${options.intake ? 'intake' : 'mirror'}: drop one of them`);
  }
  if (!options.intake && !options.mirror && options.upstream === undefined) {
    throw new ConfigError('--upstream is required (or use --intake/--mirror)');
  }
  checkTrustedProxies(options);
}

/**
 * Refuses a `--trust-proxy` that covers every address unless `--trust-all-proxies` says so: then
 * any client (or any logged peer, for `wormwatch scan`) could choose the address it is recorded
 * and reported as.
 */
export function checkTrustedProxies(options: Pick<Options, 'trustProxy' | 'trustAllProxies'>): void {
  const everyone = coversEveryAddress(options.trustProxy);
  if (everyone !== null && !options.trustAllProxies) {
    throw new ConfigError(`--trust-proxy ${options.trustProxy.join(',')} trusts every ${everyone} address, so any client could choose the address it is recorded (and reported) as: list your proxies' ranges, or add --trust-all-proxies if every peer really is a proxy you run`);
  }
}

/**
 * `IPv4` or `IPv6` when the ranges together hold every address of that family (`0.0.0.0/0`,
 * `::/0`, or halves such as `0.0.0.0/1,128.0.0.0/1`); IPv4-mapped IPv6 ranges count as IPv4.
 */
export function coversEveryAddress(cidrs: readonly string[]): 'IPv4' | 'IPv6' | null {
  const v4: [bigint, bigint][] = [];
  const v6: [bigint, bigint][] = [];
  for (const c of cidrs) {
    let net: ipaddr.IPv4 | ipaddr.IPv6;
    let bits: number;
    try {
      [net, bits] = c.includes('/') ? ipaddr.parseCIDR(c) : [ipaddr.parse(c), ipaddr.parse(c).kind() === 'ipv4' ? 32 : 128];
    } catch {
      continue;
    }
    if (net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      v4.push(span((net as ipaddr.IPv6).toIPv4Address(), bits - 96, 32));
      if (bits > 96) continue;
    }
    if (net.kind() === 'ipv4') v4.push(span(net, bits, 32));
    else v6.push(span(net, bits, 128));
  }
  if (covers(v4, 32)) return 'IPv4';
  if (covers(v6, 128)) return 'IPv6';
  return null;
}

function span(net: ipaddr.IPv4 | ipaddr.IPv6, bits: number, width: number): [bigint, bigint] {
  let value = 0n;
  for (const byte of net.toByteArray()) value = (value << 8n) | BigInt(byte);
  const size = 1n << BigInt(width - bits);
  const start = (value / size) * size;
  return [start, start + size - 1n];
}

function covers(ranges: [bigint, bigint][], width: number): boolean {
  let next = 0n;
  for (const [start, end] of [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (start > next) return false;
    if (end + 1n > next) next = end + 1n;
  }
  return next >= 1n << BigInt(width);
}
