import type { Registry } from 'prom-client';
import { createMetrics, type Metrics } from './admin/metrics.js';
import type { AdminRoute } from './admin/server.js';
import type { AdminToken } from './admin/token.js';
import type { Options } from './config/options.js';
import type { Engine, NormalisedRequest } from './detect/types.js';
import type { DetectionEvent, DetectionListener } from './events.js';
import { detectionLogFields, type Logger } from './log.js';
import { OffenderStore } from './offenders/store.js';
import { VERSION } from './version.js';

/**
 * Extensions are how the other concerns (notices, the 404-storm detector, rule reloads) plug into
 * a running wormwatch without the app knowing them. An extension may:
 * - `onDetection(event)`: hear every detection, after offenders, metrics and the log line.
 *   Synchronous and on the request path: hand off (queue) and return; a throw is logged and ignored.
 * - `onNotFound(ip, request, at)`: hear every 404 the origin answers (same rules).
 * - `adminRoutes`: serve extra admin endpoints (`GET /notices`, `POST /reload`).
 * - `start()` / `stop()`: run before the proxy listens / after it has drained, in list order
 *   and in reverse.
 * Pass either an extension or a factory `(ctx) => extension`; a factory receives the running
 * parts (options, metrics, logger, offenders) plus `setEngine` (swap the engine, for reloads)
 * and `emitDetection` (feed a detection found by other means, such as a 404 storm, through
 * the same pipeline). Example, for the notifier:
 *   (ctx) => { const n = createNotifier(ctx.options, ctx);
 *              return { name: 'notify', onDetection: n.notify, adminRoutes: n.adminRoutes, start: n.start, stop: n.stop }; }
 */
export interface WormwatchExtension {
  name: string;
  onDetection?(event: DetectionEvent): void;
  onNotFound?(ip: string, request: NormalisedRequest, at: Date): void;
  adminRoutes?: AdminRoute[];
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

export interface ExtensionContext {
  options: Options;
  metrics: Metrics;
  logger: Logger;
  offenders: OffenderStore;
  /** The engine in use now. */
  engine(): Engine;
  /** Replaces the engine; requests already being inspected finish with the old one. */
  setEngine(engine: Engine): void;
  /** Sends a detection through the pipeline (offenders, metrics, log, every extension). */
  emitDetection(event: DetectionEvent): void;
  /** The admin token, re-read from its file on a reload; absent for `scan`. */
  adminToken?: AdminToken;
}

export type ExtensionFactory = (ctx: ExtensionContext) => WormwatchExtension | Promise<WormwatchExtension>;

export interface PipelineStart {
  logger: Logger;
  engine: Engine;
  extensions: Array<WormwatchExtension | ExtensionFactory>;
  /** Registry of the metrics; default a new one. */
  registry?: Registry;
  adminToken?: AdminToken;
}

/**
 * What happens to a detection, whoever found it: `wormwatch serve` (src/app.ts) and
 * `wormwatch scan` (src/scan/pipeline.ts) both run this, so a log line and a proxied request
 * reach the same offender store, metrics, log line and extensions, in the same order.
 */
export interface Pipeline {
  metrics: Metrics;
  offenders: OffenderStore;
  engine(): Engine;
  setEngine(engine: Engine): void;
  onDetection: DetectionListener;
  onNotFound(ip: string, request: NormalisedRequest, at: Date): void;
  /** Hears every detection (after the log line, before the extensions). */
  subscribe(listener: DetectionListener): void;
  extensions: readonly WormwatchExtension[];
  /** Starts the extensions in order; if one fails, stops those already started and rethrows. */
  startExtensions(): Promise<void>;
  /** Stops the started extensions in reverse order; a failure is logged, not thrown. */
  stopExtensions(): Promise<void>;
}

export async function createPipeline(options: Options, start: PipelineStart): Promise<Pipeline> {
  const { logger } = start;
  const metrics = createMetrics(VERSION, start.registry);
  const offenders = new OffenderStore({ max: options.offenderMax, ttl: options.offenderTtl, samples: options.offenderSamples, gauge: metrics.offenders });
  let engine = start.engine;
  let extensions: WormwatchExtension[] = [];
  const listeners: DetectionListener[] = [];

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
    ...(start.adminToken ? { adminToken: start.adminToken } : {}),
  };
  extensions = await Promise.all(start.extensions.map((e) => (typeof e === 'function' ? e(ctx) : e)));

  const started: WormwatchExtension[] = [];
  const stopExtensions = async (): Promise<void> => {
    for (const ext of started.reverse()) {
      try {
        await ext.stop?.();
      } catch (err) {
        logger.error({ err, extension: ext.name }, 'extension failed to stop');
      }
    }
    started.length = 0;
  };
  const startExtensions = async (): Promise<void> => {
    try {
      for (const ext of extensions) {
        await ext.start?.();
        started.push(ext);
      }
    } catch (err) {
      await stopExtensions();
      throw err;
    }
  };
  return {
    metrics, offenders, engine: ctx.engine, setEngine: ctx.setEngine, onDetection, onNotFound,
    subscribe: (listener) => void listeners.push(listener),
    extensions, startExtensions, stopExtensions,
  };
}

function guarded(logger: Logger, ext: WormwatchExtension, hook: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.error({ err, extension: ext.name, hook }, 'extension hook failed');
  }
}
