import { createStormDetector } from '../../detect/storm.js';
import type { ExtensionContext, WormwatchExtension } from '../extension.js';

/**
 * Plugs the 404-storm detector into a running wormwatch (proxy or `scan`): every 404 the origin
 * answers is counted, and an address crossing the threshold is sent through the hub as a
 * `scanner` (signature `http-404-storm`). `--storm-threshold 0` turns it off.
 */
export function stormExtension(ctx: ExtensionContext): WormwatchExtension {
  const { stormThreshold, stormWindow, stormIgnore, stormMaxAddresses } = ctx.options;
  if (stormThreshold === 0) return { name: 'storm' };
  const storm = createStormDetector({ threshold: stormThreshold, windowMs: stormWindow, ignore: stormIgnore, maxAddresses: stormMaxAddresses });
  return {
    name: 'storm',
    onNotFound(ip, request, at) {
      const event = storm.observe(ip, request, at);
      if (event) ctx.emitDetection(event);
    },
    stop: () => storm.clear(),
  };
}
