import { createMetrics, type Metrics } from '../admin/metrics.js';
import { defaultExtensions, type ExtensionContext, type ExtensionFactory, type WormwatchExtension } from '../app.js';
import type { Options } from '../config/options.js';
import type { Engine, NormalisedRequest } from '../detect/types.js';
import type { DetectionEvent, DetectionListener } from '../events.js';
import { detectionLogFields, type Logger } from '../log.js';
import { OffenderStore } from '../offenders/store.js';
import { VERSION } from '../version.js';

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
  const { logger } = start;
  const metrics = createMetrics(VERSION);
  const offenders = new OffenderStore({ max: options.offenderMax, ttl: options.offenderTtl, samples: options.offenderSamples, gauge: metrics.offenders });
  let engine = start.engine;
  let extensions: WormwatchExtension[] = [];
  const listeners: DetectionListener[] = [];

  // Same steps, in the same order, as the app's pipeline (src/app.ts).
  const onDetection = (event: DetectionEvent): void => {
    offenders.record(event);
    const { signature, stage } = event.verdict;
    metrics.detections.inc({ signature: signature.id, family: signature.family, stage, action: event.action });
    logger.warn(detectionLogFields(event), 'worm probe detected');
    for (const listener of listeners) listener(event);
    for (const ext of extensions) guarded(logger, ext, 'onDetection', () => ext.onDetection?.(event));
  };
  const onNotFound = (ip: string, request: NormalisedRequest, at: Date): void => {
    for (const ext of extensions) guarded(logger, ext, 'onNotFound', () => ext.onNotFound?.(ip, request, at));
  };
  const ctx: ExtensionContext = {
    options, metrics, logger, offenders,
    engine: () => engine,
    setEngine: (next) => { engine = next; },
    emitDetection: onDetection,
  };
  extensions = await Promise.all((start.extensions ?? defaultExtensions).map((e) => (typeof e === 'function' ? e(ctx) : e)));
  const started: WormwatchExtension[] = [];
  const stop = async (): Promise<void> => {
    for (const ext of started.reverse()) {
      try {
        await ext.stop?.();
      } catch (err) {
        logger.error({ err, extension: ext.name }, 'extension failed to stop');
      }
    }
    started.length = 0;
  };
  try {
    for (const ext of extensions) {
      await ext.start?.();
      started.push(ext);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { engine: () => engine, offenders, metrics, onDetection, onNotFound, subscribe: (l) => void listeners.push(l), stop };
}

function guarded(logger: Logger, ext: WormwatchExtension, hook: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.error({ err, extension: ext.name, hook }, 'extension hook failed');
  }
}
