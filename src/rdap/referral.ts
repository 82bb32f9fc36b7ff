/**
 * Redirects and referrals between registries (an RIR answers for space another RIR holds with a
 * 3xx `Location`, or a `links` entry). The target comes from the answer, so it is vetted: only
 * registries we would have asked anyway (the bootstrap's origins, or the one `--rdap-url`), never
 * a downgrade from https to http, no credentials, and the target must be an `ip/` query.
 */

const MAX_URL = 1000;
const MAX_LINKS = 50;

/** The URL to follow for a 3xx, or why it is refused. */
export function nextHop(current: string, location: string | null, allowed: ReadonlySet<string>): string | { refused: string } {
  if (!location) return { refused: 'no Location header' };
  return vet(current, location, allowed);
}

/**
 * A referral in an answer that has no abuse contact: the first `links` entry with
 * `rel: "related"` (typed `application/rdap+json`, or untyped) whose target is an `ip/` query on
 * an allowed registry.
 */
export function referralOf(json: unknown, current: string, allowed: ReadonlySet<string>): string | null {
  const links = (json as { links?: unknown } | null)?.links;
  if (!Array.isArray(links)) return null;
  for (const link of links.slice(0, MAX_LINKS)) {
    if (typeof link !== 'object' || link === null) continue;
    const { rel, href, type } = link as { rel?: unknown; href?: unknown; type?: unknown };
    if (rel !== 'related' || typeof href !== 'string') continue;
    if (type !== undefined && type !== 'application/rdap+json') continue;
    const target = vet(current, href, allowed);
    if (typeof target === 'string' && target !== current) return target;
  }
  return null;
}

function vet(current: string, target: string, allowed: ReadonlySet<string>): string | { refused: string } {
  if (target.length > MAX_URL || /[\x00-\x20\x7f]/.test(target)) return { refused: 'the target is not a plain URL' };
  let url: URL;
  try {
    url = new URL(target, current);
  } catch {
    return { refused: 'the target is not a URL' };
  }
  const from = new URL(current);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { refused: `the target's scheme is ${url.protocol}` };
  if (from.protocol === 'https:' && url.protocol !== 'https:') return { refused: 'the target would downgrade https to http' };
  if (url.username || url.password) return { refused: 'the target carries credentials' };
  if (!allowed.has(url.origin)) return { refused: `${url.origin} is not a registry in the bootstrap` };
  if (!/\/ip\/[^/]+$/.test(url.pathname)) return { refused: 'the target is not an RDAP ip query' };
  url.hash = '';
  return url.toString();
}

/** The base URL of a query URL: everything before its `ip/` segment. */
export function registryOf(url: string): string {
  const i = url.lastIndexOf('/ip/');
  return i >= 0 ? url.slice(0, i + 1) : url;
}
