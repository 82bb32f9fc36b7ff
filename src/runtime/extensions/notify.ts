import { createNotifier, type DigestGate, type NoticeGate } from '../../notify/index.js';
import type { ExtensionContext, WormwatchExtension } from '../extension.js';

/**
 * Notices for every detection, operator mail about exposures, and `GET /notices` (see
 * `src/notify/`). Operator mail is for `serve` only (`--operator-email` is a proxy option): a log
 * scan reads history, and a leak found in last month's log is not news to mail "at once".
 * `gate`, `digests`: fleet mode's fleet-wide claim and abuse digests (see `withFleet`).
 */
export function notifyExtension(ctx: ExtensionContext, gate?: NoticeGate, digests?: DigestGate): WormwatchExtension {
  const options = ctx.serving ? ctx.options : { ...ctx.options, operatorEmail: undefined };
  const n = createNotifier(options, { metrics: ctx.metrics.notices, logger: ctx.logger, offenders: ctx.offenders, ...(gate ? { gate } : {}), ...(digests ? { digests } : {}) });
  return { name: 'notify', onDetection: n.notify, adminRoutes: n.adminRoutes, start: n.start, stop: n.stop, noticeStatus: n.status };
}
