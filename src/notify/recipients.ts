import ipaddr from 'ipaddr.js';

/**
 * Recipient building and host-name checks. Pure. A PTR name is chosen by whoever owns the
 * address that attacked us, so it is treated as hostile: it becomes a recipient only if it is a
 * plain LDH host name (RFC 952/1123: letters, digits, hyphens; labels of 1-63, total at most
 * 253) and was forward-confirmed by the caller.
 */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

export function hostnameProblem(name: string): string | null {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length === 0) return 'empty name';
  if (/[\x00-\x1f\x7f]/.test(n)) return 'control characters in name';
  if (n.length > 253) return 'name longer than 253 characters';
  const labels = n.split('.');
  if (labels.length < 2) return 'not a fully qualified name';
  for (const l of labels) {
    if (l.length > 63) return 'label longer than 63 characters';
    if (!LABEL.test(l)) return 'characters other than letters, digits, hyphens and dots';
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'numeric top-level label';
  return null;
}

/** `host.Example.NET.` → `host.example.net`, or null when the name is not acceptable. */
export function normaliseHostname(name: string): string | null {
  if (hostnameProblem(name) !== null) return null;
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

/** RFC 5321 section 4.1.3 address literal: `[192.0.2.7]` or `[IPv6:2001:db8::7]`. */
export function addressLiteral(ip: string): string {
  const a = ipaddr.process(ip);
  return a.kind() === 'ipv4' ? `[${a.toString()}]` : `[IPv6:${a.toString()}]`;
}

export interface RecipientPlan {
  to: string[];
  /** Templates dropped because no confirmed host name was available. */
  dropped: string[];
}

/**
 * Expands `local@{ip}`, `local@{hostname}` and fixed templates. Hostname templates are dropped
 * when `hostname` is null. Duplicates are removed (case-insensitive), order kept.
 */
export function buildRecipients(templates: readonly string[], ip: string, hostname: string | null): RecipientPlan {
  const literal = addressLiteral(ip);
  const to: string[] = [];
  const dropped: string[] = [];
  const seen = new Set<string>();
  for (const t of templates) {
    if (t.includes('{hostname}') && hostname === null) {
      dropped.push(t);
      continue;
    }
    const address = t.replace('{ip}', literal).replace('{hostname}', hostname ?? '');
    if (!seen.has(address.toLowerCase())) {
      seen.add(address.toLowerCase());
      to.push(address);
    }
  }
  return { to, dropped };
}

/** True when the forward answers contain `ip` (compared as parsed addresses, not strings). */
export function forwardConfirms(ip: string, answers: readonly string[]): boolean {
  const want = ipaddr.process(ip).toNormalizedString();
  return answers.some((a) => {
    try {
      return ipaddr.process(a).toNormalizedString() === want;
    } catch {
      return false;
    }
  });
}
