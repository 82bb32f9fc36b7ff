import type { PageNotices } from '../admin/page-data.js';
import type { AdminRoute } from '../admin/route.js';
import type { AdminToken } from '../admin/token.js';
import type { Bans } from '../bans/index.js';
import type { Options } from '../config/options.js';
import type { DetectionEvent } from '../detect/detection.js';
import type { Engine, NormalisedRequest } from '../detect/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { OffenderStore } from '../offenders/store.js';

/**
 * The extension contract: how the other concerns (notices, the 404-storm detector, rule reloads)
 * plug into a running wormwatch, `serve` or `scan`, without the wiring knowing them. Types only:
 * this file imports nothing that imports it. An extension may:
 * - `onDetection(event)`: hear every detection, after offenders, metrics and the log line.
 *   Synchronous and on the request path: hand off (queue) and return; a throw is logged and ignored.
 * - `onNotFound(ip, request, at)`: hear every 404 the origin answers (same rules).
 * - `adminRoutes`: serve extra admin endpoints (`GET /notices`, `POST /reload`).
 * - `start()` / `stop()`: run before the proxy listens / after it has drained, in list order
 *   and in reverse.
 * Pass either an extension or a factory `(ctx) => extension`. Example, for the notifier:
 *   (ctx) => { const n = createNotifier(ctx.options, ctx);
 *              return { name: 'notify', onDetection: n.notify, adminRoutes: n.adminRoutes, start: n.start, stop: n.stop }; }
 */
export interface WormwatchExtension {
  name: string;
  onDetection?(event: DetectionEvent): void;
  onNotFound?(ip: string, request: NormalisedRequest, at: Date): void;
  adminRoutes?: AdminRoute[];
  /** The notice queue for the admin page (the notifier); null while it cannot tell. */
  noticeStatus?(): PageNotices | null;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/** The running parts a factory receives. */
export interface ExtensionContext {
  options: Options;
  metrics: Metrics;
  logger: Logger;
  offenders: OffenderStore;
  /** The bans (in force only in block mode of `serve`). */
  bans: Bans;
  /** The engine in use now. */
  engine(): Engine;
  /**
   * Replaces the engine; requests already being inspected finish with the old one. Rejects, and
   * keeps the old engine, when a part that must follow (the `--workers` processes) could not.
   */
  setEngine(engine: Engine): Promise<void>;
  /** Sends a detection through the hub (offenders, metrics, log, every extension). */
  emitDetection(event: DetectionEvent): void;
  /** `serve` (live traffic) rather than a log scan (history): what is happening now, such as an exposure, is for `serve`. */
  serving: boolean;
  /** The admin token, re-read from its file on a reload; absent for `scan`. */
  adminToken?: AdminToken;
}

export type ExtensionFactory = (ctx: ExtensionContext) => WormwatchExtension | Promise<WormwatchExtension>;
