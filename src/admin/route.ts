import type http from 'node:http';
import type { WormwatchError } from '../errors.js';

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
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/** An error of the table (`src/errors.ts`) as the admin server's JSON answer: its status, `{error, code}`. */
export function sendError(res: http.ServerResponse, err: WormwatchError, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendJson(res, err.status, { error: err.message, code: err.code });
}
