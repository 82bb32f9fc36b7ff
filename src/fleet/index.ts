// Fleet mode: one replica's share of a fleet on Redis (bans, offenders, notice claims). Created
// by the wiring when `--redis-url` is set; see README.md for what it owns and may import.
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { AdminRoute } from '../admin/route.js';
import type { Options } from '../config/options.js';
import type { DetectionEvent } from '../detect/detection.js';
import type { Logger } from '../log.js';
import { createFleetMetrics, type FleetMetrics } from '../metrics.js';
import { BanSync, type FleetBans } from './ban-sync.js';
import { RedisLink } from './redis-link.js';

export { RedisLink, reconnectDelay, redisOptions } from './redis-link.js';

/** The settings fleet mode reads, and no others. */
export type FleetOptions = Pick<Options, 'redisUrl' | 'redisPrefix' | 'redisTimeout' | 'replicaName' | 'banMax'>;

export interface FleetDeps {
  logger: Logger;
  registry: Registry;
  bans: FleetBans;
}

export interface Fleet {
  link: RedisLink;
  metrics: FleetMetrics;
  /** This replica's name in the fleet's records. */
  replica: string;
  onDetection(event: DetectionEvent): void;
  adminRoutes: AdminRoute[];
  start(): void;
  stop(): Promise<void>;
}

/** The replica's name: `--replica-name`, else the host name (a pod's name), cut to a key-safe form. */
export function replicaNameOf(options: Pick<Options, 'replicaName'>): string {
  return options.replicaName ?? (hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63) || 'replica');
}

export function createFleet(options: FleetOptions, deps: FleetDeps): Fleet {
  const logger = deps.logger.child({ component: 'fleet' });
  const metrics = createFleetMetrics(deps.registry);
  const link = new RedisLink({ url: options.redisUrl!, commandTimeoutMs: options.redisTimeout, prefix: options.redisPrefix }, metrics, logger);
  const replica = replicaNameOf(options);
  const bans = new BanSync(link, deps.bans, replica, metrics, logger, options.banMax);
  metrics.buffered.watch(() => bans.buffered);
  return {
    link, metrics, replica,
    onDetection() {},
    adminRoutes: [],
    start() {
      bans.start();
      link.start();
    },
    stop: () => link.stop(),
  };
}
