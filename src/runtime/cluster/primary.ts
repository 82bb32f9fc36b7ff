import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { Options } from '../../config/options.js';
import { createLogger, type Logger } from '../../log.js';
import type { BanFeed } from '../../bans/index.js';
import type { ProxyDeps, ProxyHandle } from '../../proxy/index.js';
import { startWormwatch, type Wormwatch } from '../serve.js';
import { RESPAWN_DELAY_MS, SCRAPE_TIMEOUT_MS, type Metric, type ToPrimary, type ToWorker } from './protocol.js';
import { SignatureReceiver } from './detection-wire.js';

/**
 * `--workers N`: the primary process forks N workers that each run the proxy on the shared
 * listen port (node:cluster hands connections round-robin). Workers only forward and inspect;
 * every detection and every origin 404 goes over IPC to the primary, which alone holds the
 * offender store, the notifier (one SQLite writer, one SMTP sender), the 404-storm detector and
 * the admin server. So `/offenders`, notices and storm counts are exactly as with one process,
 * and `/metrics` adds up the workers' request metrics with the primary's (prom-client's
 * `AggregatorRegistry.aggregate`). The primary is `startWormwatch` itself, with the proxy
 * replaced by the worker pool; a rule reload is validated in the primary, then rebuilt in every
 * worker before the new engine is swapped in (a bad rule file never reaches the workers).
 */

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
  const app = await startWormwatch(options, {
    logger, registry: new ClusterRegistry(pool), proxy: (deps, bans) => pool.proxy(deps, bans), beforeEngineSwap: () => pool.reload(),
  });
  app.metrics.cluster.workers.watch(() => pool.running);
  return app;
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
  #bans: BanFeed | undefined;
  #unknownSignatures = 0;

  constructor(
    private readonly count: number,
    private readonly logger: Logger,
  ) {}

  get running(): number {
    return this.#workers.size;
  }

  proxy(deps: ProxyDeps, bans: BanFeed): Pick<ProxyHandle, 'listen' | 'close'> {
    this.#deps = deps;
    this.#bans = bans;
    // The primary decides every ban; each worker keeps a copy for its request path.
    bans.subscribe((change) => {
      for (const worker of this.#workers) if (worker.isConnected()) worker.send({ ww: 'ban', change } satisfies ToWorker);
    });
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
    const signatures = new SignatureReceiver();
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: ToPrimary) => {
        if (message.ww === 'listening') {
          listening = true;
          resolve(message.address);
        } else if (message.ww === 'failed') reject(new Error(message.message));
        else if (message.ww === 'need-bans') worker.send({ ww: 'bans', bans: this.#bans?.snapshot() ?? [] } satisfies ToWorker);
        else this.#onMessage(message, signatures);
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

  #onMessage(message: ToPrimary, signatures: SignatureReceiver): void {
    const deps = this.#deps!;
    if (message.ww === 'detection') {
      const event = signatures.unpack(message.detection);
      // Not expected (IPC keeps a worker's order): said once, not per message.
      if (event !== null) deps.onDetection(event);
      else if (this.#unknownSignatures++ === 0) this.logger.error('a proxy worker named a signature it never sent; its detection was dropped');
    }
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

