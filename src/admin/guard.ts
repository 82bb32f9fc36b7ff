import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import ipaddr from 'ipaddr.js';
import { AdminCrossSiteError, AdminHostError, AdminUnauthorizedError, type WormwatchError } from '../errors.js';
import { hasSession } from './session.js';

/** What anyone who can reach the port may read: Prometheus scrapes and the kubelet's probes. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/metrics', '/healthz', '/readyz']);

/** The page and its login form: with a token they answer a caller without one themselves (the login form), rather than 401. */
export const LOGIN_PATHS: ReadonlySet<string> = new Set(['/', '/login']);

export interface Refusal {
  error: WormwatchError;
  headers?: Record<string, string>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Who may use an admin route. With a token, every route but the public ones needs
 * `Authorization: Bearer <token>`, compared in constant time, or the admin page's session cookie
 * (`session.ts`); the page and its login form let the caller through to show the form. Without one (allowed on loopback
 * only), the `Host` must be a loopback name or address, so a page a browser loaded from
 * elsewhere cannot reach the port through DNS rebinding. Either way, a state-changing request
 * from another site's page (an `Origin` that is not this server's, `Sec-Fetch-Site: cross-site`)
 * is refused: a browser can send one to 127.0.0.1 without any rebinding.
 */
export function refusalOf(req: http.IncomingMessage, path: string, token: string | undefined): Refusal | null {
  const method = req.method ?? 'GET';
  if (SAFE_METHODS.has(method) && PUBLIC_PATHS.has(path)) return null;
  if (!SAFE_METHODS.has(method) && isCrossSite(req)) {
    return { error: new AdminCrossSiteError() };
  }
  if (token !== undefined) {
    if (bearerMatches(req.headers.authorization, token) || hasSession(req, token)) return null;
    if (LOGIN_PATHS.has(path)) return null;
    return { error: new AdminUnauthorizedError(), headers: { 'WWW-Authenticate': 'Bearer realm="wormwatch"' } };
  }
  if (!isLoopbackHost(req.headers.host)) {
    return { error: new AdminHostError() };
  }
  return null;
}

/** Whether the caller holds the token (the header or the page's session); always true without a token. */
export function isAuthorised(req: http.IncomingMessage, token: string | undefined): boolean {
  return token === undefined || bearerMatches(req.headers.authorization, token) || hasSession(req, token);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? '');
  if (!m) return false;
  // Digests first, so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(digest(m[1]!), digest(token));
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function isCrossSite(req: http.IncomingMessage): boolean {
  // A browser says where a request comes from; `same-site` includes any port of this host, such
  // as a page the proxy serves from the origin, so only the page itself (or a typed URL) passes.
  const fetchSite = req.headers['sec-fetch-site'];
  if (fetchSite !== undefined) return fetchSite !== 'same-origin' && fetchSite !== 'none';
  const origin = req.headers.origin;
  return origin !== undefined && origin !== `http://${req.headers.host ?? ''}`;
}

/** `localhost`, `127.0.0.1:9090`, `[::1]:9090` and the like; never a name that DNS could point anywhere. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:]+))(?::\d{1,5})?$/i.exec(host.trim());
  const name = (m?.[1] ?? m?.[2] ?? '').toLowerCase();
  if (name === 'localhost') return true;
  return isLoopbackAddress(name);
}

export function isLoopbackAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'loopback';
}
