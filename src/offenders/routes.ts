import { canonicalIp } from '../address.js';
import type { OffenderStore } from './store.js';
import { decodeSegment, parseLimit, sendError, sendJson } from '../admin/route.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import type { AdminRoute } from '../admin/route.js';

/** `GET /offenders?limit=` returns at most this many, whatever is asked. */
export const OFFENDERS_MAX_LIMIT = 1000;
export const OFFENDERS_DEFAULT_LIMIT = 100;

/** `GET /offenders` (newest first) and `GET /offenders/:ip`. */
export function offenderRoutes(offenders: OffenderStore): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/offenders',
      handle(_req, res, url) {
        const limit = parseLimit(url.searchParams.get('limit'), OFFENDERS_DEFAULT_LIMIT, OFFENDERS_MAX_LIMIT);
        if (limit === null) {
          return sendError(res, new BadRequestError(`limit must be an integer from 1 to ${OFFENDERS_MAX_LIMIT}`));
        }
        const list = offenders.list(limit);
        sendJson(res, 200, { total: offenders.size, count: list.length, offenders: list });
      },
    },
    {
      method: 'GET',
      path: '/offenders/',
      handle(_req, res, url) {
        const ip = canonicalIp(decodeSegment(url.pathname.slice('/offenders/'.length)));
        if (ip === null) return sendError(res, new BadRequestError('not an IP address'));
        const offender = offenders.get(ip);
        if (!offender) return sendError(res, new NotFoundError(`no offender ${ip}`));
        sendJson(res, 200, offender);
      },
    },
  ];
}
