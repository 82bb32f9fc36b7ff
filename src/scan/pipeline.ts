import type { Metrics } from '../admin/metrics.js';
import { defaultExtensions } from '../app.js';
import type { Options } from '../config/options.js';
import type { Engine, NormalisedRequest } from '../detect/types.js';
import type { DetectionListener } from '../events.js';
import type { Logger } from '../log.js';
import type { OffenderStore } from '../offenders/store.js';
import { createPipeline, type ExtensionFactory, type WormwatchExtension } from '../pipeline.js';

/**
 * What `wormwatch serve` does with a detection, without the proxy and admin server: the offender
 * store, the detection metric and log line, and every extension (notices, the 404-storm
 * detector, SIGHUP rule reloads). So a server that cannot have a proxy in front still gets its
 * offenders noticed, like fail2ban or CrowdSec reading logs.
 */
export interface ScanPipeline {
  engine(): Engine;
  offenders: OffenderStore;
  metrics: Metrics;
  onDetection: DetectionListener;
  onNotFound(ip: string, request: NormalisedRequest, at: Date): void;
  /** Hears every detection, those found by extensions (storms) included. */
  subscribe(listener: DetectionListener): void;
  stop(): Promise<void>;
}

export interface ScanPipelineOptions {
  logger: Logger;
  engine: Engine;
  /** Default: the app's `defaultExtensions`. */
  extensions?: Array<WormwatchExtension | ExtensionFactory>;
}

export async function startScanPipeline(options: Options, start: ScanPipelineOptions): Promise<ScanPipeline> {
  const pipeline = await createPipeline(options, {
    logger: start.logger,
    engine: start.engine,
    extensions: start.extensions ?? defaultExtensions,
  });
  await pipeline.startExtensions();
  return {
    engine: pipeline.engine,
    offenders: pipeline.offenders,
    metrics: pipeline.metrics,
    onDetection: pipeline.onDetection,
    onNotFound: pipeline.onNotFound,
    subscribe: pipeline.subscribe,
    stop: pipeline.stopExtensions,
  };
}
