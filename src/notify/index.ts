// Notices to the administrators of offending hosts: the hand-off from the request path, the
// SQLite outbox, reverse DNS, SMTP delivery and their admin routes. Imports config, errors, admin.
import type { Logger } from 'pino';
import type { AdminRoute } from '../admin/route.js';
import type { NoticeMetricHandles } from '../metrics.js';
import type { Options } from '../config/options.js';
import { ConfigError } from '../errors.js';
import type { DetectionEvent } from '../detect/detection.js';
import { VERSION } from '../version.js';
import { noticeRoutes } from './routes.js';
import { Delivery } from './delivery.js';
import { diagnose, isCorrupt, onceEvery } from '../storage/disk.js';
import { openOutbox } from './disk.js';
import { ReverseDns } from './dns.js';
import { Handoff } from './handoff.js';
import { noticeMetrics } from './metrics.js';
import type { Outbox } from './outbox.js';
import { DISK_RETRY_MS, NoticeQueue } from './queue.js';
import { renderNotice, type RenderSettings } from './render.js';
import { createSender } from './sender.js';

export type NotifyMode = 'off' | 'outbox' | 'smtp';

export interface Notifier {
  /** Hands the detection off and returns; never waits on DNS, SQLite or SMTP. */
  notify(event: DetectionEvent): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  adminRoutes: AdminRoute[];
}

export interface NotifierDeps {
  metrics: NoticeMetricHandles;
  logger: Logger;
  offenders?: { setHostname?(ip: string, name: string | null): void };
}

/** Outbox housekeeping (old suppressed rows, domain counts, the row count) runs this often. */
const HOUSEKEEPING_MS = 600_000;

/** `--notify`, or its default: `smtp` when `--smtp-url` is set, else `outbox`. */
export function notifyMode(o: Pick<Options, 'notify' | 'smtpUrl'>): NotifyMode {
  const mode = o.notify ?? (o.smtpUrl ? 'smtp' : 'outbox');
  if (mode === 'smtp' && !o.smtpUrl) throw new ConfigError('--notify smtp needs --smtp-url, e.g. --smtp-url smtp://user:pass@mail.example.net:587 (or use --notify outbox)');
  return mode;
}

export function renderSettings(options: Pick<Options, 'noticeFrom' | 'noticeReplyTo' | 'noticeCc' | 'noticeBcc' | 'noticeFooter' | 'noticeInterval'>): RenderSettings {
  return { from: options.noticeFrom, replyTo: options.noticeReplyTo, cc: options.noticeCc, bcc: options.noticeBcc, footer: options.noticeFooter, intervalMs: options.noticeInterval, version: VERSION };
}

/** The settings the notifier reads, and no others. */
export type NotifyOptions = Pick<Options,
  'notify' | 'smtpUrl' | 'smtpRateLimit' | 'smtpRequireTls' | 'smtpTlsRejectUnauthorized' | 'dataDir' | 'outboxMaxRows' | 'allow'
  | 'noticeAllowPrivate' | 'noticeInterval' | 'noticeMaxPerHour' | 'noticeMaxPerDomainPerHour' | 'noticeFrom' | 'noticeReplyTo' | 'noticeRecipients'
  | 'noticeCc' | 'noticeBcc' | 'noticeFooter' | 'noticeRetryBase' | 'noticeRetryMax' | 'noticeMaxAge' | 'noticeLease'
  | 'dnsServer' | 'dnsTimeout' | 'dnsMaxInFlight' | 'dnsCacheTtl'>;

export function createNotifier(options: NotifyOptions, deps: NotifierDeps): Notifier {
  const mode = notifyMode(options);
  const logger = deps.logger.child({ component: 'notify' });
  if (mode === 'off') return { notify() {}, start: async () => {}, stop: async () => {}, adminRoutes: noticeRoutes(() => undefined) };

  const handoff = new Handoff();
  const box = new OutboxHolder(options.dataDir, logger);
  deps.metrics.queue.watch(() => box.counts());
  deps.metrics.outboxUp.watch(() => box.up);
  const metrics = noticeMetrics(deps.metrics);
  let queue: NoticeQueue | undefined;
  let delivery: Delivery | undefined;
  let dns: ReverseDns | undefined;
  let housekeeping: NodeJS.Timeout | undefined;
  const settings = renderSettings(options);

  return {
    notify(event) {
      if (!handoff.add(event)) metrics.dropped('handoff-full');
      else queue?.schedule();
    },
    async start() {
      box.open();
      dns = new ReverseDns(
        { servers: options.dnsServer, timeoutMs: options.dnsTimeout, maxInFlight: options.dnsMaxInFlight, cacheTtlMs: options.dnsCacheTtl },
        metrics.dns,
      );
      if (mode === 'smtp') {
        const poll = Math.min(1000, Math.max(20, Math.min(options.noticeRetryBase, options.noticeLease) / 2));
        delivery = new Delivery({ leaseMs: options.noticeLease, retryBaseMs: options.noticeRetryBase, retryMaxMs: options.noticeRetryMax, pollMs: poll }, {
          outbox: () => box.current, sender: createSender(options), metrics, logger,
          render: (row, outbox) => renderNotice(row, outbox.text(row.text_id, row.signature), options.noticeRecipients, settings),
          onWriteError: (err) => box.failed(err),
        });
      }
      queue = new NoticeQueue(handoff, {
        rules: { allow: options.allow, allowPrivate: options.noticeAllowPrivate },
        templates: options.noticeRecipients,
        from: options.noticeFrom,
        intervalMs: options.noticeInterval,
        maxPerHour: options.noticeMaxPerHour,
        maxPerDomainPerHour: options.noticeMaxPerDomainPerHour,
        maxAgeMs: options.noticeMaxAge,
        dnsMaxInFlight: options.dnsMaxInFlight,
        maxRows: options.outboxMaxRows,
      }, {
        outbox: () => box.current, dns, metrics, logger,
        onWriteError: (err) => box.failed(err),
        onWriteOk: () => box.succeeded(),
        onHostname: (ip, name) => deps.offenders?.setHostname?.(ip, name),
        onReady: () => delivery?.pump(),
      });
      housekeeping = setInterval(() => box.housekeep(options.noticeInterval), HOUSEKEEPING_MS);
      housekeeping.unref();
      delivery?.start();
      queue.resume();
      if (handoff.size > 0) queue.schedule();
      logger.info({ mode, dataDir: options.dataDir }, 'notices enabled');
    },
    async stop() {
      clearInterval(housekeeping);
      queue?.stop();
      // What the request path handed off just before the signal goes to disk before exit (one
      // more try at opening the outbox if its disk refused until now).
      if (box.current === null && handoff.size > 0) box.open();
      if (queue !== undefined && !queue.flush() && handoff.size > 0) {
        metrics.dropped('unwritten-at-exit', handoff.size);
        logger.error({ addresses: handoff.size }, 'notice outbox could not be written before exit; these detections get no notice');
      }
      dns?.cancel();
      await delivery?.stop();
      box.close();
    },
    adminRoutes: noticeRoutes(() => box.current ?? undefined),
  };
}

/**
 * The outbox and the state of its disk. It never stops the proxy: a directory that cannot be
 * opened is tried again every DISK_RETRY_MS, a damaged file is moved aside, and write failures
 * are logged at most once a minute with the real cause (ENOSPC, EROFS, EACCES) and the path.
 */
class OutboxHolder {
  current: Outbox | null = null;
  #writable = false;
  #reopen: NodeJS.Timeout | undefined;
  readonly #report: ReturnType<typeof onceEvery>;

  constructor(private readonly dataDir: string, private readonly logger: Logger) {
    this.#report = onceEvery(logger);
  }

  get up(): boolean {
    return this.current !== null && this.#writable;
  }

  open(): void {
    clearTimeout(this.#reopen);
    this.#reopen = undefined;
    try {
      this.current = openOutbox(this.dataDir, this.logger);
      this.succeeded();
    } catch (err) {
      this.current = null;
      this.#writable = false;
      this.#report(diagnose(err, this.dataDir), 'cannot open the notice outbox in --data-dir; detections wait in memory until it can be');
      this.#reopen = setTimeout(() => this.open(), DISK_RETRY_MS);
      this.#reopen.unref();
    }
  }

  failed(err: unknown): void {
    if (isCorrupt(err) && this.current !== null) {
      // Damaged while running: closed, moved aside and replaced by a fresh file.
      this.current.close();
      this.current = null;
      this.open();
      return;
    }
    this.#writable = false;
    this.#report(diagnose(err, this.dataDir), 'notice outbox write failed; detections wait in memory until the disk recovers');
  }

  succeeded(): void {
    if (!this.#writable && this.current !== null) this.logger.info({ path: this.current.path }, 'notice outbox is writable');
    this.#writable = true;
  }

  counts(): ReturnType<Outbox['countsByState']> | null {
    try {
      return this.current?.db.open ? this.current.countsByState() : null;
    } catch {
      return null;
    }
  }

  housekeep(intervalMs: number): void {
    try {
      this.current?.trim(Date.now(), intervalMs);
      this.current?.recount();
    } catch (err) {
      this.failed(err);
    }
  }

  close(): void {
    clearTimeout(this.#reopen);
    this.current?.close();
  }
}
