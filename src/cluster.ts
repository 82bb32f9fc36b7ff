import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { createMetrics } from './admin/metrics.js';
import { defaultExtensions, startWormwatch, type Wormwatch } from './app.js';
import type { Options } from './config/options.js';
import type { NormalisedRequest } from './detect/types.js';
import type { DetectionEvent } from './events.js';
import { createLogger, type Logger } from './log.js';
import { createProxy, type ProxyDeps, type ProxyHandle } from './proxy/index.js';
import { buildEngineFromOptions, reloadExtension, rulesReloadExtension } from './reload.js';
import { VERSION } from './version.js';

/**
 * `--workers N`: the primary process forks N workers that each run the proxy on the shared
 * listen port (node:cluster hands connections round-robin). Workers only forward and inspect;
 * every detection and every origin 404 goes over IPC to the primary, which alone holds the
 * offender store, the notifier (one SQLite writer, one SMTP sender), the 404-storm detector and
 * the admin server. So `/offenders`, notices and storm counts are exactly as with one process,
 * and `/metrics` adds up the workers' request metrics with the primary's (prom-client's
 * `AggregatorRegistry.aggregate`). A rule reload rebuilds the engine in the primary and then
 * in every worker.
 */

/** Detections and 404s a worker may have queued to the primary; more are dropped and counted. */
export const IPC_MAX_PENDING = 10_000;
/** A worker that does not answer a metrics scrape within this is left out of that scrape. */
export const SCRAPE_TIMEOUT_MS = 2_000;
/** A worker that exits unexpectedly is replaced after this delay (so a crash loop cannot spin). */
export const RESPAWN_DELAY_MS = 1_000;
/** Metrics only the primary reports: summing them over the workers would count them N times. */
const PRIMARY_ONLY = ['wormwatch_build_info', 'wormwatch_offenders'];

type Metric = MetricObjectWithValues<MetricValue<string>>;
type ToPrimary =
  | { ww: 'listening'; address: AddressInfo }
  | { ww: 'failed'; message: string }
  | { ww: 'detection'; event: DetectionEvent }
  | { ww: 'not-found'; ip: string; request: NormalisedRequest; at: Date }
  | { ww: 'metrics'; id: number; metrics: Metric[] }
  | { ww: 'reloaded'; id: number; error?: string };
type ToWorker = { ww: 'metrics'; id: number } | { ww: 'reload'; id: number } | { ww: 'stop'; graceMs: number };

/** Proxy processes for these options: `workers`, or one per CPU when it is 0. */
export function workerCount(options: Pick<Options, 'workers'>): number {
  return options.workers === 0 ? availableParallelism() : options.workers;
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** The primary: `startWormwatch` with the proxy replaced by the worker pool. */
export async function startCluster(options: Options, start: { logger?: Logger } = {}): Promise<Wormwatch> {
  const logger = start.logger ?? createLogger(options.logLevel);
  const pool = new WorkerPool(workerCount(options), logger);
  const registry = new ClusterRegistry(pool);
  new Gauge({ name: 'wormwatch_workers', help: 'Proxy worker processes running (--workers).', registers: [registry], collect() { this.set(pool.running); } });
  // Validated in the primary first: a bad rule file never reaches the workers.
  const reload = reloadExtension(async (ctx) => {
    const engine = await buildEngineFromOptions(ctx.options);
    await pool.reload();
    return engine;
  });
  const extensions = defaultExtensions.map((e) => (e === rulesReloadExtension ? reload : e));
  return startWormwatch(options, { logger, registry, extensions, proxy: (deps) => pool.proxy(deps) });
}

/** The primary's registry, whose exposition adds up its own metrics and every worker's. */
class ClusterRegistry extends Registry {
  constructor(private readonly pool: WorkerPool) {
    super();
  }

  override async metrics(): Promise<string> {
    const all = [await this.getMetricsAsJSON(), ...(await this.pool.collectMetrics())];
    return AggregatorRegistry.aggregate(all).metrics();
  }
}

class WorkerPool {
  readonly #workers = new Set<Worker>();
  readonly #replies = new Map<number, (message: ToPrimary) => void>();
  #nextId = 0;
  #stopping = false;
  #deps: ProxyDeps | undefined;

  constructor(
    private readonly count: number,
    private readonly logger: Logger,
  ) {}

  get running(): number {
    return this.#workers.size;
  }

  proxy(deps: ProxyDeps): Pick<ProxyHandle, 'listen' | 'close'> {
    this.#deps = deps;
    return { listen: () => this.#start(), close: (graceMs = deps.options.shutdownGrace) => this.#close(graceMs) };
  }

  async #start(): Promise<AddressInfo> {
    // Structured clone keeps the detections' Dates.
    cluster.setupPrimary({ serialization: 'advanced' });
    const started = Array.from({ length: this.count }, () => this.#fork());
    try {
      const addresses = await Promise.all(started);
      this.logger.info({ workers: this.count }, 'proxy workers listening');
      return addresses[0]!;
    } catch (err) {
      await this.#close(0);
      throw err;
    }
  }

  #fork(): Promise<AddressInfo> {
    const worker = cluster.fork();
    this.#workers.add(worker);
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: ToPrimary) => {
        if (message.ww === 'listening') {
          listening = true;
          resolve(message.address);
        } else if (message.ww === 'failed') reject(new Error(message.message));
        else this.#onMessage(message);
      });
      worker.once('exit', (code, signal) => {
        this.#workers.delete(worker);
        if (!listening) return reject(new Error(`proxy worker exited (${signal ?? code}) before listening`));
        if (this.#stopping) return;
        this.logger.error({ worker: worker.id, code, signal }, 'proxy worker died; starting another');
        setTimeout(() => {
          if (!this.#stopping) this.#fork().catch((err: unknown) => this.logger.error({ err }, 'replacement worker failed to start'));
        }, RESPAWN_DELAY_MS).unref();
      });
    });
  }

  #onMessage(message: ToPrimary): void {
    const deps = this.#deps!;
    if (message.ww === 'detection') deps.onDetection(message.event);
    else if (message.ww === 'not-found') deps.onNotFound?.(message.ip, message.request, message.at);
    else if ('id' in message) this.#replies.get(message.id)?.(message);
  }

  /** Sends a request to every worker; resolves with the answers that arrive within `timeoutMs`. */
  #ask(make: (id: number) => ToWorker, timeoutMs: number): Promise<ToPrimary[]> {
    const asks = [...this.#workers].filter((w) => w.isConnected()).map((worker) => new Promise<ToPrimary | undefined>((resolve) => {
      const id = this.#nextId++;
      const gone = (): void => done(undefined);
      const timer = setTimeout(gone, timeoutMs);
      const done = (reply: ToPrimary | undefined): void => {
        clearTimeout(timer);
        worker.off('exit', gone);
        this.#replies.delete(id);
        resolve(reply);
      };
      this.#replies.set(id, done);
      worker.once('exit', gone);
      worker.send(make(id), (err: Error | null) => err && gone());
    }));
    return Promise.all(asks).then((replies) => replies.filter((r): r is ToPrimary => r !== undefined));
  }

  async collectMetrics(): Promise<Metric[][]> {
    const replies = await this.#ask((id) => ({ ww: 'metrics', id }), SCRAPE_TIMEOUT_MS);
    return replies.flatMap((r) => (r.ww === 'metrics' ? [r.metrics] : []));
  }

  /** Every worker rebuilds its engine from the rule files; throws if one could not. */
  async reload(): Promise<void> {
    const replies = await this.#ask((id) => ({ ww: 'reload', id }), 60_000);
    const failed = replies.find((r) => r.ww === 'reloaded' && r.error !== undefined);
    if (failed?.ww === 'reloaded') throw new Error(`a proxy worker could not reload: ${failed.error}`);
  }

  async #close(graceMs: number): Promise<void> {
    this.#stopping = true;
    const exits = [...this.#workers].map((worker) => new Promise<void>((resolve) => {
      if (worker.isDead()) return resolve();
      worker.once('exit', () => resolve());
      // A worker that cannot be told, or does not finish draining in time, is killed.
      const kill = setTimeout(() => worker.process.kill('SIGKILL'), graceMs + 5_000);
      worker.once('exit', () => clearTimeout(kill));
      if (worker.isConnected()) worker.send({ ww: 'stop', graceMs } satisfies ToWorker, (err: Error | null) => err && worker.process.kill('SIGTERM'));
      else worker.process.kill('SIGTERM');
    }));
    await Promise.all(exits);
  }
}

/**
 * A worker: the proxy alone, reporting detections and 404s to the primary. Signals are the
 * primary's to act on (Ctrl-C reaches the whole process group), except SIGTERM sent to a
 * worker by itself, which drains it as it would a single wormwatch.
 */
export async function runWorker(options: Options): Promise<void> {
  const logger = createLogger(options.logLevel).child({ worker: cluster.worker?.id });
  const metrics = createMetrics(VERSION);
  for (const name of PRIMARY_ONLY) metrics.registry.removeSingleMetric(name);
  const channel = new PrimaryChannel(metrics.registry);
  let engine = await buildEngineFromOptions(options);
  const proxy = createProxy({
    options, metrics, logger,
    engine: () => engine,
    onDetection: (event) => channel.send({ ww: 'detection', event }),
    // A structured clone keeps own properties only; the engine builds `headers` on first read (a getter).
    onNotFound: (ip, request, at) => channel.send({ ww: 'not-found', ip, request: { ...request, headers: request.headers }, at }),
  });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs: number): Promise<void> => (stopping ??= (async () => {
    await proxy.close(graceMs);
    await channel.drained();
    process.exit(0);
  })());
  process.on('message', (message: ToWorker) => {
    if (message.ww === 'stop') void stop(message.graceMs);
    else if (message.ww === 'metrics') {
      void metrics.registry.getMetricsAsJSON().then((m) => channel.reply({ ww: 'metrics', id: message.id, metrics: m as Metric[] }));
    } else if (message.ww === 'reload') {
      buildEngineFromOptions(options).then(
        (next) => { engine = next; channel.reply({ ww: 'reloaded', id: message.id }); },
        (err: unknown) => channel.reply({ ww: 'reloaded', id: message.id, error: (err as Error).message }),
      );
    }
  });
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  process.on('SIGTERM', () => void stop(options.shutdownGrace));
  // The primary is gone (killed): nobody would hear of detections; drain and leave.
  process.on('disconnect', () => void stop(options.shutdownGrace));
  try {
    channel.reply({ ww: 'listening', address: await proxy.listen() });
  } catch (err) {
    channel.reply({ ww: 'failed', message: (err as Error).message });
    await channel.drained();
    process.exit(1);
  }
}

/** The worker's side of IPC: bounded, so a stalled primary costs dropped reports, not memory. */
class PrimaryChannel {
  #pending = 0;
  #idle: Array<() => void> = [];
  readonly #dropped: Counter;

  constructor(registry: Registry) {
    this.#dropped = new Counter({ name: 'wormwatch_worker_reports_dropped_total', help: `Detections and 404s a proxy worker could not pass to the primary (more than ${IPC_MAX_PENDING} queued, or the primary gone).`, registers: [registry] });
  }

  /** A report (detection, 404): dropped when the queue is full. */
  send(message: ToPrimary): void {
    if (this.#pending >= IPC_MAX_PENDING || !process.connected) this.#dropped.inc();
    else this.#write(message, true);
  }

  /** An answer to the primary: never dropped for a full queue. */
  reply(message: ToPrimary): void {
    if (process.connected) this.#write(message, false);
  }

  #write(message: ToPrimary, report: boolean): void {
    this.#pending++;
    process.send!(message, undefined, undefined, (err: Error | null) => {
      this.#pending--;
      if (err && report) this.#dropped.inc();
      if (this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  /** Resolves once everything sent has been handed to the channel (or after a second, whatever is left). */
  drained(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle.push(resolve);
      setTimeout(resolve, 1_000).unref();
    });
  }
}
