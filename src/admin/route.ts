import type http from 'node:http';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, type WormwatchError } from '../errors.js';
import { writeBody } from './compress.js';

/**
 * A route on the admin server. `path` is matched exactly, or, when it ends in `/`, as a prefix
 * (`/offenders/` serves `/offenders/192.0.2.1`). Each concern contributes its own routes
 * (`/offenders`, `/notices`, `POST /reload`). A handler that throws or rejects gets a 500.
 */
export interface AdminRoute {
  method: string;
  path: string;
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void | Promise<void>;
}

/** Writes `body` as a JSON response (dates become ISO strings). For admin route handlers. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  writeBody(res, status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, `${JSON.stringify(body, null, 2)}\n`);
}

/** An error of the table (`src/errors.ts`) as the admin server's JSON answer: its status, `{error, code}`. */
export function sendError(res: http.ServerResponse, err: WormwatchError, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendJson(res, err.status, { error: err.message, code: err.code });
}

/** Largest JSON body an admin route reads. */
export const ADMIN_BODY_MAX = 16_384;

/**
 * The request's JSON body: `Content-Type: application/json` (a form a browser could post from
 * another site is refused), at most ADMIN_BODY_MAX bytes. Throws an error of the table (415, 413, 400).
 */
export async function readJson(req: http.IncomingMessage, max = ADMIN_BODY_MAX): Promise<unknown> {
  const text = await readBody(req, 'application/json', max);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError('the body is not valid JSON');
  }
}

/** A form's fields (`application/x-www-form-urlencoded`, the admin page's forms), at most `max` bytes. */
export async function readForm(req: http.IncomingMessage, max = 4096): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(req, 'application/x-www-form-urlencoded', max));
}

async function readBody(req: http.IncomingMessage, type: string, max: number): Promise<string> {
  const given = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (given !== type) throw new UnsupportedMediaTypeError(type);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new PayloadTooLargeError(max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `?limit=`: absent gives `fallback`; above `max`, `max`; anything but a positive integer, null. */
export function parseLimit(raw: string | null, fallback: number, max: number): number | null {
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) return null;
  const n = Number(raw);
  return n < 1 ? null : Math.min(n, max);
}

/** A percent-decoded path segment (`/offenders/2001%3Adb8%3A%3A1`); '' when it does not decode. */
export function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}
