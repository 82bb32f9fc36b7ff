import { createNotifier, type DigestGate, type NoticeGate, type NoticeRelay, type OperatorMailGate } from '../../notify/index.js';
import type { ExtensionContext, WormwatchExtension } from '../extension.js';

/** Fleet mode's say in the notices (see `withFleet`): the fleet-wide claim, abuse digests, operator mail, and the stream relay. */
export interface NoticeGates {
  gate?: NoticeGate;
  digests?: DigestGate;
  operatorMail?: OperatorMailGate;
  relay?: NoticeRelay;
}

/**
 * Notices for every detection, operator mail about exposures, and `GET /notices` (see
 * `src/notify/`). Operator mail is for `serve` only (`--operator-email` is a proxy option): a log
 * scan reads history, and a leak found in last month's log is not news to mail "at once".
 */
export function notifyExtension(ctx: ExtensionContext, gates: NoticeGates = {}): WormwatchExtension {
  const options = ctx.serving ? ctx.options : { ...ctx.options, operatorEmail: undefined };
  const { gate, digests, operatorMail, relay } = gates;
  const n = createNotifier(options, {
    metrics: ctx.metrics.notices, logger: ctx.logger, offenders: ctx.offenders,
    ...(gate ? { gate } : {}), ...(digests ? { digests } : {}), ...(operatorMail && ctx.serving ? { operatorMail } : {}),
    ...(relay ? { relay } : {}),
  });
  return { name: 'notify', onDetection: n.notify, adminRoutes: n.adminRoutes, start: n.start, stop: n.stop, noticeStatus: n.status };
}
