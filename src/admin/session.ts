import { createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/**
 * The admin page's login: the token is typed once into the page's form and kept as a cookie, so a
 * browser need not send a header. The cookie holds an HMAC of the token, not the token: it grants
 * the same access but does not reveal the token, and rotating the token (a new Secret, then a
 * reload) ends every session. `HttpOnly` (no script reads it) and `SameSite=Strict` (no other
 * site's page sends it); `Secure` cannot be set, the admin port speaks plain HTTP.
 */
export const SESSION_COOKIE = 'wormwatch_session';

/** A session lasts at most this long (then the token is asked again). */
export const SESSION_MAX_AGE_S = 12 * 3600;

export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('wormwatch admin session v1').digest('hex');
}

/** Whether the request carries a session cookie made from `token`. */
export function hasSession(req: http.IncomingMessage, token: string): boolean {
  const value = cookieOf(req.headers.cookie, SESSION_COOKIE);
  if (value === undefined || !/^[0-9a-f]{64}$/.test(value)) return false;
  return timingSafeEqual(Buffer.from(value, 'hex'), Buffer.from(sessionValue(token), 'hex'));
}

export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MAX_AGE_S}`;
}

export const CLEARED_COOKIE = `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;

function cookieOf(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
