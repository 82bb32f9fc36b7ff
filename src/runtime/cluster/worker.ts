import cluster from 'node:cluster';
import { BanMirror } from '../../bans/mirror.js';
import type { Options } from '../../config/options.js';
import { createLogger, exitFlushed } from '../../log.js';
import { createMetrics, PRIMARY_ONLY } from '../../metrics.js';
import { createProxy } from '../../proxy/index.js';
import { buildEngine } from '../../rules/index.js';
import { VERSION } from '../../version.js';
import { BANS_WAIT_MS, IPC_MAX_PENDING, type Metric, type ToPrimary, type ToWorker } from './protocol.js';
import { SignatureSender } from './detection-wire.js';

/**
 * A worker: the proxy alone, reporting detections and 404s to the primary. Signals are the
 * primary's to act on (Ctrl-C reaches the whole process group), except SIGTERM sent to a
 * worker by itself, which drains it as it would a single wormwatch.
 */
export async function runWorker(options: Options): Promise<void> {
  const logger = createLogger(options.logLevel).child({ worker: cluster.worker?.id });
  const metrics = createMetrics(VERSION);
  for (const name of PRIMARY_ONLY) metrics.registry.removeSingleMetric(name);
  const channel = new PrimaryChannel(metrics.cluster.reportsDropped);
  const signatures = new SignatureSender();
  let engine = buildEngine(options);
  const bans = new BanMirror(options.banMax, options.banIpv6Prefix);
  let bansArrived: () => void = () => undefined;
  const bansLoaded = new Promise<void>((resolve) => {
    bansArrived = resolve;
    setTimeout(resolve, BANS_WAIT_MS).unref();
  });
  // The same proxy wiring as one process, with the hub's hand-off replaced by IPC to the primary.
  const proxy = createProxy({
    options, metrics: metrics.proxy, logger, bans,
    engine: () => engine,
    onDetection: (event) => {
      const detection = signatures.pack(event);
      channel.send({ ww: 'detection', detection }, () => signatures.delivered(detection));
    },
    // A structured clone keeps own properties only; the engine builds `headers` on first read (a getter).
    onNotFound: (ip, request, at) => channel.send({ ww: 'not-found', ip, request: { ...request, headers: request.headers }, at }),
  });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs: number): Promise<void> => (stopping ??= (async () => {
    await proxy.close(graceMs);
    await channel.drained();
    exitFlushed(logger, 0);
  })());
  process.on('message', (message: ToWorker) => {
    if (message.ww === 'bans') {
      bans.load(message.bans);
      bansArrived();
    } else if (message.ww === 'ban') bans.apply(message.change);
    else if (message.ww === 'stop') void stop(message.graceMs);
    else if (message.ww === 'metrics') {
      void metrics.registry.getMetricsAsJSON().then((m) => channel.reply({ ww: 'metrics', id: message.id, metrics: m as Metric[] }));
    } else if (message.ww === 'reload') {
      try {
        engine = buildEngine(options);
        channel.reply({ ww: 'reloaded', id: message.id });
      } catch (err) {
        channel.reply({ ww: 'reloaded', id: message.id, error: (err as Error).message });
      }
    }
  });
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  process.on('SIGTERM', () => void stop(options.shutdownGrace));
  // The primary is gone (killed): nobody would hear of detections; drain and leave.
  process.on('disconnect', () => void stop(options.shutdownGrace));
  channel.reply({ ww: 'need-bans' });
  await bansLoaded;
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
  constructor(private readonly dropped: { inc(): void }) {}

  /** A report (detection, 404): dropped when the queue is full. */
  send(message: ToPrimary, onDelivered?: () => void): void {
    if (this.#pending >= IPC_MAX_PENDING || !process.connected) this.dropped.inc();
    else this.#write(message, true, onDelivered);
  }

  /** An answer to the primary: never dropped for a full queue. */
  reply(message: ToPrimary): void {
    if (process.connected) this.#write(message, false);
  }

  #write(message: ToPrimary, report: boolean, onDelivered?: () => void): void {
    this.#pending++;
    process.send!(message, undefined, undefined, (err: Error | null) => {
      this.#pending--;
      if (err && report) this.dropped.inc();
      else if (!err) onDelivered?.();
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
