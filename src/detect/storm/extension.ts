import type { ExtensionContext, WormwatchExtension } from '../../app.js';
import { createStormDetector } from '../storm.js';

/**
 * Plugs the 404-storm detector into a running wormwatch (proxy or `scan`): every 404 the origin
 * answers is counted, and an address crossing the threshold is sent through the detection
 * pipeline as a `scanner` (signature `http-404-storm`). `stormThreshold` 0 turns it off.
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
