import { createFleet, type Fleet } from '../../fleet/index.js';
import type { ExtensionContext, ExtensionFactory, WormwatchExtension } from '../extension.js';
import { notifyExtension } from './notify.js';

/**
 * Fleet mode (`--redis-url`, see `src/fleet/`): the fleet extension goes first (started first,
 * stopped last, after the notifier has flushed), and the notifier is given its notice, digest and operator-mail gates.
 * Factories run in list order, so the fleet exists when the notifier's factory runs.
 */
export function withFleet(extensions: ReadonlyArray<WormwatchExtension | ExtensionFactory>): Array<WormwatchExtension | ExtensionFactory> {
  let fleet: Fleet | undefined;
  const first: ExtensionFactory = (ctx) => {
    fleet = createFleet(ctx.options, { logger: ctx.logger, registry: ctx.metrics.registry, bans: ctx.bans, offenders: ctx.offenders, notices: ctx.metrics.notices });
    return fleetExtension(fleet);
  };
  return [first, ...extensions.map((f): WormwatchExtension | ExtensionFactory => (f === notifyExtension ? (ctx: ExtensionContext) => notifyExtension(ctx, fleet) : f))];
}

function fleetExtension(fleet: Fleet): WormwatchExtension {
  return { name: 'fleet', onDetection: fleet.onDetection, adminRoutes: fleet.adminRoutes, start: fleet.start, stop: fleet.stop };
}
