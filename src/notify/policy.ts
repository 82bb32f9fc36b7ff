import ipaddr from 'ipaddr.js';
import { matchesAny } from '../address.js';

/**
 * Who may get a notice. Pure: the caller supplies counts read from the outbox.
 *
 * Only globally routable unicast addresses are written to. Special-purpose ranges (loopback,
 * private, link-local, CGNAT, documentation, multicast, reserved, unspecified, ...) and the
 * operator's `allow` CIDRs never are, unless a `noticeAllowPrivate` CIDR covers the address:
 * that one list re-enables notices for exactly the ranges it names.
 */
export interface EligibilityRules {
  allow: readonly string[];
  allowPrivate: readonly string[];
}

export type Decision = { ok: true } | { ok: false; reason: string };

export function eligibility(ip: string, rules: EligibilityRules): Decision {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip);
  } catch {
    return { ok: false, reason: 'not an IP address' };
  }
  if (matchesAny(addr, rules.allowPrivate)) return { ok: true };
  const range = addr.range();
  if (range !== 'unicast') return { ok: false, reason: `special-purpose address (${range})` };
  if (matchesAny(addr, rules.allow)) return { ok: false, reason: 'address is in --allow' };
  return { ok: true };
}

export interface CapCounts {
  /** Notices (not suppressed) queued in the last hour. */
  lastHour: number;
  maxPerHour: number;
}

/** Global hourly cap: null when another notice may be queued, else the suppression reason. */
export function globalCap(c: CapCounts): string | null {
  return c.lastHour >= c.maxPerHour ? `hourly cap of ${c.maxPerHour} notices reached` : null;
}

/** Per-domain hourly cap over the recipients' domains; `counts` maps domain → notices in the last hour. */
export function domainCap(domains: readonly string[], counts: ReadonlyMap<string, number>, maxPerDomain: number): string | null {
  for (const d of domains) {
    if ((counts.get(d) ?? 0) >= maxPerDomain) return `hourly cap of ${maxPerDomain} notices to ${d} reached`;
  }
  return null;
}

/**
 * The domain a recipient's mail is counted against: an address literal counts as itself; a host
 * name by its last two labels, so many customers of one provider share one budget. (Without a
 * public-suffix list `co.uk`-style names share a budget too, which errs toward fewer mails.)
 */
export function recipientDomain(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1).toLowerCase();
  if (domain.startsWith('[')) return domain;
  return domain.split('.').filter(Boolean).slice(-2).join('.');
}
