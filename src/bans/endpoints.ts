import { decodeSegment, parseLimit, readJson, sendError, sendJson, type AdminRoute } from '../admin/route.js';
import { canonicalIp } from '../address.js';
import { duration } from '../config/parse.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import type { Bans } from './index.js';
import { PATH_PREFIX } from './key.js';
import { renderNginxGeo } from './nginx.js';
import { FOREVER, type Ban } from './table.js';

/** `GET /bans?limit=` returns at most this many as JSON (the nginx format has them all). */
export const BANS_MAX_LIMIT = 100_000;
export const BANS_DEFAULT_LIMIT = 1_000;

/**
 * `GET /bans` (JSON, or `?format=nginx`: a `geo` include), `POST /bans` (`{"ip": "…", "ttl":
 * "2h"}`), `DELETE /bans/:ip`, `GET /exposures` and `DELETE /exposures?path=/.env` (lifts a
 * `--block-exposures` block). The admin server's guard puts them behind the token.
 */
export function banRoutes(bans: Bans, defaultTtl: number): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/bans',
      handle(_req, res, url) {
        if (url.searchParams.get('format') === 'nginx') {
          const body = renderNginxGeo(bans.list('address', Number.MAX_SAFE_INTEGER), new Date());
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
          return void res.end(body);
        }
        const limit = parseLimit(url.searchParams.get('limit'), BANS_DEFAULT_LIMIT, BANS_MAX_LIMIT);
        if (limit === null) return sendError(res, new BadRequestError(`limit must be an integer from 1 to ${BANS_MAX_LIMIT}`));
        const all = bans.list('address', Number.MAX_SAFE_INTEGER);
        sendJson(res, 200, { enabled: bans.enabled, total: all.length, count: Math.min(limit, all.length), bans: all.slice(0, limit).map(view) });
      },
    },
    {
      method: 'POST',
      path: '/bans',
      async handle(req, res) {
        const body = (await readJson(req)) as { ip?: unknown; ttl?: unknown } | null;
        if (typeof body?.ip !== 'string') throw new BadRequestError('send {"ip": "198.51.100.7", "ttl": "2h"}');
        const ttl = parseTtl(body.ttl, defaultTtl);
        sendJson(res, 201, view(bans.ban(body.ip, ttl)));
      },
    },
    {
      method: 'DELETE',
      path: '/bans/',
      handle(_req, res, url) {
        const raw = decodeSegment(url.pathname.slice('/bans/'.length)).replace(/\/\d{1,3}$/, '');
        if (canonicalIp(raw) === null) return sendError(res, new BadRequestError('not an IP address'));
        const lifted = bans.unban(raw);
        if (lifted === undefined) return sendError(res, new NotFoundError(`no ban covers ${raw}`));
        sendJson(res, 200, { lifted: view(lifted) });
      },
    },
    {
      method: 'GET',
      path: '/exposures',
      handle(_req, res) {
        const blocked = bans.list('path', Number.MAX_SAFE_INTEGER).map((b) => ({ path: b.key.slice(PATH_PREFIX.length), since: new Date(b.since), signature: b.signature }));
        sendJson(res, 200, { exposures: bans.exposures.list(), blocked });
      },
    },
    {
      method: 'DELETE',
      path: '/exposures',
      handle(_req, res, url) {
        const path = url.searchParams.get('path');
        if (path === null || !path.startsWith('/')) return sendError(res, new BadRequestError('give the blocked path: DELETE /exposures?path=/.env'));
        const lifted = bans.unblockPath(path);
        if (lifted === undefined) return sendError(res, new NotFoundError(`${path} is not blocked`));
        sendJson(res, 200, { unblocked: path });
      },
    },
  ];
}

/** A ban as the API shows it: the address (or prefix), times as ISO text, `until` null when it holds until lifted. */
export function view(ban: Ban): Record<string, unknown> {
  // No `now` parameter: `.map(view)` would pass the index as one (it did: remainingSeconds from 1970).
  const now = Date.now();
  return {
    ip: ban.key,
    since: new Date(ban.since).toISOString(),
    until: ban.until === FOREVER ? null : new Date(ban.until).toISOString(),
    remainingSeconds: ban.until === FOREVER ? null : Math.max(0, Math.ceil((ban.until - now) / 1000)),
    count: ban.count,
    reason: ban.reason,
    signature: ban.signature,
  };
}

function parseTtl(raw: unknown, fallback: number): number {
  if (raw === undefined) {
    if (fallback > 0) return fallback;
    throw new BadRequestError('give a "ttl" such as "2h" (there is no --ban-ttl to default to)');
  }
  try {
    const ms = duration(raw);
    if (ms > 0) return ms;
  } catch {
    // answered below
  }
  throw new BadRequestError('ttl must be a duration such as 30m, 2h or 7d');
}
