import http from 'node:http';
import type { Command } from 'commander';
import { readAdminToken } from '../admin/token.js';
import type { ListenAddress } from '../config/parse.js';
import { sanitiseLine } from '../detect/sanitise.js';
import { AdminAnswerError, AdminUnreachableError, UsageError } from '../errors.js';
import { addOptionFlags, optionsFromFlags } from './options.js';

/** A client of a running server's admin API: where it is, and the token to send. */
export interface AdminTarget {
  /** `http://127.0.0.1:9090`, without a trailing slash (a path prefix is kept). */
  base: string;
  token: string | undefined;
}

export interface AdminAnswer {
  status: number;
  body: string;
}

/** Bounds of one admin call: an answer larger than this is refused (an nginx export of 100,000 bans is about 2 MB). */
export const ANSWER_MAX_BYTES = 64 * 1024 * 1024;
/** Connect, send and read the whole answer within this; a stuck server never hangs a timer's run. */
export const ANSWER_TIMEOUT_MS = 10_000;

const SPEC_KEYS = new Set(['adminListen', 'adminToken', 'adminTokenFile']);

/** `--admin URL`, and the server's own `--admin-listen`, `--admin-token(-file)` and `-c` (so the same env and file serve both). */
export function addAdminFlags(cmd: Command): Command {
  return addOptionFlags(cmd, (s) => SPEC_KEYS.has(s.key))
    .option('--admin <url>', 'the admin server, e.g. http://127.0.0.1:9090 (default: http:// and --admin-listen, 0.0.0.0 read as 127.0.0.1)');
}

/** The target from the flags given, then `WORMWATCH_*`, then `--config`, as `serve` reads them. Throws UsageError, ConfigError. */
export function adminTarget(raw: Record<string, unknown>): AdminTarget {
  const options = optionsFromFlags(raw);
  const base = typeof raw.admin === 'string' ? adminBase(raw.admin) : adminUrlOf(options.adminListen);
  return { base, token: readAdminToken(options) };
}

/** `http://` and a listen address a client can reach: the wildcard addresses mean this host's loopback. Pure. */
export function adminUrlOf({ host, port }: ListenAddress): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** A checked `--admin` URL, without its trailing slash. Pure; throws UsageError. */
export function adminBase(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`invalid --admin ${sanitiseLine(raw, 100)}: expected a URL such as http://127.0.0.1:9090`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`invalid --admin ${url.protocol}: the admin server speaks plain http:// (put TLS in front of it, and reach it through a tunnel)`);
  if (url.username !== '' || url.password !== '') throw new UsageError('invalid --admin: give the token with --admin-token-file, not in the URL');
  if (url.search !== '' || url.hash !== '') throw new UsageError('invalid --admin: a query or fragment means nothing here');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * One request to the admin API, bounded (ANSWER_TIMEOUT_MS for all of it, ANSWER_MAX_BYTES of
 * answer). node:http rather than fetch: its error codes tell "nobody listens" from "too slow",
 * and no redirect is ever followed. Throws AdminUnreachableError or AdminAnswerError.
 */
export function adminRequest(target: AdminTarget, method: string, path: string, json?: unknown, limits = { maxBytes: ANSWER_MAX_BYTES, timeoutMs: ANSWER_TIMEOUT_MS }): Promise<AdminAnswer> {
  const body = json === undefined ? undefined : JSON.stringify(json);
  const headers: Record<string, string> = { Accept: 'application/json, text/plain' };
  if (target.token !== undefined) headers.Authorization = `Bearer ${target.token}`;
  if (body !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null, answer?: AdminAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === null) return resolve(answer!);
      req.destroy();
      reject(err);
    };
    const req = http.request(`${target.base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) return settle(new AdminAnswerError(`the answer of ${target.base} is larger than ${limits.maxBytes} bytes: refused`));
        chunks.push(chunk);
      });
      res.on('end', () => settle(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err: NodeJS.ErrnoException) => settle(brokenOff(target.base, err)));
    });
    const timer = setTimeout(() => settle(new AdminAnswerError(`the admin server at ${target.base} did not answer within ${limits.timeoutMs / 1000} s`)), limits.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => settle(brokenOff(target.base, err)));
    req.end(body);
  });
}

/** Nobody listens there (or no route to it): the one line naming `--admin`; anything else as it came. */
const NOBODY_THERE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function brokenOff(base: string, err: NodeJS.ErrnoException): Error {
  if (err.code !== undefined && NOBODY_THERE.has(err.code)) return new AdminUnreachableError(base);
  return new AdminAnswerError(`the admin server at ${base} broke off: ${sanitiseLine(err.code ?? err.message, 100)}`);
}

/**
 * The answer's JSON when its status is `ok`; otherwise the server's refusal as an error of the
 * table: its 400s are usage mistakes (exit 2), the rest exit 1. Text from the server is shown
 * sanitised and cut: it may not be a wormwatch that answered.
 */
export function expectJson(target: AdminTarget, answer: AdminAnswer, ok: number): unknown {
  if (answer.status !== ok) throw refusal(target, answer);
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    throw new AdminAnswerError(`${target.base} answered with something other than JSON: is it a wormwatch admin server?`);
  }
}

export function refusal(target: AdminTarget, answer: AdminAnswer): Error {
  if (answer.status === 401) {
    return new AdminAnswerError(target.token === undefined
      ? `the admin server at ${target.base} wants a token: give --admin-token-file FILE or --admin-token TOKEN (or WORMWATCH_ADMIN_TOKEN_FILE / WORMWATCH_ADMIN_TOKEN)`
      : `the admin server at ${target.base} refused the token: check --admin-token-file / --admin-token (or WORMWATCH_ADMIN_TOKEN_FILE / WORMWATCH_ADMIN_TOKEN)`);
  }
  const said = serverMessage(answer.body);
  if (said === null) return new AdminAnswerError(`${target.base} answered HTTP ${answer.status}, not as a wormwatch admin server does`);
  return [400, 413, 415].includes(answer.status) ? new UsageError(said) : new AdminAnswerError(said);
}

/** `error` of a wormwatch error body (`{error, code}`), sanitised; null for any other body. */
function serverMessage(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; code?: unknown };
    if (typeof parsed?.error === 'string' && typeof parsed.code === 'string') return sanitiseLine(parsed.error, 300);
  } catch {
    // not JSON: not a wormwatch answer
  }
  return null;
}
