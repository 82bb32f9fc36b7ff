import { createNotifier } from '../../notify/index.js';
import type { ExtensionContext, WormwatchExtension } from '../extension.js';

/** Notices for every detection, and `GET /notices` (see `src/notify/`). */
export function notifyExtension(ctx: ExtensionContext): WormwatchExtension {
  const n = createNotifier(ctx.options, { metrics: ctx.metrics.notices, logger: ctx.logger, offenders: ctx.offenders });
  return { name: 'notify', onDetection: n.notify, adminRoutes: n.adminRoutes, start: n.start, stop: n.stop };
}
