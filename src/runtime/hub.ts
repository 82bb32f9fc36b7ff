import type { Registry } from 'prom-client';
import type { AdminToken } from '../admin/token.js';
import { Bans } from '../bans/index.js';
import type { Options } from '../config/options.js';
import type { DetectionEvent, DetectionListener } from '../detect/detection.js';
import type { Engine, NormalisedRequest } from '../detect/types.js';
import { detectionLogFields, type Logger } from '../log.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { OffenderStore, type NetworkOf } from '../offenders/store.js';
import { VERSION } from '../version.js';
import { detectionCounters } from './detection-counters.js';
import { FOLDED, LogLimit } from './log-limit.js';
import type { ExtensionContext, ExtensionFactory, WormwatchExtension } from './extension.js';

export interface HubStart {
  logger: Logger;
  engine: Engine;
  extensions: Array<WormwatchExtension | ExtensionFactory>;
  /** Registry of the metrics; default a new one. */
  registry?: Registry;
  adminToken?: AdminToken;
  /** Runs before an engine is swapped in; a throw keeps the old engine (`--workers` reload them). */
  beforeEngineSwap?: (engine: Engine) => Promise<void>;
  /** `serve`: bans apply (in block mode). A log scan never bans. */
  serving?: boolean;
  /** Network and country of new offenders (`--geoip`). */
  geo?: { lookup(ip: string): NetworkOf };
}

/**
 * The detection hand-off, whoever found the detection: `serve` (the proxy) and `scan` (log
 * lines) both run it, so a detection reaches the same offender store, metrics, log line and
 * extensions, in the same order.
 */
export interface Hub {
  metrics: Metrics;
  offenders: OffenderStore;
  bans: Bans;
  engine(): Engine;
  setEngine(engine: Engine): Promise<void>;
  onDetection: DetectionListener;
  onNotFound(ip: string, request: NormalisedRequest, at: Date): void;
  /** Hears every detection (after the log line, before the extensions). */
  subscribe(listener: DetectionListener): void;
  extensions: readonly WormwatchExtension[];
  /** Loads the bans, then starts the extensions in order; if one fails, stops those already started and rethrows. */
  startExtensions(): Promise<void>;
  /** Stops the started extensions in reverse order; a failure is logged, not thrown. */
  stopExtensions(): Promise<void>;
}

export async function createHub(options: Options, start: HubStart): Promise<Hub> {
  const { logger } = start;
  const metrics = createMetrics(VERSION, start.registry);
  const geo = start.geo;
  const offenders = new OffenderStore({
    max: options.offenderMax, ttl: options.offenderTtl, samples: options.offenderSamples, gauge: metrics.offenders,
    ...(geo ? { enrich: (ip: string) => geo.lookup(ip) } : {}),
  });
  const bans = new Bans(options, { metrics: metrics.bans, logger, active: start.serving === true });
  let engine = start.engine;
  let extensions: WormwatchExtension[] = [];
  const listeners: DetectionListener[] = [];

  const counters = detectionCounters(metrics);
  const logLimit = new LogLimit();
  const onDetection = (event: DetectionEvent): void => {
    const country = offenders.record(event);
    counters.byCountry(country).inc();
    const { signature } = event.verdict;
    counters.of(event).inc();
    if (event.answer?.exposure) {
      // Never folded: a secret served is rare and each one matters.
      metrics.exposures.inc({ signature: signature.id });
      logger.error(detectionLogFields(event), `secret exposed: ${event.answer.path} was served (${event.answer.status}) to a hunt`);
    } else if (logger.isLevelEnabled('warn')) {
      // Built only when written: a log scan runs at level error and sees a detection per line.
      const folded = logLimit.admit(event.ip, event.at.getTime());
      if (folded === FOLDED) metrics.logLinesSuppressed.inc();
      else logger.warn(folded > 0 ? { ...detectionLogFields(event), suppressed: folded } : detectionLogFields(event), 'worm probe detected');
    }
    // Before the extensions: the ban is in force by the time the proxy reads its next request.
    bans.onDetection(event);
    for (const listener of listeners) listener(event);
    for (const ext of extensions) {
      // Each hook guarded in place (no closure per call: a log scan calls these once a line).
      try {
        ext.onDetection?.(event);
      } catch (err) {
        hookFailed(logger, ext, 'onDetection', err);
      }
    }
  };
  const onNotFound = (ip: string, request: NormalisedRequest, at: Date): void => {
    for (const ext of extensions) {
      try {
        ext.onNotFound?.(ip, request, at);
      } catch (err) {
        hookFailed(logger, ext, 'onNotFound', err);
      }
    }
  };
  const setEngine = async (next: Engine): Promise<void> => {
    await start.beforeEngineSwap?.(next);
    engine = next;
  };
  const ctx: ExtensionContext = {
    options, metrics, logger, offenders, bans, setEngine,
    engine: () => engine,
    emitDetection: onDetection,
    serving: start.serving === true,
    ...(start.adminToken ? { adminToken: start.adminToken } : {}),
  };
  extensions = await Promise.all(start.extensions.map((e) => (typeof e === 'function' ? e(ctx) : e)));
  // The bans load first (the proxy must not listen before the saved bans are in force) and save last.
  const lifecycle = extensionLifecycle([{ name: 'bans', start: () => bans.start(), stop: () => bans.stop() }, ...extensions], logger);
  return {
    metrics, offenders, bans, engine: ctx.engine, setEngine, onDetection, onNotFound,
    subscribe: (listener) => void listeners.push(listener),
    extensions, ...lifecycle,
  };
}

function extensionLifecycle(extensions: readonly WormwatchExtension[], logger: Logger): Pick<Hub, 'startExtensions' | 'stopExtensions'> {
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
  return { startExtensions, stopExtensions };
}

function hookFailed(logger: Logger, ext: WormwatchExtension, hook: string, err: unknown): void {
  logger.error({ err, extension: ext.name, hook }, 'extension hook failed');
}
