import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createMetrics, type Metrics } from './admin/metrics.js';
import { createAdminServer, type AdminRoute } from './admin/server.js';
import type { Options } from './config/options.js';
import { stormExtension } from './detect/storm/extension.js';
import type { Engine, NormalisedRequest } from './detect/types.js';
import type { DetectionEvent } from './events.js';
import { createLogger, detectionLogFields, type Logger } from './log.js';
import { OffenderStore } from './offenders/store.js';
import { notifyExtension } from './notify/index.js';
import { createProxy, type ProxyDeps, type ProxyHandle } from './proxy/index.js';
import { buildEngineFromOptions, rulesReloadExtension } from './reload.js';
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
}

export type ExtensionFactory = (ctx: ExtensionContext) => WormwatchExtension | Promise<WormwatchExtension>;

/**
 * The extensions `wormwatch serve` runs (the demo runs only its own recorder, so it writes
 * nothing to disk). Owners of a concern add one entry
 * here (a factory from their own module).
 */
export const defaultExtensions: ExtensionFactory[] = [notifyExtension, stormExtension, rulesReloadExtension];

export interface StartOptions {
  /** Default: a pino logger at `options.logLevel` on stdout. */
  logger?: Logger;
  /** Default: the built-in catalogue plus the options' rule files. */
  engine?: Engine;
  /** Default: `defaultExtensions`. Pass `[]` for none. */
  extensions?: Array<WormwatchExtension | ExtensionFactory>;
  /** Default: `createProxy`. `--workers N` passes one that runs the proxy in cluster workers (src/cluster.ts). */
  proxy?: (deps: ProxyDeps) => Pick<ProxyHandle, 'listen' | 'close'>;
  /** Registry of `metrics`; default a new one. `--workers N` passes one that adds up the workers' metrics. */
  registry?: Registry;
}

export interface Wormwatch {
  proxyAddress: AddressInfo;
  adminAddress: AddressInfo;
  offenders: OffenderStore;
  metrics: Metrics;
  logger: Logger;
  engine(): Engine;
  setEngine(engine: Engine): void;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs` (default `shutdownGrace`), then closes everything. */
  stop(graceMs?: number): Promise<void>;
}

/** Offenders past their TTL are purged at least this often (expiry is otherwise lazy). */
const PURGE_INTERVAL_MAX_MS = 60_000;

export async function startWormwatch(options: Options, start: StartOptions = {}): Promise<Wormwatch> {
  const logger = start.logger ?? createLogger(options.logLevel);
  const metrics = createMetrics(VERSION, start.registry);
  const offenders = new OffenderStore({ max: options.offenderMax, ttl: options.offenderTtl, samples: options.offenderSamples, gauge: metrics.offenders });
  let engine = start.engine ?? (await buildEngineFromOptions(options));
  let extensions: WormwatchExtension[] = [];

  const onDetection = (event: DetectionEvent): void => {
    offenders.record(event);
    const { signature, stage } = event.verdict;
    metrics.detections.inc({ signature: signature.id, family: signature.family, stage, action: event.action });
    logger.warn(detectionLogFields(event), 'worm probe detected');
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
  let ready = false;
  const proxy = (start.proxy ?? createProxy)({ options, engine: () => engine, metrics, logger, onDetection, onNotFound });
  const admin = createAdminServer({
    metrics, offenders, logger,
    isReady: () => ready,
    routes: extensions.flatMap((e) => e.adminRoutes ?? []),
  });
  const purge = setInterval(() => offenders.purgeStale(), Math.min(options.offenderTtl, PURGE_INTERVAL_MAX_MS) || PURGE_INTERVAL_MAX_MS);
  purge.unref();

  const started: WormwatchExtension[] = [];
  const stopStarted = async (): Promise<void> => {
    for (const ext of started.reverse()) {
      try {
        await ext.stop?.();
      } catch (err) {
        logger.error({ err, extension: ext.name }, 'extension failed to stop');
      }
    }
  };
  let adminAddress: AddressInfo;
  let proxyAddress: AddressInfo;
  try {
    for (const ext of extensions) {
      await ext.start?.();
      started.push(ext);
    }
    adminAddress = await admin.listen(options.adminListen);
    proxyAddress = await proxy.listen();
  } catch (err) {
    clearInterval(purge);
    await proxy.close(0).catch(() => undefined);
    await admin.close();
    await stopStarted();
    throw err;
  }
  ready = true;
  logger.info({ proxy: proxyAddress, admin: adminAddress, upstream: options.upstream?.href, mode: options.mode, version: VERSION }, 'wormwatch listening');

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = options.shutdownGrace): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      logger.info({ graceMs }, 'wormwatch stopping');
      await proxy.close(graceMs);
      await stopStarted();
      clearInterval(purge);
      await admin.close();
      logger.info('wormwatch stopped');
    })();
    return stopping;
  };

  return { proxyAddress, adminAddress, offenders, metrics, logger, engine: ctx.engine, setEngine: ctx.setEngine, stop };
}

function guarded(logger: Logger, ext: WormwatchExtension, hook: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.error({ err, extension: ext.name, hook }, 'extension hook failed');
  }
}
