import type { Options } from '../config/options.js';
import type { DetectionListener } from '../detect/detection.js';
import type { Engine, NormalisedRequest } from '../detect/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { OffenderStore } from '../offenders/store.js';
import type { ExtensionFactory, WormwatchExtension } from './extension.js';
import { defaultExtensions } from './extensions/index.js';
import { geoFor } from './geo.js';
import type { NetworkOf } from '../offenders/store.js';
import { createHub } from './hub.js';

/**
 * What `wormwatch serve` does with a detection, without the proxy and admin server: the hub's
 * offender store, metric and log line, and every extension (notices, the 404-storm detector,
 * SIGHUP rule reloads). So a server that cannot have a proxy in front still gets its offenders
 * noticed, like fail2ban or CrowdSec reading logs.
 */
export interface ScanRuntime {
  engine(): Engine;
  offenders: OffenderStore;
  metrics: Metrics;
  onDetection: DetectionListener;
  onNotFound(ip: string, request: NormalisedRequest, at: Date): void;
  /** Hears every detection, those found by extensions (storms) included. */
  subscribe(listener: DetectionListener): void;
  /** The geoip lookup, when `--geoip` is on: the summary's networks and countries. */
  networkOf?: (ip: string) => NetworkOf;
  stop(): Promise<void>;
}

export interface ScanStart {
  logger: Logger;
  engine: Engine;
  /** Default: `defaultExtensions`. */
  extensions?: ReadonlyArray<WormwatchExtension | ExtensionFactory>;
}

export async function startScan(options: Options, start: ScanStart): Promise<ScanRuntime> {
  const geo = await geoFor(options);
  const hub = await createHub(options, { logger: start.logger, engine: start.engine, extensions: [...(start.extensions ?? defaultExtensions)], ...(geo ? { geo } : {}) });
  await hub.startExtensions();
  return {
    engine: hub.engine, offenders: hub.offenders, metrics: hub.metrics,
    onDetection: hub.onDetection, onNotFound: hub.onNotFound, subscribe: hub.subscribe,
    ...(geo ? { networkOf: (ip: string) => geo.lookup(ip) } : {}),
    stop: hub.stopExtensions,
  };
}
