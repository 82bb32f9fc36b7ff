import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { BadRequestError } from '../errors.js';
import { isAuthorised } from './guard.js';
import type { PageData } from './page-data.js';
import { PAGE_SCRIPT, PAGE_STYLE, renderLogin, renderPage } from './page-html.js';
import { writeBody } from './compress.js';
import { readForm, type AdminRoute } from './route.js';
import { CLEARED_COOKIE, sessionCookie } from './session.js';

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Nothing but this page's own style and script, no other origin, no framing, forms posting here
 * only: a value that slipped through escaping still could not run or load anything.
 */
export const PAGE_CSP = [
  "default-src 'none'", `script-src ${hash(PAGE_SCRIPT)}`, `style-src ${hash(PAGE_STYLE)}`, "img-src 'self'",
  "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Not no-referrer: Chromium then sends `Origin: null` with the page's own form posts.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * The admin page (`GET /`), its sign-in (`POST /login`, `POST /logout`) and its one action
 * (`POST /ui/unban`, a plain form, so it works without JavaScript). Behind the same guard as every
 * admin route; with a token set, a caller without it gets the sign-in form instead of the page.
 */
export function pageRoutes(data: PageData, token: () => string | undefined): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/',
      handle(req, res) {
        if (!isAuthorised(req, token())) return send(res, 401, renderLogin(false));
        const part = req.headers['x-wormwatch-part'] === 'main' ? 'main' : undefined;
        send(res, 200, renderPage(data, { signedIn: token() !== undefined, now: new Date(), ...(part ? { part } : {}) }));
      },
    },
    {
      method: 'POST',
      path: '/login',
      async handle(req, res) {
        const current = token();
        if (current === undefined) return redirect(res);
        const given = (await readForm(req)).get('token') ?? '';
        if (!sameText(given, current)) return send(res, 401, renderLogin(true));
        redirect(res, { 'Set-Cookie': sessionCookie(current) });
      },
    },
    { method: 'POST', path: '/logout', handle: (_req, res) => redirect(res, { 'Set-Cookie': CLEARED_COOKIE }) },
    {
      method: 'POST',
      path: '/ui/unban',
      async handle(req, res) {
        const ip = (await readForm(req)).get('ip');
        if (ip === null) throw new BadRequestError('no address to unban');
        data.unban(ip);
        redirect(res);
      },
    },
  ];
}

function send(res: http.ServerResponse, status: number, html: string): void {
  writeBody(res, status, PAGE_HEADERS, html);
}

/** 303 back to the page (a reload then does not post the form again). */
function redirect(res: http.ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(303, { Location: '/', 'Cache-Control': 'no-store', 'Content-Length': 0, ...headers });
  res.end();
}

function sameText(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
