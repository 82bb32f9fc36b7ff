import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createAdminServer } from '../admin/server.js';
import { banRoutes } from '../bans/endpoints.js';
import { pageRoutes } from '../admin/page.js';
import { adminPageData } from './admin-page.js';
import { geoFor } from './geo.js';
import { adminToken } from '../admin/token.js';
import type { BanFeed, Bans } from '../bans/index.js';
import type { Options } from '../config/options.js';
import type { Engine } from '../detect/types.js';
import { createLogger, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { NetworkOf, OffenderStore } from '../offenders/store.js';
import { createProxy, type ProxyDeps, type ProxyHandle } from '../proxy/index.js';
import { buildEngine } from '../rules/index.js';
import { VERSION } from '../version.js';
import type { ExtensionFactory, WormwatchExtension } from './extension.js';
import { defaultExtensions } from './extensions/index.js';
import { withFleet } from './extensions/fleet.js';
import { createHub } from './hub.js';

export interface StartOptions {
  /** Default: a pino logger at `options.logLevel` on stdout. */
  logger?: Logger;
  /** Default: the built-in catalogue plus the options' rule files. */
  engine?: Engine;
  /** Default: `defaultExtensions`. Pass `[]` for none. */
  extensions?: ReadonlyArray<WormwatchExtension | ExtensionFactory>;
  /** Default: `createProxy`. `--workers N` passes one that runs the proxy in worker processes (and follows the bans). */
  proxy?: (deps: ProxyDeps, bans: BanFeed) => Pick<ProxyHandle, 'listen' | 'close'>;
  /** Registry of the metrics; default a new one. `--workers N` passes one that adds up the workers'. */
  registry?: Registry;
  /** Runs before a reloaded engine is swapped in (`--workers N`: the workers rebuild theirs). */
  beforeEngineSwap?: (engine: Engine) => Promise<void>;
}

export interface Wormwatch {
  proxyAddress: AddressInfo;
  adminAddress: AddressInfo;
  /** The `--metrics-listen` server (metrics and health only), when one was asked for. */
  metricsAddress: AddressInfo | undefined;
  offenders: OffenderStore;
  bans: Bans;
  metrics: Metrics;
  logger: Logger;
  engine(): Engine;
  setEngine(engine: Engine): Promise<void>;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs` (default `shutdownGrace`), then closes everything. */
  stop(graceMs?: number): Promise<void>;
}

async function geoOption(options: Options): Promise<{ geo?: { lookup(ip: string): NetworkOf } }> {
  const geo = await geoFor(options);
  return geo ? { geo } : {};
}

/** The extensions asked for (default `defaultExtensions`), with fleet mode's first when `--redis-url` is set. */
function extensionsFor(options: Options, start: StartOptions): Array<WormwatchExtension | ExtensionFactory> {
  const chosen = [...(start.extensions ?? defaultExtensions)];
  if (options.redisUrl === undefined) return chosen;
  return withFleet(chosen);
}

/** Offenders past their TTL are purged at least this often (expiry is otherwise lazy). */
const PURGE_INTERVAL_MAX_MS = 60_000;

/** `wormwatch serve`: the hub, the proxy in front of `--upstream`, and the admin server. */
export async function startWormwatch(options: Options, start: StartOptions = {}): Promise<Wormwatch> {
  const logger = start.logger ?? createLogger(options.logLevel);
  const token = adminToken(options, logger);
  const hub = await createHub(options, {
    logger,
    adminToken: token,
    engine: start.engine ?? buildEngine(options),
    extensions: extensionsFor(options, start),
    ...(start.registry ? { registry: start.registry } : {}),
    ...(start.beforeEngineSwap ? { beforeEngineSwap: start.beforeEngineSwap } : {}),
    serving: true,
    ...(await geoOption(options)),
  });
  const { metrics, offenders } = hub;
  let ready = false;
  const proxy = (start.proxy ?? createProxy)({ options, engine: hub.engine, metrics: metrics.proxy, logger, onDetection: hub.onDetection, onNotFound: hub.onNotFound, bans: hub.bans }, hub.bans);
  const page = adminPageData({
    options, engine: hub.engine, offenders, bans: hub.bans, metrics,
    notices: () => hub.extensions.map((e) => e.noticeStatus?.() ?? null).find((n) => n !== null) ?? null,
  });
  hub.subscribe((event) => page.timeline.detection(event.verdict.signature.family, event.at.getTime()));
  const routes = [...pageRoutes(page.data, token.current), ...banRoutes(hub.bans, options.banTtl), ...hub.extensions.flatMap((e) => e.adminRoutes ?? [])];
  const admin = createAdminServer({ metrics, offenders, logger, isReady: () => ready, routes, token: token.current });
  const scrape = options.metricsListen === undefined ? undefined : createAdminServer({ metrics, offenders, logger, isReady: () => ready, publicOnly: true });
  const purge = setInterval(() => offenders.purgeStale(), Math.min(options.offenderTtl, PURGE_INTERVAL_MAX_MS) || PURGE_INTERVAL_MAX_MS);
  purge.unref();

  let adminAddress: AddressInfo;
  let proxyAddress: AddressInfo;
  let metricsAddress: AddressInfo | undefined;
  try {
    await hub.startExtensions();
    adminAddress = await admin.listen(options.adminListen);
    if (scrape !== undefined && options.metricsListen !== undefined) metricsAddress = await scrape.listen(options.metricsListen);
    proxyAddress = await proxy.listen();
  } catch (err) {
    clearInterval(purge);
    page.stop();
    await proxy.close(0).catch(() => undefined);
    await admin.close();
    await scrape?.close();
    await hub.stopExtensions();
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
      await hub.stopExtensions();
      clearInterval(purge);
      page.stop();
      await admin.close();
      await scrape?.close();
      logger.info('wormwatch stopped');
    })();
    return stopping;
  };

  return { proxyAddress, adminAddress, metricsAddress, offenders, bans: hub.bans, metrics, logger, engine: hub.engine, setEngine: hub.setEngine, stop };
}
