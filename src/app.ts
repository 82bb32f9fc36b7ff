import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Metrics } from './admin/metrics.js';
import { createAdminServer } from './admin/server.js';
import { adminToken } from './admin/token.js';
import type { Options } from './config/options.js';
import { stormExtension } from './detect/storm/extension.js';
import type { Engine } from './detect/types.js';
import { createLogger, type Logger } from './log.js';
import type { OffenderStore } from './offenders/store.js';
import { notifyExtension } from './notify/index.js';
import { createPipeline, type ExtensionFactory, type WormwatchExtension } from './pipeline.js';
import { createProxy, type ProxyDeps, type ProxyHandle } from './proxy/index.js';
import { buildEngineFromOptions, rulesReloadExtension } from './reload.js';
import { VERSION } from './version.js';

export type { ExtensionContext, ExtensionFactory, WormwatchExtension } from './pipeline.js';

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
  /** The `--metrics-listen` server (metrics and health only), when one was asked for. */
  metricsAddress: AddressInfo | undefined;
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
  const token = adminToken(options, logger);
  const pipeline = await createPipeline(options, {
    logger,
    adminToken: token,
    engine: start.engine ?? (await buildEngineFromOptions(options)),
    extensions: start.extensions ?? defaultExtensions,
    ...(start.registry ? { registry: start.registry } : {}),
  });
  const { metrics, offenders, extensions, onDetection, onNotFound } = pipeline;
  let ready = false;
  const proxy = (start.proxy ?? createProxy)({ options, engine: pipeline.engine, metrics, logger, onDetection, onNotFound });
  const admin = createAdminServer({
    metrics, offenders, logger,
    isReady: () => ready,
    routes: extensions.flatMap((e) => e.adminRoutes ?? []),
    token: token.current,
  });
  const scrape = options.metricsListen === undefined ? undefined : createAdminServer({ metrics, offenders, logger, isReady: () => ready, publicOnly: true });
  const purge = setInterval(() => offenders.purgeStale(), Math.min(options.offenderTtl, PURGE_INTERVAL_MAX_MS) || PURGE_INTERVAL_MAX_MS);
  purge.unref();

  let adminAddress: AddressInfo;
  let proxyAddress: AddressInfo;
  let metricsAddress: AddressInfo | undefined;
  try {
    await pipeline.startExtensions();
    adminAddress = await admin.listen(options.adminListen);
    if (scrape !== undefined && options.metricsListen !== undefined) metricsAddress = await scrape.listen(options.metricsListen);
    proxyAddress = await proxy.listen();
  } catch (err) {
    clearInterval(purge);
    await proxy.close(0).catch(() => undefined);
    await admin.close();
    await scrape?.close();
    await pipeline.stopExtensions();
    throw err;
  }
  ready = true;
  logger.info({ proxy: proxyAddress, admin: adminAddress, metrics: metricsAddress, adminToken: token.current() !== undefined, upstream: options.upstream?.href, mode: options.mode, version: VERSION }, 'wormwatch listening');

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = options.shutdownGrace): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      logger.info({ graceMs }, 'wormwatch stopping');
      await proxy.close(graceMs);
      await pipeline.stopExtensions();
      clearInterval(purge);
      await admin.close();
      await scrape?.close();
      logger.info('wormwatch stopped');
    })();
    return stopping;
  };

  return { proxyAddress, adminAddress, metricsAddress, offenders, metrics, logger, engine: pipeline.engine, setEngine: pipeline.setEngine, stop };
}
